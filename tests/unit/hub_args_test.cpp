// ARGS through the Hub, frame by frame (PROTOCOL.md sections 6 and 7): the
// `send` shortcuts, session rooms and their positions, how agent messages
// reach their connection, acks, errors, sync, binary chunks and stats.
#include "args_test_support.hpp"

#include "brolostack/server/stats.hpp"

#include <algorithm>
#include <set>

namespace argstest {
namespace {

constexpr const char* kRoom = "$session:s1";

std::string typeOf(const Value& frame) {
    if (!frame.IsObject() || !frame.HasMember("msg") || !frame["msg"].IsObject() || !frame["msg"].HasMember("type"))
        return "";
    return frame["msg"]["type"].GetString();
}

/// The msg.type of every args frame to `conn`, in order.
std::vector<std::string> argsTypes(const Outbox& out, ConnId conn) {
    std::vector<std::string> types;
    for (const auto& f : framesTo(out, conn, "args")) types.push_back(typeOf(f));
    return types;
}

bool isOk(const Value& reply) { return reply.HasMember("ok") && reply["ok"].IsTrue(); }

class HubArgs : public HubArgsTest {
protected:
    void SetUp() override {
        settings.heartbeatMs = 100'000'000;  // no liveness closes while the clock jumps
        settings.maxAgentsPerSession = 50;
    }

    /// register-agent in s1 from `conn`; must succeed.
    Document registerAgent(ConnId conn, const std::string& id, const std::string& type, Outbox* out = nullptr,
                           std::uint32_t maxConcurrent = 1) {
        Document r = sendEvent(conn, "register-agent",
                               R"({"sessionId":"s1","id":")" + id + R"(","type":")" + type +
                                   R"(","capabilities":[],"metadata":{"maxConcurrentTasks":)" +
                                   std::to_string(maxConcurrent) + "}}",
                               out);
        EXPECT_TRUE(isOk(r)) << str(r);
        return r;
    }
    Document expectOk(ConnId conn, const std::string& event, const std::string& data, Outbox* out = nullptr) {
        Document r = sendEvent(conn, event, data, out);
        EXPECT_TRUE(isOk(r)) << event << " " << data << " -> " << str(r);
        return r;
    }
    std::string roomHistoryTypes(ConnId member) {
        Document h = request(member, "history", "\"room\":\"$session:s1\",\"limit\":1000");
        EXPECT_TRUE(isOk(h)) << str(h);
        std::string types;
        for (const auto& f : h["data"]["messages"].GetArray()) types += typeOf(f) + " ";
        return types;
    }
};

TEST_F(HubArgs, RegisterAgentJoinsTheSessionRoomAndHearsAnnouncements) {
    ConnId watcher = client();
    ConnId agent = client();
    Document joined = expectOk(watcher, "join-session", "\"s1\"");
    EXPECT_STREQ(joined["data"]["room"].GetString(), kRoom);
    std::string epoch = joined["data"]["epoch"].GetString();
    EXPECT_EQ(joined["data"]["offset"].GetUint64(), 0u);

    Outbox out;
    Document reply = registerAgent(agent, "a1", "worker", &out);
    EXPECT_STREQ(reply["data"]["agent"]["id"].GetString(), "a1");
    for (ConnId conn : {watcher, agent}) {
        auto frames = argsTo(out, conn, "AGENT_REGISTER");
        ASSERT_EQ(frames.size(), 1u) << "conn " << conn;
        const Document& f = frames[0];
        EXPECT_STREQ(f["room"].GetString(), kRoom);
        EXPECT_EQ(f["offset"].GetUint64(), 1u);
        EXPECT_EQ(f["epoch"].GetString(), epoch);
        EXPECT_STREQ(f["msg"]["sessionId"].GetString(), "s1");
        EXPECT_STREQ(f["msg"]["payload"]["id"].GetString(), "a1");
        EXPECT_STREQ(f["msg"]["payload"]["status"].GetString(), "idle");
    }
    EXPECT_EQ(framesTo(out, watcher, "presence").size(), 1u) << "the agent's connection joined the room";
    Document members = request(watcher, "members", "\"room\":\"$session:s1\"");
    EXPECT_EQ(members["data"]["memberCount"].GetUint(), 2u);
}

// Bad input gets a clear error and changes nothing (DESIGN.md, quality
// bars): a refused registration must not make the connection a member of
// the session room, nor tell the members that it joined.
TEST_F(HubArgs, RefusedRegistrationDoesNotJoinTheSession) {
    ConnId owner = client();
    ConnId intruder = client();
    registerAgent(owner, "a1", "w");
    Outbox out;
    Document r = sendEvent(intruder, "register-agent", R"({"sessionId":"s1","id":"a1","type":"w"})", &out);
    EXPECT_EQ(errorCode(r), "conflict");
    EXPECT_TRUE(framesTo(out, owner, "presence").empty()) << "members were told the intruder joined";
    r = sendEvent(intruder, "register-agent", R"({"sessionId":"s1","type":"no id"})", &out);
    EXPECT_EQ(errorCode(r), "bad_request");
    Document members = request(owner, "members", "\"room\":\"$session:s1\"");
    EXPECT_EQ(members["data"]["memberCount"].GetUint(), 1u) << str(members);
    // So session traffic does not reach it.
    expectOk(owner, "start-task", R"({"id":"t1"})", &out);
    EXPECT_TRUE(framesTo(out, intruder, "args").empty());
}

TEST_F(HubArgs, SendShortcutsBecomeTheirArgsTypes) {
    ConnId watcher = client();
    ConnId agentConn = client();
    ConnId submitter = client();
    expectOk(watcher, "join-session", "{\"sessionId\":\"s1\"}");
    registerAgent(agentConn, "a1", "w");

    Outbox out;
    Document started = expectOk(submitter, "start-task", R"({"sessionId":"s1","id":"t1","payload":{"n":1}})", &out);
    EXPECT_STREQ(started["data"]["taskId"].GetString(), "t1");
    EXPECT_STREQ(started["data"]["state"].GetString(), "queued");
    EXPECT_EQ(argsTypes(out, watcher), (std::vector<std::string>{"TASK_START", "TASK_ASSIGN"}));

    struct Step {
        ConnId conn;
        std::string event;
        std::string data;
        std::vector<std::string> heard;  // what the watcher hears
    };
    const Step steps[] = {
        {agentConn, "task-progress", R"({"taskId":"t1","agentId":"a1","progress":30})", {"TASK_PROGRESS"}},
        {agentConn, "agent-progress", R"({"taskId":"t1","agentId":"a1","progress":60})", {"TASK_PROGRESS"}},
        {agentConn, "task-complete", R"({"taskId":"t1","agentId":"a1","result":{"ok":1}})", {"TASK_PROGRESS", "TASK_COMPLETE"}},
        {submitter, "start-task", R"({"sessionId":"s1","id":"t2"})", {"TASK_START", "TASK_ASSIGN"}},
        {agentConn, "task-error", R"({"taskId":"t2","agentId":"a1","code":"E","message":"no"})", {"TASK_ERROR"}},
        {submitter, "start-task", R"({"sessionId":"s1","id":"t3","requirements":{"agentTypes":["none"]}})", {"TASK_START"}},
        {submitter, "cancel-task", R"({"sessionId":"s1","taskId":"t3"})", {"TASK_CANCEL"}},
        {agentConn, "start-stream", R"({"streamId":"st","qualityOfService":"guaranteed"})", {"STREAM_START"}},
        {agentConn, "stream-chunk", R"({"streamId":"st","seq":0,"chunk":"x","isLast":false})", {"STREAM_DATA"}},
        {agentConn, "end-stream", R"({"streamId":"st"})", {"STREAM_END"}},
        {agentConn, "heartbeat", R"({"agentId":"a1","status":"busy","currentTasks":0})", {}},
        {agentConn, "unregister-agent", R"({"agentId":"a1"})", {"AGENT_UNREGISTER"}},
    };
    for (const auto& step : steps) {
        Document r = sendEvent(step.conn, step.event, step.data, &out);
        EXPECT_TRUE(isOk(r)) << step.event << ": " << str(r);
        EXPECT_EQ(argsTypes(out, watcher), step.heard) << step.event;
    }
    Document t2 = parse(std::get<std::string>(hub().sessionSnapshotJson("s1")));
    for (const auto& t : t2["tasks"].GetArray())
        if (std::string(t["id"].GetString()) == "t2") {
            EXPECT_STREQ(t["error"]["code"].GetString(), "agent_error");
        }
}

TEST_F(HubArgs, HeartbeatAndSyncShortcuts) {
    ConnId agentConn = client();
    registerAgent(agentConn, "a1", "w");
    expectOk(agentConn, "heartbeat", R"({"agentId":"a1","status":"busy"})");
    Document sync = expectOk(agentConn, "sync", "{}");
    const Value& data = sync["data"];
    EXPECT_STREQ(data["sessionId"].GetString(), "s1");
    ASSERT_EQ(data["agents"].Size(), 1u);
    EXPECT_STREQ(data["agents"][0]["status"].GetString(), "busy");
    for (const char* key : {"tasks", "streams", "metrics", "epoch", "offset"}) EXPECT_TRUE(data.HasMember(key)) << key;
}

TEST_F(HubArgs, CollaborationShortcutsReachOnlyTheirAddressees) {
    ConnId watcher = client();
    ConnId asker = client();
    ConnId helper = client();
    expectOk(watcher, "join-session", "\"s1\"");
    registerAgent(asker, "a1", "planner");
    registerAgent(helper, "b1", "helper");
    Outbox out;
    Document r = expectOk(asker, "collaboration-request",
                          R"({"requestId":"r1","requestingAgent":"a1","targetAgent":"b1","collaborationType":"review"})", &out);
    auto got = argsTo(out, helper, "COLLABORATION_REQUEST");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_FALSE(got[0].HasMember("room")) << "sent directly, not announced";
    EXPECT_FALSE(got[0].HasMember("offset"));
    EXPECT_STREQ(got[0]["msg"]["payload"]["requestId"].GetString(), "r1");
    EXPECT_TRUE(framesTo(out, watcher, "args").empty());
    EXPECT_TRUE(argsTo(out, asker, "COLLABORATION_REQUEST").empty());

    expectOk(helper, "collaboration-response", R"({"requestId":"r1","fromAgent":"b1","accepted":true,"result":"lgtm"})", &out);
    auto answer = argsTo(out, asker, "COLLABORATION_RESPONSE");
    ASSERT_EQ(answer.size(), 1u);
    EXPECT_FALSE(answer[0].HasMember("room"));
    EXPECT_STREQ(answer[0]["msg"]["payload"]["result"].GetString(), "lgtm");
    EXPECT_TRUE(framesTo(out, watcher, "args").empty());
    EXPECT_TRUE(argsTo(out, helper, "COLLABORATION_RESPONSE").empty());

    std::string history = roomHistoryTypes(watcher);
    EXPECT_EQ(history.find("COLLABORATION"), std::string::npos) << history;
    EXPECT_NE(history.find("AGENT_REGISTER"), std::string::npos) << history;
}

TEST_F(HubArgs, CollaborationTimeoutReachesTheRequesterDirectly) {
    settings.collaborationTimeoutMs = 5000;
    ConnId asker = client();
    ConnId helper = client();
    registerAgent(asker, "a1", "planner");
    registerAgent(helper, "b1", "helper");
    expectOk(asker, "collaboration-request", R"({"requestId":"r1","requestingAgent":"a1","targetAgent":"b1"})");
    Outbox out = advance(5000);
    auto timeout = argsTo(out, asker, "COLLABORATION_RESPONSE");
    ASSERT_EQ(timeout.size(), 1u);
    EXPECT_STREQ(timeout[0]["msg"]["payload"]["status"].GetString(), "timeout");
    EXPECT_FALSE(timeout[0].HasMember("room"));
    EXPECT_TRUE(argsTo(out, helper, "COLLABORATION_RESPONSE").empty());
}

TEST_F(HubArgs, SessionOfAShortcutIsDataThenLastJoinedThenDefault) {
    ConnId c = client();
    expectOk(c, "start-task", R"({"id":"in-default"})");
    expectOk(c, "join-session", "\"x\"");
    expectOk(c, "start-task", R"({"id":"in-x"})");
    expectOk(c, "start-task", R"({"sessionId":"y","id":"in-y"})");
    auto tasksOf = [&](const std::string& session) {
        std::set<std::string> ids;
        auto snap = hub().sessionSnapshotJson(session);
        if (!std::holds_alternative<std::string>(snap)) return ids;
        Document d = parse(std::get<std::string>(snap));
        for (const auto& t : d["tasks"].GetArray()) ids.insert(t["id"].GetString());
        return ids;
    };
    EXPECT_EQ(tasksOf("default"), std::set<std::string>{"in-default"});
    EXPECT_EQ(tasksOf("x"), std::set<std::string>{"in-x"});
    EXPECT_EQ(tasksOf("y"), std::set<std::string>{"in-y"});
}

// PROTOCOL.md section 5: joining `$session:<id>` with `join` "is the same as
// join-session", so it makes that session the connection's current one.
TEST_F(HubArgs, JoiningTheSessionRoomDirectlyIsTheSameAsJoinSession) {
    ConnId c = client();
    Document joined = request(c, "join", "\"room\":\"$session:z\"");
    ASSERT_TRUE(isOk(joined)) << str(joined);
    expectOk(c, "start-task", R"({"id":"t"})");
    auto snap = hub().sessionSnapshotJson("z");
    ASSERT_TRUE(std::holds_alternative<std::string>(snap)) << "no session z";
    Document d = parse(std::get<std::string>(snap));
    ASSERT_EQ(d["tasks"].Size(), 1u) << "the task went elsewhere: " << hub().sessionsJson();
    EXPECT_STREQ(d["tasks"][0]["id"].GetString(), "t");
}

TEST_F(HubArgs, TaskAssignReachesTheAgentConnectionOnceThroughTheRoom) {
    ConnId agentConn = client();
    ConnId submitter = client();
    ConnId other = client();
    registerAgent(agentConn, "a1", "w");
    expectOk(other, "join-session", "\"s1\"");
    Outbox out;
    expectOk(submitter, "start-task", R"({"sessionId":"s1","id":"t1","payload":{"q":2}})", &out);
    auto assign = argsTo(out, agentConn, "TASK_ASSIGN");
    ASSERT_EQ(assign.size(), 1u);
    EXPECT_STREQ(assign[0]["room"].GetString(), kRoom);
    EXPECT_TRUE(assign[0].HasMember("offset"));
    EXPECT_TRUE(assign[0].HasMember("epoch"));
    EXPECT_STREQ(assign[0]["msg"]["agentId"].GetString(), "a1");
    EXPECT_STREQ(assign[0]["msg"]["payload"]["taskId"].GetString(), "t1");
    EXPECT_EQ(str(assign[0]["msg"]["payload"]["input"]), R"({"q":2})");
    EXPECT_EQ(argsTo(out, other, "TASK_ASSIGN").size(), 1u) << "announced in the session";
    EXPECT_TRUE(argsTo(out, submitter, "TASK_ASSIGN").empty()) << "the submitter is not a member";
}

TEST_F(HubArgs, TaskAssignGoesDirectlyWhenTheAgentConnectionLeftTheSession) {
    ConnId agentConn = client();
    ConnId submitter = client();
    ConnId other = client();
    registerAgent(agentConn, "a1", "w");
    expectOk(other, "join-session", "\"s1\"");
    expectOk(agentConn, "leave-session", "\"s1\"");
    Outbox out;
    expectOk(submitter, "start-task", R"({"sessionId":"s1","id":"t1"})", &out);
    auto assign = argsTo(out, agentConn, "TASK_ASSIGN");
    ASSERT_EQ(assign.size(), 1u) << "exactly once";
    EXPECT_FALSE(assign[0].HasMember("room"));
    EXPECT_FALSE(assign[0].HasMember("offset"));
    EXPECT_FALSE(assign[0].HasMember("epoch"));
    EXPECT_EQ(argsTypes(out, agentConn), std::vector<std::string>{"TASK_ASSIGN"}) << "no other session traffic";
    // And the cancel that follows goes the same way.
    expectOk(submitter, "cancel-task", R"({"sessionId":"s1","taskId":"t1"})", &out);
    auto cancels = argsTo(out, agentConn, "TASK_CANCEL");
    ASSERT_EQ(cancels.size(), 1u);
    EXPECT_FALSE(cancels[0].HasMember("room"));
    EXPECT_STREQ(cancels[0]["msg"]["payload"]["agentId"].GetString(), "a1");
}

TEST_F(HubArgs, ClosingAnAgentConnectionAnnouncesAndRequeues) {
    ConnId first = client();
    ConnId second = client();
    ConnId submitter = client();
    registerAgent(first, "a1", "w");
    now += 10;
    registerAgent(second, "b1", "w");
    expectOk(submitter, "start-task", R"({"sessionId":"s1","id":"t1"})");
    Outbox out = close(first);
    auto unregister = argsTo(out, second, "AGENT_UNREGISTER");
    ASSERT_EQ(unregister.size(), 1u);
    EXPECT_STREQ(unregister[0]["msg"]["payload"]["agentId"].GetString(), "a1");
    EXPECT_STREQ(unregister[0]["msg"]["payload"]["reason"].GetString(), "disconnected");
    auto assign = argsTo(out, second, "TASK_ASSIGN");
    ASSERT_EQ(assign.size(), 1u);
    EXPECT_STREQ(assign[0]["msg"]["agentId"].GetString(), "b1");
    for (const auto& a : out) EXPECT_FALSE(a.concerns(first)) << "nothing is sent to the closed connection";
}

TEST_F(HubArgs, SessionRoomHistoryAndRecoveryHoldArgsFrames) {
    ConnId agentConn = client();
    Outbox out;
    registerAgent(agentConn, "a1", "w", &out);
    std::string epoch = argsTo(out, agentConn, "AGENT_REGISTER").at(0)["epoch"].GetString();
    expectOk(agentConn, "start-task", R"({"id":"t1"})");
    expectOk(agentConn, "task-complete", R"({"taskId":"t1","agentId":"a1","result":1})");
    Document h = request(agentConn, "history", "\"room\":\"$session:s1\"");
    ASSERT_TRUE(isOk(h)) << str(h);
    const Value& messages = h["data"]["messages"];
    ASSERT_GE(messages.Size(), 4u);
    std::uint64_t expected = 1;
    for (const auto& f : messages.GetArray()) {
        EXPECT_STREQ(f["op"].GetString(), "args");
        EXPECT_STREQ(f["room"].GetString(), kRoom);
        EXPECT_EQ(f["epoch"].GetString(), epoch);
        EXPECT_EQ(f["offset"].GetUint64(), expected++);
        EXPECT_TRUE(f["msg"].IsObject());
    }
    // A late joiner recovers everything after offset 1.
    ConnId late = client();
    Document joined = request(late, "join",
                              "\"room\":\"$session:s1\",\"since\":{\"epoch\":\"" + epoch + "\",\"offset\":1}");
    ASSERT_TRUE(isOk(joined)) << str(joined);
    EXPECT_TRUE(joined["data"]["recovered"].IsTrue());
    const Value& missed = joined["data"]["missed"];
    ASSERT_EQ(missed.Size(), messages.Size() - 1);
    EXPECT_EQ(missed[0]["offset"].GetUint64(), 2u);
    EXPECT_STREQ(missed[0]["msg"]["type"].GetString(), "TASK_START");
}

TEST_F(HubArgs, RequiresAckWithoutRefGetsAnAckFrame) {
    ConnId c = client();
    std::string msg = argsMessage(MessageType::AgentRegister, "s1", R"({"id":"a1","type":"w"})", R"({"requiresAck":true})");
    Document m = parse(msg);
    Outbox out = send(c, "{\"op\":\"args\",\"msg\":" + msg + "}");
    auto acks = framesTo(out, c, "ack");
    ASSERT_EQ(acks.size(), 1u);
    EXPECT_EQ(std::string(acks[0]["id"].GetString()), m["id"].GetString());
    EXPECT_TRUE(acks[0]["ok"].IsTrue());
    EXPECT_TRUE(framesTo(out, c, "reply").empty());

    // A refused one is acked with ok:false and the error.
    std::string bad = argsMessage(MessageType::AgentRegister, "s1", R"({"type":"w"})", R"({"requiresAck":true})");
    out = send(c, "{\"op\":\"args\",\"msg\":" + bad + "}");
    acks = framesTo(out, c, "ack");
    ASSERT_EQ(acks.size(), 1u);
    EXPECT_EQ(std::string(acks[0]["id"].GetString()), parse(bad)["id"].GetString());
    EXPECT_TRUE(acks[0]["ok"].IsFalse());
    EXPECT_EQ(errorCode(acks[0]), "bad_request");
    EXPECT_TRUE(framesTo(out, c, "error").empty());

    // With a ref, the reply is the answer and there is no ack.
    Document r = args(c, MessageType::Heartbeat, "s1", R"({"agentId":"a1","status":"idle"})", &out, R"({"requiresAck":true})");
    EXPECT_TRUE(isOk(r));
    EXPECT_TRUE(framesTo(out, c, "ack").empty());
}

TEST_F(HubArgs, BadArgsInputIsBadRequestNamingTheField) {
    ConnId c = client();
    Document r = request(c, "args", R"("msg":{"id":"m1","timestamp":1,"sessionId":"s1","payload":null})");
    EXPECT_EQ(errorCode(r), "bad_request");
    EXPECT_STREQ(r["error"]["details"]["field"].GetString(), "msg.type");

    r = request(c, "args", "\"msg\":" + argsMessage(MessageType::AgentRegister, "bad session", "{}"));
    EXPECT_EQ(errorCode(r), "bad_request");
    EXPECT_STREQ(r["error"]["details"]["field"].GetString(), "msg.sessionId");

    r = args(c, MessageType::AgentRegister, "s1", R"({"type":"w"})");
    EXPECT_EQ(errorCode(r), "bad_request");
    EXPECT_STREQ(r["error"]["details"]["field"].GetString(), "payload.id");

    r = sendEvent(c, "start-task", R"({"priority":"urgent"})");
    EXPECT_EQ(errorCode(r), "bad_request");
    EXPECT_STREQ(r["error"]["details"]["field"].GetString(), "payload.priority");

    r = sendEvent(c, "start-task", R"({"sessionId":"no spaces allowed"})");
    EXPECT_EQ(errorCode(r), "bad_request");

    r = sendEvent(c, "join-session", "42");
    EXPECT_EQ(errorCode(r), "bad_request");

    // Without a ref the error comes as an error frame.
    Outbox out = send(c, R"({"op":"args","msg":{"id":"m2","type":"NOPE","timestamp":1,"sessionId":"s1","payload":{}}})");
    auto errors = framesTo(out, c, "error");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errorCode(errors[0]), "bad_request");
    EXPECT_STREQ(errors[0]["op_of"].GetString(), "args");
    EXPECT_STREQ(errors[0]["error"]["details"]["field"].GetString(), "msg.type");

    // An unknown event with no webhook is not_found.
    EXPECT_EQ(errorCode(sendEvent(c, "make-coffee", "{}")), "not_found");
}

TEST_F(HubArgs, ExpiredTtlIsRefused) {
    ConnId c = client();
    std::string msg = "{\"id\":\"old\",\"type\":\"SYNC_REQUEST\",\"timestamp\":" + std::to_string(now - 10'000) +
                      ",\"sessionId\":\"s1\",\"payload\":null,\"metadata\":{\"ttl\":1000}}";
    Document r = request(c, "args", "\"msg\":" + msg);
    EXPECT_EQ(errorCode(r), "expired");
}

TEST_F(HubArgs, SyncReplyCarriesTheSessionRoomPosition) {
    ConnId agentConn = client();
    Outbox out;
    registerAgent(agentConn, "a1", "w", &out);
    std::string epoch = argsTo(out, agentConn, "AGENT_REGISTER").at(0)["epoch"].GetString();
    expectOk(agentConn, "start-task", R"({"id":"t1"})", &out);
    std::uint64_t last = 0;
    for (const auto& f : framesTo(out, agentConn, "args")) last = std::max<std::uint64_t>(last, f["offset"].GetUint64());
    EXPECT_EQ(last, 3u) << "AGENT_REGISTER, TASK_START, TASK_ASSIGN";

    Document sync = args(agentConn, MessageType::SyncRequest, "s1", "{}");
    ASSERT_TRUE(isOk(sync)) << str(sync);
    EXPECT_EQ(sync["data"]["epoch"].GetString(), epoch);
    EXPECT_EQ(sync["data"]["offset"].GetUint64(), last);
    EXPECT_STREQ(sync["data"]["sessionId"].GetString(), "s1");
    EXPECT_EQ(sync["data"]["metrics"]["totalTasks"].GetUint(), 1u);

    // Without a ref it comes as a SYNC_RESPONSE message to the requester only.
    ConnId other = client();
    expectOk(other, "join-session", "\"s1\"");
    out = send(agentConn, "{\"op\":\"args\",\"msg\":" + argsMessage(MessageType::SyncRequest, "s1", "null") + "}");
    auto responses = argsTo(out, agentConn, "SYNC_RESPONSE");
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_FALSE(responses[0].HasMember("room"));
    EXPECT_EQ(responses[0]["msg"]["payload"]["epoch"].GetString(), epoch);
    EXPECT_EQ(responses[0]["msg"]["payload"]["offset"].GetUint64(), last);
    EXPECT_TRUE(argsTo(out, other, "SYNC_RESPONSE").empty());
}

TEST_F(HubArgs, BinaryChunkIsForwardedByteIdenticalToOtherMembers) {
    ConnId sender = client();
    ConnId member = client();
    ConnId outsider = client();
    registerAgent(sender, "a1", "w");
    expectOk(member, "join-session", "\"s1\"");
    expectOk(sender, "start-stream", R"({"streamId":"bin","type":"binary","qualityOfService":"real-time"})");
    std::string header = R"({"sessionId":"s1","streamId":"bin","seq":0,"isLast":false})";
    std::string frame;
    frame.push_back(0);
    frame.push_back(0);
    frame.push_back(static_cast<char>((header.size() >> 8) & 0xff));
    frame.push_back(static_cast<char>(header.size() & 0xff));
    frame += header;
    frame += std::string("\x00\x01\xfe\xff raw", 8);
    Outbox out = sendBinary(sender, frame);
    auto got = binariesTo(out, member);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], frame);
    for (const auto& a : out)
        if (a.sendsTo(member) && a.binary) {
            EXPECT_TRUE(a.droppable) << "real-time chunks may be dropped for slow receivers";
        }
    EXPECT_TRUE(binariesTo(out, sender).empty()) << "not echoed";
    EXPECT_TRUE(binariesTo(out, outsider).empty());
    EXPECT_TRUE(framesTo(out, sender, "error").empty());

    // The last chunk ends the stream after it is forwarded.
    std::string lastHeader = R"({"sessionId":"s1","streamId":"bin","seq":1,"isLast":true})";
    std::string last = std::string("\0\0\0", 3) + static_cast<char>(lastHeader.size()) + lastHeader + "end";
    out = sendBinary(sender, last);
    ASSERT_EQ(binariesTo(out, member).size(), 1u);
    EXPECT_EQ(binariesTo(out, member)[0], last);
    EXPECT_EQ(argsTo(out, member, "STREAM_END").size(), 1u);
    std::size_t binaryAt = 0, endAt = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (!out[i].concerns(member)) continue;
        if (out[i].binary) binaryAt = i;
        else if (out[i].frame && out[i].frame->find("STREAM_END") != std::string::npos) endAt = i;
    }
    EXPECT_LT(binaryAt, endAt) << "the chunk comes before the end";

    // A chunk for the ended stream is refused, to the sender only.
    out = sendBinary(sender, frame);
    EXPECT_EQ(errorCode(framesTo(out, sender, "error").at(0)), "not_found");
    EXPECT_TRUE(binariesTo(out, member).empty());
}

TEST_F(HubArgs, BadBinaryChunksAreBadRequests) {
    ConnId sender = client();
    ConnId member = client();
    registerAgent(sender, "a1", "w");
    expectOk(member, "join-session", "\"s1\"");
    expectOk(sender, "start-stream", R"({"streamId":"bin","type":"binary","qualityOfService":"guaranteed"})");
    auto withHeader = [](const std::string& header, const std::string& body) {
        std::string f = std::string("\0\0", 2);
        f.push_back(static_cast<char>((header.size() >> 8) & 0xff));
        f.push_back(static_cast<char>(header.size() & 0xff));
        return f + header + body;
    };
    const std::string bad[] = {
        std::string("\0\0", 2),
        std::string("\0\0\0\x50", 4) + "{}",
        withHeader("not json", "x"),
        withHeader(R"({"streamId":"bin","seq":0})", "x"),
        withHeader(R"({"sessionId":"s1","seq":0})", "x"),
        withHeader(R"({"sessionId":"s1","streamId":"bin","seq":-1})", "x"),
        withHeader(R"({"sessionId":"s1","streamId":"bin","seq":3})", "x"),  // a gap in a guaranteed stream
    };
    for (const auto& frame : bad) {
        Outbox out = sendBinary(sender, frame);
        auto errors = framesTo(out, sender, "error");
        ASSERT_EQ(errors.size(), 1u);
        EXPECT_EQ(errorCode(errors[0]), "bad_request");
        EXPECT_TRUE(binariesTo(out, member).empty());
    }
    // Someone else's stream is forbidden.
    Outbox out = sendBinary(member, withHeader(R"({"sessionId":"s1","streamId":"bin","seq":0})", "x"));
    EXPECT_EQ(errorCode(framesTo(out, member, "error").at(0)), "forbidden");
    EXPECT_TRUE(binariesTo(out, sender).empty());
}

TEST_F(HubArgs, StreamDataRoutingByQualityOfService) {
    ConnId sender = client();
    ConnId member = client();
    registerAgent(sender, "a1", "w");
    expectOk(member, "join-session", "\"s1\"");
    expectOk(sender, "start-stream", R"({"streamId":"g","qualityOfService":"guaranteed"})");
    expectOk(sender, "start-stream", R"({"streamId":"be","qualityOfService":"best-effort"})");
    expectOk(sender, "start-stream", R"({"streamId":"rt","qualityOfService":"real-time"})");
    Outbox out;
    expectOk(sender, "stream-chunk", R"({"streamId":"g","seq":0,"chunk":"a"})", &out);
    auto g = argsTo(out, member, "STREAM_DATA");
    ASSERT_EQ(g.size(), 1u);
    EXPECT_STREQ(g[0]["room"].GetString(), kRoom) << "guaranteed chunks go through the room";

    expectOk(sender, "stream-chunk", R"({"streamId":"be","seq":0,"chunk":"b"})", &out);
    auto be = argsTo(out, member, "STREAM_DATA");
    ASSERT_EQ(be.size(), 1u);
    EXPECT_FALSE(be[0].HasMember("room")) << "best-effort chunks are not kept";
    EXPECT_TRUE(argsTo(out, sender, "STREAM_DATA").empty());
    for (const auto& a : out)
        if (a.concerns(member)) {
            EXPECT_FALSE(a.droppable);
        }

    expectOk(sender, "stream-chunk", R"({"streamId":"rt","seq":0,"chunk":"c"})", &out);
    bool droppable = false;
    for (const auto& a : out)
        if (a.sendsTo(member) && a.frame->find("STREAM_DATA") != std::string::npos) droppable = a.droppable;
    EXPECT_TRUE(droppable);

    std::string history = roomHistoryTypes(member);
    std::size_t dataInHistory = 0;
    for (std::size_t pos = history.find("STREAM_DATA"); pos != std::string::npos; pos = history.find("STREAM_DATA", pos + 1))
        ++dataInHistory;
    EXPECT_EQ(dataInHistory, 1u) << history;
}

TEST_F(HubArgs, StatsCountSessionsAgentsTasksAndErrors) {
    ConnId agentConn = client();
    ConnId submitter = client();
    registerAgent(agentConn, "a1", "w", nullptr, 1);
    expectOk(submitter, "start-task", R"({"sessionId":"s1","id":"t1"})");
    now += 100;
    expectOk(agentConn, "task-complete", R"({"taskId":"t1","agentId":"a1","result":1})");
    expectOk(submitter, "start-task", R"({"id":"t2"})");
    now += 300;
    expectOk(agentConn, "task-complete", R"({"taskId":"t2","agentId":"a1","result":2})");
    expectOk(submitter, "start-task", R"({"id":"t3"})");
    expectOk(agentConn, "task-error", R"({"taskId":"t3","agentId":"a1","code":"E"})");
    expectOk(submitter, "start-task", R"({"id":"t4","requirements":{"agentTypes":["none"]}})");
    expectOk(agentConn, "start-stream", R"({"streamId":"st"})");
    auto stats = hub().stats(now);
    EXPECT_EQ(stats.activeSessions, 1u);
    EXPECT_EQ(stats.totalAgents, 1u);
    EXPECT_EQ(stats.activeStreams, 1u);
    EXPECT_EQ(stats.totalTasks, 4u);
    EXPECT_EQ(stats.completedTasks, 2u);
    EXPECT_NEAR(stats.errorRate, 100.0 / 3.0, 1e-9) << "failed tasks as a percent of finished ones";
    EXPECT_DOUBLE_EQ(stats.avgExecutionTime, 200.0);
    Document json = parse(brolostack::server::statsToJson(stats));
    for (const char* key : {"environment", "activeSessions", "connectedClients", "totalAgents", "activeStreams",
                            "totalTasks", "completedTasks", "errorRate", "avgExecutionTime", "uptime"})
        EXPECT_TRUE(json.HasMember(key)) << key;
    close(agentConn);
    stats = hub().stats(now);
    EXPECT_EQ(stats.totalAgents, 0u) << "offline agents are not counted";
    EXPECT_EQ(stats.activeStreams, 0u);
}

TEST_F(HubArgs, HttpStartTaskIsAnnouncedAndAssigned) {
    ConnId agentConn = client();
    registerAgent(agentConn, "a1", "w");
    Outbox out;
    auto r = hub().startTask("s1", R"({"id":"http-1","payload":{"via":"http"}})", now, out);
    ASSERT_TRUE(std::holds_alternative<std::string>(r));
    EXPECT_STREQ(parse(std::get<std::string>(r))["state"].GetString(), "queued");
    EXPECT_EQ(argsTypes(out, agentConn), (std::vector<std::string>{"TASK_START", "TASK_ASSIGN"}));
    auto bad = hub().startTask("s1", R"({"priority":"urgent"})", now, out);
    ASSERT_TRUE(std::holds_alternative<Error>(bad));
    EXPECT_EQ(codeName(std::get<Error>(bad).code), "bad_request");
}

TEST_F(HubArgs, IdleSessionClosureIsAnnounced) {
    settings.sessionIdleTimeoutMs = 5000;
    ConnId watcher = client();
    expectOk(watcher, "join-session", "\"s1\"");
    Outbox out = advance(4999);
    EXPECT_TRUE(framesTo(out, watcher, "args").empty());
    out = advance(1);
    auto closed = argsTo(out, watcher, "SYNC_RESPONSE");
    ASSERT_EQ(closed.size(), 1u);
    EXPECT_STREQ(closed[0]["msg"]["payload"]["state"].GetString(), "closed");
    EXPECT_STREQ(closed[0]["msg"]["payload"]["reason"].GetString(), "idle");
    EXPECT_TRUE(std::holds_alternative<Error>(hub().sessionSnapshotJson("s1")));
}

TEST_F(HubArgs, RepeatedMidStartsOneTask) {
    ConnId c = client();
    Document first = request(c, "send", R"("event":"start-task","data":{"id":"once"},"mid":"m-1")");
    ASSERT_TRUE(isOk(first));
    Document second = request(c, "send", R"("event":"start-task","data":{"id":"once"},"mid":"m-1")");
    ASSERT_TRUE(isOk(second)) << "a repeat is not a conflict";
    EXPECT_TRUE(second["data"]["duplicate"].IsTrue());
    EXPECT_EQ(hub().stats(now).totalTasks, 1u);
}

}  // namespace
}  // namespace argstest
