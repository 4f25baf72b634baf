// ARGS agents (PROTOCOL.md section 7, "Agents"): registration and its
// defaults, ownership, limits, unregistering, disconnects and heartbeats.
#include "args_test_support.hpp"

#include <algorithm>
#include <set>

namespace argstest {
namespace {

using ArgsAgents = ArgsTest;

const Value* findAgent(const Document& snap, const std::string& id) {
    for (const auto& a : snap["agents"].GetArray())
        if (a["id"].GetString() == id) return &a;
    return nullptr;
}

TEST_F(ArgsAgents, RegisterFillsDefaultsAndAnnouncesStoredInfo) {
    Outputs out;
    Document reply = parse(ok(1, MessageType::AgentRegister, R"({"id":"a1","type":"analyzer","capabilities":["nlp"]})", &out));
    const Value& stored = reply["agent"];
    EXPECT_STREQ(stored["id"].GetString(), "a1");
    EXPECT_STREQ(stored["type"].GetString(), "analyzer");
    EXPECT_EQ(str(stored["capabilities"]), R"(["nlp"])");
    EXPECT_STREQ(stored["status"].GetString(), "idle");
    EXPECT_STREQ(stored["metadata"]["name"].GetString(), "a1");
    EXPECT_EQ(stored["metadata"]["maxConcurrentTasks"].GetUint(), 1u);
    EXPECT_EQ(stored["metadata"]["currentTasks"].GetUint(), 0u);

    auto announced = ofType(out, MessageType::AgentRegister);
    ASSERT_EQ(announced.size(), 1u);
    EXPECT_EQ(announced[0]->route, Route::Announce);
    EXPECT_EQ(announced[0]->msg.sessionId, "s1");
    EXPECT_EQ(announced[0]->msg.agentId, std::optional<std::string>("a1"));
    EXPECT_EQ(announced[0]->msg.payloadJson, str(stored)) << "the announcement carries the stored info";

    Document snap = snapshot();
    ASSERT_EQ(snap["agents"].Size(), 1u);
    EXPECT_EQ(str(snap["agents"][0]), str(stored));
    EXPECT_EQ(coord().ownerOf("s1", "a1"), std::optional<Owner>(1));
}

TEST_F(ArgsAgents, RegisterKeepsGivenStatusAndMetadata) {
    Outputs out;
    Document reply = parse(ok(1, MessageType::AgentRegister,
                              R"({"id":"a1","type":"t","capabilities":[],"status":"busy",)"
                              R"("metadata":{"name":"Analyzer One","version":"2.1","maxConcurrentTasks":3,"currentTasks":7}})",
                              &out));
    const Value& stored = reply["agent"];
    EXPECT_STREQ(stored["status"].GetString(), "busy");
    EXPECT_STREQ(stored["metadata"]["name"].GetString(), "Analyzer One");
    EXPECT_STREQ(stored["metadata"]["version"].GetString(), "2.1");
    EXPECT_EQ(stored["metadata"]["maxConcurrentTasks"].GetUint(), 3u);
    // currentTasks is the server's count, not the client's claim.
    EXPECT_EQ(stored["metadata"]["currentTasks"].GetUint(), 0u);
    Document announced = payloadOf(*ofType(out, MessageType::AgentRegister).at(0));
    EXPECT_STREQ(announced["metadata"]["name"].GetString(), "Analyzer One");
    EXPECT_EQ(agent("a1").info.maxConcurrentTasks, 3u);
}

TEST_F(ArgsAgents, BadAgentInfoNamesTheField) {
    struct Case {
        std::string payload;
        std::string field;
    };
    const Case cases[] = {
        {R"({"type":"t"})", "payload.id"},
        {R"({"id":"","type":"t"})", "payload.id"},
        {R"({"id":5,"type":"t"})", "payload.id"},
        {R"({"id":"a"})", "payload.type"},
        {R"({"id":"a","type":"t","capabilities":"nlp"})", "payload.capabilities"},
        {R"({"id":"a","type":"t","capabilities":[1]})", "payload.capabilities"},
        {R"({"id":"a","type":"t","status":7})", "payload.status"},
        {R"({"id":"a","type":"t","metadata":[]})", "payload.metadata"},
        {R"({"id":"a","type":"t","metadata":{"maxConcurrentTasks":0}})", "payload.metadata.maxConcurrentTasks"},
        {R"({"id":"a","type":"t","metadata":{"maxConcurrentTasks":"2"}})", "payload.metadata.maxConcurrentTasks"},
        {R"({"id":"a","type":"t","metadata":{"name":3}})", "payload.metadata.name"},
    };
    for (const auto& c : cases) {
        Outputs out;
        Error e = fails(1, MessageType::AgentRegister, c.payload, &out);
        EXPECT_EQ(codeName(e.code), "bad_request") << c.payload;
        EXPECT_EQ(parse(e.detailsJson)["field"].GetString(), c.field) << c.payload;
        EXPECT_TRUE(out.empty()) << "a refused registration announces nothing";
    }
    Error e = fails(1, MessageType::AgentRegister, "null");
    EXPECT_EQ(codeName(e.code), "bad_request");
    EXPECT_TRUE(state().agents.empty()) << "nothing was registered";
}

TEST_F(ArgsAgents, ReRegisterFromSameOwnerUpdates) {
    registerAgent(1, "a1", "analyzer", {"nlp"});
    Outputs out = registerAgent(1, "a1", "writer", {"text", "summary"}, 2);
    auto announced = ofType(out, MessageType::AgentRegister);
    ASSERT_EQ(announced.size(), 1u);
    Document p = payloadOf(*announced[0]);
    EXPECT_STREQ(p["type"].GetString(), "writer");
    EXPECT_EQ(str(p["capabilities"]), R"(["text","summary"])");
    EXPECT_EQ(p["metadata"]["maxConcurrentTasks"].GetUint(), 2u);
    Document snap = snapshot();
    ASSERT_EQ(snap["agents"].Size(), 1u);
    EXPECT_STREQ(snap["agents"][0]["type"].GetString(), "writer");
}

TEST_F(ArgsAgents, ReRegisterFromAnotherOwnerWhileOnlineIsConflict) {
    registerAgent(1, "a1", "analyzer", {"nlp"});
    Outputs out;
    Error e = fails(2, MessageType::AgentRegister, R"({"id":"a1","type":"thief"})", &out);
    EXPECT_EQ(codeName(e.code), "conflict");
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(agent("a1").info.type, "analyzer");
    EXPECT_EQ(coord().ownerOf("s1", "a1"), std::optional<Owner>(1));
}

TEST_F(ArgsAgents, AfterTheOwnerIsGoneAnotherOwnerMayRegisterTheId) {
    registerAgent(1, "a1", "analyzer", {"nlp"});
    gone(1);
    EXPECT_FALSE(coord().ownerOf("s1", "a1").has_value());
    Outputs out = registerAgent(2, "a1", "analyzer", {"nlp"});
    EXPECT_EQ(ofType(out, MessageType::AgentRegister, Route::Announce).size(), 1u);
    EXPECT_EQ(coord().ownerOf("s1", "a1"), std::optional<Owner>(2));
    EXPECT_TRUE(agent("a1").online);
    // And now the first owner, were it to come back with the same id, is refused.
    EXPECT_EQ(codeName(fails(1, MessageType::AgentRegister, R"({"id":"a1","type":"analyzer"})").code), "conflict");
}

TEST_F(ArgsAgents, MaxAgentsPerSessionIsLimitExceeded) {
    settings.maxAgentsPerSession = 2;
    registerAgent(1, "a1", "t");
    registerAgent(1, "a2", "t");
    Outputs out;
    Error e = fails(2, MessageType::AgentRegister, R"({"id":"a3","type":"t"})", &out);
    EXPECT_EQ(codeName(e.code), "limit_exceeded");
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(state().agents.count("a3"), 0u);
    // Re-registering an existing agent is not a new one.
    registerAgent(1, "a2", "t2");
    EXPECT_EQ(agent("a2").info.type, "t2");
    EXPECT_EQ(codeName(fails(2, MessageType::AgentRegister, R"({"id":"a3","type":"t"})").code), "limit_exceeded");
}

TEST_F(ArgsAgents, LimitCountsOnlineAgentsAndIsPerSession) {
    settings.maxAgentsPerSession = 1;
    registerAgent(1, "a1", "t");
    EXPECT_EQ(codeName(fails(2, MessageType::AgentRegister, R"({"id":"a2","type":"t"})").code), "limit_exceeded");
    // Another session has room of its own.
    auto other = handle(2, message(MessageType::AgentRegister, R"({"id":"a2","type":"t"})", "s2"));
    EXPECT_TRUE(std::holds_alternative<std::string>(other));
    // Once a1's connection is gone, s1 has room again.
    gone(1);
    registerAgent(3, "a3", "t");
    EXPECT_TRUE(agent("a3").online);
}

TEST_F(ArgsAgents, UnregisterByNonOwnerIsForbidden) {
    registerAgent(1, "a1", "t");
    Outputs out;
    Error e = fails(2, MessageType::AgentUnregister, R"({"agentId":"a1"})", &out);
    EXPECT_EQ(codeName(e.code), "forbidden");
    EXPECT_TRUE(out.empty());
    EXPECT_TRUE(agent("a1").online);
    EXPECT_EQ(codeName(fails(1, MessageType::AgentUnregister, R"({"agentId":"zz"})").code), "not_found");
    EXPECT_EQ(codeName(fails(1, MessageType::AgentUnregister, R"({})").code), "bad_request");
}

TEST_F(ArgsAgents, UnregisterByOwnerAnnouncesAndRemoves) {
    registerAgent(1, "a1", "t");
    Outputs out;
    ok(1, MessageType::AgentUnregister, R"({"agentId":"a1"})", &out);
    auto announced = ofType(out, MessageType::AgentUnregister, Route::Announce);
    ASSERT_EQ(announced.size(), 1u);
    Document p = payloadOf(*announced[0]);
    EXPECT_STREQ(p["agentId"].GetString(), "a1");
    EXPECT_FALSE(coord().ownerOf("s1", "a1").has_value());
    EXPECT_EQ(findAgent(snapshot(), "a1"), nullptr);
    // The id is free for anyone now.
    registerAgent(2, "a1", "t");
}

TEST_F(ArgsAgents, OwnerGoneAnnouncesDisconnectedForEachOfItsAgents) {
    registerAgent(1, "a1", "t");
    registerAgent(1, "a2", "t");
    registerAgent(2, "b1", "t");
    Outputs out = gone(1);
    auto announced = ofType(out, MessageType::AgentUnregister);
    ASSERT_EQ(announced.size(), 2u);
    std::set<std::string> ids;
    for (const auto* r : announced) {
        EXPECT_EQ(r->route, Route::Announce);
        Document p = payloadOf(*r);
        EXPECT_STREQ(p["reason"].GetString(), "disconnected");
        ids.insert(p["agentId"].GetString());
    }
    EXPECT_EQ(ids, (std::set<std::string>{"a1", "a2"}));
    Document snap = snapshot();
    EXPECT_STREQ((*findAgent(snap, "a1"))["status"].GetString(), "offline");
    EXPECT_STREQ((*findAgent(snap, "b1"))["status"].GetString(), "idle");
    EXPECT_TRUE(agent("b1").online);
    // A second close of the same owner says nothing more.
    EXPECT_TRUE(gone(1).empty());
}

TEST_F(ArgsAgents, OwnerGoneRequeuesItsWorkOnAnotherAgent) {
    registerAgent(1, "a1", "worker");
    std::string id = startTask(9, R"({"id":"t1","requirements":{"agentTypes":["worker"]}})");
    EXPECT_EQ(task(id).stages[0].agentId, "a1");
    registerAgent(2, "b1", "worker");
    Outputs out = gone(1);
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 1u);
    EXPECT_EQ(assigns[0].agentId, "b1");
    EXPECT_EQ(assigns[0].owner, 2u);
    EXPECT_EQ(agent("a1").currentTasks, 0u);
    EXPECT_EQ(agent("b1").currentTasks, 1u);
    EXPECT_TRUE(terminalEvents(log, "t1").empty());
    complete(2, "t1", "b1", "\"ok\"");
    expectOneTerminal("t1", MessageType::TaskComplete, "completed");
    expectLoadConsistent();
}

TEST_F(ArgsAgents, HeartbeatUpdatesStatus) {
    registerAgent(1, "a1", "t");
    ok(1, MessageType::Heartbeat, R"({"agentId":"a1","status":"busy","currentTasks":0})");
    EXPECT_STREQ((*findAgent(snapshot(), "a1"))["status"].GetString(), "busy");
    EXPECT_EQ(codeName(fails(2, MessageType::Heartbeat, R"({"agentId":"a1","status":"idle"})").code), "forbidden");
    EXPECT_STREQ((*findAgent(snapshot(), "a1"))["status"].GetString(), "busy");
    EXPECT_EQ(codeName(fails(1, MessageType::Heartbeat, R"({"agentId":"ghost","status":"idle"})").code), "not_found");
    EXPECT_EQ(codeName(fails(1, MessageType::Heartbeat, R"({"status":"idle"})").code), "bad_request");
}

TEST_F(ArgsAgents, PausedAgentGetsNoWorkUntilItIsIdleAgain) {
    registerAgent(1, "a1", "worker");
    ok(1, MessageType::Heartbeat, R"({"agentId":"a1","status":"paused"})");
    Outputs out;
    startTask(9, R"({"id":"t1"})", &out);
    EXPECT_TRUE(assignments(out).empty()) << "a paused agent takes no new work";
    ok(1, MessageType::Heartbeat, R"({"agentId":"a1","status":"idle"})");
    advance(10);
    auto assigns = assignments(log);
    ASSERT_EQ(assigns.size(), 1u) << "the waiting task goes to the agent once it is available";
    EXPECT_EQ(assigns[0].agentId, "a1");
}

TEST_F(ArgsAgents, ServerOnlyTypesAreForbiddenFromClients) {
    EXPECT_EQ(codeName(fails(1, MessageType::TaskAssign, R"({"taskId":"x"})").code), "forbidden");
    EXPECT_EQ(codeName(fails(1, MessageType::SyncResponse, R"({})").code), "forbidden");
}

TEST_F(ArgsAgents, AgentsAreScopedToTheirSession) {
    registerAgent(1, "a1", "t");
    // The same id in another session is another agent, owned by whoever registers it.
    auto r = handle(2, message(MessageType::AgentRegister, R"({"id":"a1","type":"other"})", "s2"));
    EXPECT_TRUE(std::holds_alternative<std::string>(r));
    EXPECT_EQ(coord().ownerOf("s1", "a1"), std::optional<Owner>(1));
    EXPECT_EQ(coord().ownerOf("s2", "a1"), std::optional<Owner>(2));
    EXPECT_EQ(coord().totals().agents, 2u);
}

// Only messages that start something create a session; reads and reports
// for a session nobody started are not_found, and past MAX_SESSIONS a new
// session is limit_exceeded while the existing ones carry on.
}  // namespace
}  // namespace argstest

namespace argstest {
namespace {

using ArgsSessions = ArgsTest;

TEST_F(ArgsSessions, IdleSessionIsClosedAfterTheIdleTimeout) {
    settings.sessionIdleTimeoutMs = 1000;
    handle(1, message(MessageType::StreamStart, R"({"streamId":"st"})"));  // creates the session
    handle(1, message(MessageType::StreamEnd, R"({"streamId":"st"})"));
    std::vector<std::string> closed;
    advance(999, &closed);
    EXPECT_TRUE(closed.empty());
    ASSERT_NE(coord().findSession("s1"), nullptr);
    advance(1, &closed);
    EXPECT_EQ(closed, std::vector<std::string>{"s1"});
    EXPECT_EQ(coord().findSession("s1"), nullptr);
    EXPECT_FALSE(coord().snapshotJson("s1").has_value());
    EXPECT_TRUE(coord().sessionIds().empty());
    EXPECT_EQ(coord().totals().sessions, 0u);
}

TEST_F(ArgsSessions, ActivityKeepsASessionOpen) {
    settings.sessionIdleTimeoutMs = 1000;
    handle(1, message(MessageType::StreamStart, R"({"streamId":"st"})"));
    handle(1, message(MessageType::StreamEnd, R"({"streamId":"st"})"));
    std::vector<std::string> closed;
    advance(800, &closed);
    ok(1, MessageType::SyncRequest, "{}");
    advance(800, &closed);
    EXPECT_TRUE(closed.empty()) << "the idle clock restarted at the second message";
    advance(200, &closed);
    EXPECT_EQ(closed, std::vector<std::string>{"s1"});
}

TEST_F(ArgsSessions, NotClosedWhileAgentsAreOnline) {
    settings.sessionIdleTimeoutMs = 1000;
    registerAgent(1, "a", "w");
    std::vector<std::string> closed;
    advance(10'000, &closed);
    EXPECT_TRUE(closed.empty());
    EXPECT_TRUE(agent("a").online);
    gone(1);
    advance(1, &closed);
    EXPECT_EQ(closed, std::vector<std::string>{"s1"}) << "idle for long enough once the agent left";
}

TEST_F(ArgsSessions, NotClosedWhileATaskIsUnfinishedOrAStreamIsOpen) {
    settings.sessionIdleTimeoutMs = 1000;
    settings.assignTimeoutMs = 1'000'000;
    startTask(1, R"({"id":"waiting"})");
    handle(2, message(MessageType::StreamStart, R"({"streamId":"st"})", "s2"));
    std::vector<std::string> closed;
    advance(5000, &closed);
    EXPECT_TRUE(closed.empty());
    ASSERT_TRUE(std::holds_alternative<std::string>(cancel(1, "waiting")));
    handle(2, message(MessageType::StreamEnd, R"({"streamId":"st"})", "s2"));
    advance(999, &closed);
    EXPECT_TRUE(closed.empty());
    advance(1, &closed);
    std::sort(closed.begin(), closed.end());
    EXPECT_EQ(closed, (std::vector<std::string>{"s1", "s2"}));
}

TEST_F(ArgsSessions, AClosedSessionStartsFreshWhenUsedAgain) {
    settings.sessionIdleTimeoutMs = 1000;
    registerAgent(1, "a", "w");
    startTask(9, R"({"id":"t"})");
    complete(1, "t", "a");
    gone(1);
    advance(1000);
    ASSERT_EQ(coord().findSession("s1"), nullptr);
    log.clear();  // the old session's events
    EXPECT_EQ(codeName(fails(2, MessageType::SyncRequest, "{}").code), "not_found") << "a read does not bring it back";
    handle(2, message(MessageType::StreamStart, R"({"streamId":"st"})"));
    Document snap = snapshot();
    EXPECT_EQ(snap["agents"].Size(), 0u);
    EXPECT_EQ(snap["tasks"].Size(), 0u);
    EXPECT_EQ(snap["metrics"]["totalTasks"].GetUint(), 0u);
    // The old task id is free again.
    startTask(9, R"({"id":"t"})");
}

TEST_F(ArgsSessions, OnlyStartingMessagesCreateSessions) {
    for (auto type : {MessageType::SyncRequest, MessageType::Heartbeat, MessageType::TaskProgress, MessageType::TaskCancel,
                      MessageType::CollaborationRequest, MessageType::StreamEnd, MessageType::AgentUnregister}) {
        EXPECT_EQ(codeName(fails(1, type, R"({"taskId":"t","agentId":"a","streamId":"x"})").code), "not_found")
            << messageTypeName(type);
    }
    EXPECT_TRUE(coord().sessionIds().empty());
}

// Past MAX_SESSIONS a new session is limit_exceeded, over the socket and
// over HTTP alike, while the existing ones carry on.
TEST_F(ArgsSessions, TheNumberOfSessionsIsCapped) {
    settings.maxSessions = 2;
    registerAgent(1, "a", "w");  // s1
    ASSERT_FALSE(std::holds_alternative<Error>(handle(2, message(MessageType::StreamStart, R"({"streamId":"st"})", "s2"))));
    ASSERT_EQ(coord().sessionIds().size(), 2u);
    Result third = handle(3, message(MessageType::AgentRegister, R"({"id":"b","type":"w","capabilities":[]})", "s3"));
    ASSERT_TRUE(std::holds_alternative<Error>(third));
    EXPECT_EQ(codeName(std::get<Error>(third).code), "limit_exceeded");
    Result viaHttp = coord().startTask(9, "s4", brolostack::args::TaskDefinition{}, std::nullopt, now, log);
    ASSERT_TRUE(std::holds_alternative<Error>(viaHttp));
    EXPECT_EQ(codeName(std::get<Error>(viaHttp).code), "limit_exceeded");
    startTask(9, R"({"id":"still-fine"})");  // s1 exists: not a new session
    EXPECT_EQ(coord().sessionIds().size(), 2u);
}

}  // namespace
}  // namespace argstest
