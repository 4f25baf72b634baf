// ARGS sessions across nodes (server/node_messages.hpp): one node leads a
// session at a time; the others ask it, deliver what it announces to their
// members, and take the lead when its node dies, rebuilding the session
// from the broker's records without losing its tasks.
#include "cluster_test_support.hpp"

namespace hubtest {
namespace {

class ClusterArgsTest : public ClusterTest {
protected:
    ClusterArgsTest() { nodes.resize(3); }

    std::uint64_t sendEvent(std::size_t n, ConnId conn, const std::string& event, const std::string& data) {
        return sendText(n, conn, R"({"op":"send","ref":)" + std::to_string(++ref) + R"(,"event":")" + event +
                                     R"(","data":)" + data + "}");
    }
    /// Sends and settles; the answer must be a successful reply.
    Document expectOk(std::size_t n, ConnId conn, const std::string& event, const std::string& data) {
        std::uint64_t r = sendEvent(n, conn, event, data);
        settle();
        auto a = answer(n, conn, r);
        if (!a) {
            ADD_FAILURE() << event << " on node " << n << ": no answer";
            return parse("{}");
        }
        EXPECT_TRUE((*a)["ok"].IsTrue()) << event << " -> " << str(*a);
        return std::move(*a);
    }
    void registerAgent(std::size_t n, ConnId conn, const std::string& id, const std::string& type) {
        expectOk(n, conn, "register-agent",
                 R"({"sessionId":"s1","id":")" + id + R"(","type":")" + type + R"(","capabilities":[]})");
    }
    /// The ARGS messages of `type` that reached `conn` on node `n`.
    std::vector<Document> argsOf(std::size_t n, ConnId conn, const std::string& type) {
        std::vector<Document> found;
        for (auto& f : frames(n, conn, "args"))
            if (f["msg"]["type"].GetString() == type) found.push_back(std::move(f));
        return found;
    }
    /// The TASK_ASSIGNs for agent `agent` that reached `conn` (every member hears them all).
    std::vector<Document> assignsTo(std::size_t n, ConnId conn, const std::string& agent) {
        std::vector<Document> found;
        for (auto& f : argsOf(n, conn, "TASK_ASSIGN"))
            if (f["msg"]["payload"]["agentId"].GetString() == agent) found.push_back(std::move(f));
        return found;
    }
    std::string leaderOf(const std::string& session) { return sessions.leases[session]; }
};

TEST_F(ClusterArgsTest, AgentsOnOtherNodesWorkForTheSessionsLeaderAndEveryNodeHearsItsAnnouncements) {
    ConnId submitter = connect(0), agent = connect(1), watcher = connect(2);
    expectOk(0, submitter, "join-session", R"("s1")");
    expectOk(2, watcher, "join-session", R"("s1")");
    expectOk(0, submitter, "start-task", R"({"sessionId":"s1","id":"t1","requirements":{"agentTypes":["w"]},"payload":{"q":1}})");
    EXPECT_EQ(leaderOf("s1"), nodes[0].hub->nodeId()) << "the first node to ask leads";

    registerAgent(1, agent, "a1", "w");
    // The leader assigned the task to the agent on node 1, through the session.
    auto assigned = assignsTo(1, agent, "a1");
    ASSERT_EQ(assigned.size(), 1u);
    EXPECT_STREQ(assigned[0]["msg"]["payload"]["taskId"].GetString(), "t1");
    EXPECT_STREQ(assigned[0]["room"].GetString(), "$session:s1");
    EXPECT_EQ(argsOf(2, watcher, "TASK_ASSIGN").size(), 1u);
    EXPECT_EQ(argsOf(0, submitter, "TASK_ASSIGN").size(), 1u);

    expectOk(1, agent, "task-complete", R"({"sessionId":"s1","taskId":"t1","agentId":"a1","result":{"done":true}})");
    for (auto [n, conn] : {std::pair<std::size_t, ConnId>{0, submitter}, {1, agent}, {2, watcher}}) {
        auto completed = argsOf(n, conn, "TASK_COMPLETE");
        ASSERT_EQ(completed.size(), 1u) << "node " << n;
        EXPECT_EQ(str(completed[0]["msg"]["payload"]["result"]), R"({"done":true})");
    }
    // The leader kept the task in the broker's records.
    EXPECT_TRUE(sessions.records["s1"].count("task:t1"));
    EXPECT_TRUE(sessions.records["s1"].count("agent:a1"));
}

TEST_F(ClusterArgsTest, AnErrorFromTheLeaderReachesTheAskingConnection) {
    ConnId first = connect(0), other = connect(1);
    expectOk(0, first, "start-task", R"({"sessionId":"s1","id":"t1","requirements":{"agentTypes":["w"]}})");
    std::uint64_t r = sendEvent(1, other, "start-task", R"({"sessionId":"s1","id":"t1"})");
    settle();
    auto a = answer(1, other, r);
    ASSERT_TRUE(a);
    EXPECT_TRUE((*a)["ok"].IsFalse()) << str(*a);
    EXPECT_STREQ((*a)["error"]["code"].GetString(), "conflict") << str(*a);
}

TEST_F(ClusterArgsTest, APipelineCompletesWhenTheLeadersNodeDiesMidway) {
    ConnId submitter = connect(0), extractor = connect(1), reporter = connect(2), watcher = connect(2);
    expectOk(0, submitter, "join-session", R"("s1")");
    expectOk(2, watcher, "join-session", R"("s1")");
    sendEvent(0, submitter, "sync", R"({"sessionId":"s1"})");  // no session yet, but node 0 takes the lead
    settle();
    registerAgent(1, extractor, "ex", "extract");
    registerAgent(2, reporter, "re", "report");
    expectOk(0, submitter, "start-task",
             R"({"sessionId":"s1","id":"p","requirements":{"agentTypes":["extract","report"]},)"
             R"("payload":{"doc":"d"},"collaborationMode":"sequential"})");
    ASSERT_EQ(assignsTo(1, extractor, "ex").size(), 1u);

    kill(0);
    settle();
    std::string leader = leaderOf("s1");
    EXPECT_TRUE(leader == nodes[1].hub->nodeId() || leader == nodes[2].hub->nodeId()) << leader;
    // The stage the extractor held is its again in the rebuilt session.
    auto assigned = assignsTo(1, extractor, "ex");
    ASSERT_EQ(assigned.size(), 2u);
    EXPECT_EQ(assigned[1]["msg"]["payload"]["stage"].GetUint(), 0u);

    expectOk(1, extractor, "task-complete", R"({"sessionId":"s1","taskId":"p","agentId":"ex","result":{"r":1}})");
    auto second = assignsTo(2, reporter, "re");
    ASSERT_FALSE(second.empty());
    EXPECT_EQ(second.back()["msg"]["payload"]["stage"].GetUint(), 1u);
    EXPECT_EQ(str(second.back()["msg"]["payload"]["input"]), R"({"r":1})") << "stage 2 gets stage 1's result";
    expectOk(2, reporter, "task-complete", R"({"sessionId":"s1","taskId":"p","agentId":"re","result":{"report":"ok"}})");
    auto completed = argsOf(2, watcher, "TASK_COMPLETE");
    ASSERT_EQ(completed.size(), 1u);
    EXPECT_STREQ(completed[0]["msg"]["payload"]["taskId"].GetString(), "p");
}

TEST_F(ClusterArgsTest, AMessageForADeadLeaderWaitsUntilAnotherNodeLeads) {
    ConnId submitter = connect(0), extractor = connect(1), reporter = connect(2);
    sendEvent(0, submitter, "sync", R"({"sessionId":"s1"})");
    settle();
    registerAgent(1, extractor, "ex", "extract");
    registerAgent(2, reporter, "re", "report");
    expectOk(0, submitter, "start-task",
             R"({"sessionId":"s1","id":"p","requirements":{"agentTypes":["extract","report"]},)"
             R"("payload":{},"collaborationMode":"sequential"})");
    // Node 0 dies, and nobody noticed yet: the completion finds no one at its inbox.
    nodes[0].dead = true;
    std::uint64_t r = sendEvent(1, extractor, "task-complete", R"({"sessionId":"s1","taskId":"p","agentId":"ex","result":{"r":2}})");
    settle();
    EXPECT_FALSE(answer(1, extractor, r)) << "held, not refused";
    // At its next tick node 1 asks who leads: the dead node's lease is taken.
    run(1, [&](Outbox& o) { nodes[1].hub->tick(now, o); });
    settle();
    EXPECT_EQ(leaderOf("s1"), nodes[1].hub->nodeId());
    // Answered now: the rebuilt session gave the stage back to the
    // extractor as it registered again, before its held completion ran.
    auto a = answer(1, extractor, r);
    ASSERT_TRUE(a);
    EXPECT_TRUE((*a)["ok"].IsTrue()) << str(*a);
    auto second = assignsTo(2, reporter, "re");
    ASSERT_FALSE(second.empty()) << "the reporter was registered again with the new leader";
    EXPECT_EQ(str(second.back()["msg"]["payload"]["input"]), R"({"r":2})");
}

TEST_F(ClusterArgsTest, ANodeForgetsTheSessionsItNoLongerNeedsAndKeepsThoseItHasMembersIn) {
    ConnId submitter = connect(0), asker = connect(1), watcher = connect(2);
    expectOk(0, submitter, "start-task", R"({"sessionId":"s1","id":"t1","requirements":{"agentTypes":["w"]}})");
    expectOk(0, submitter, "start-task", R"({"sessionId":"s2","id":"t2","requirements":{"agentTypes":["w"]}})");
    expectOk(2, watcher, "join-session", R"("s1")");
    // Node 1 asks node 0 about both once, then needs them no more.
    sendEvent(1, asker, "sync", R"({"sessionId":"s1"})");
    sendEvent(1, asker, "sync", R"({"sessionId":"s2"})");
    settle();
    ASSERT_EQ(leaderOf("s1"), nodes[0].hub->nodeId());
    ASSERT_EQ(leaderOf("s2"), nodes[0].hub->nodeId());

    // Two prunes: the first finds what the nodes know of s1 and s2 used, the second forgets it.
    const std::int64_t step = 20000;  // below the heartbeat: the connections stay
    for (std::int64_t passed = 0; passed <= 2 * brolostack::server::SessionLeads::kPruneEveryMs; passed += step) {
        now += step;
        for (auto [n, conn] : {std::pair<std::size_t, ConnId>{0, submitter}, {1, asker}, {2, watcher}})
            sendText(n, conn, R"({"op":"ping","ts":1})");
        for (std::size_t n = 0; n < nodes.size(); ++n) run(n, [&](Outbox& o) { nodes[n].hub->tick(now, o); });
        settle();
    }

    // The leader's node dies. Node 2 has members in s1 and takes its lead at
    // once; it forgot s2, and node 1 forgot both: they ask nothing.
    const int asksOf1 = leadAsks[1], asksOf2 = leadAsks[2];
    kill(0);
    settle();
    EXPECT_EQ(leadAsks[2], asksOf2 + 1);
    EXPECT_EQ(leadAsks[1], asksOf1);
    EXPECT_EQ(leaderOf("s1"), nodes[2].hub->nodeId());

    // s2, led by nobody now, is asked for anew at its next message and rebuilt.
    std::uint64_t r = sendEvent(1, asker, "sync", R"({"sessionId":"s2"})");
    settle();
    EXPECT_EQ(leadAsks[1], asksOf1 + 1);
    EXPECT_EQ(leaderOf("s2"), nodes[1].hub->nodeId());
    auto a = answer(1, asker, r);
    ASSERT_TRUE(a);
    EXPECT_TRUE((*a)["ok"].IsTrue()) << str(*a);
    EXPECT_STREQ((*a)["data"]["tasks"][0]["id"].GetString(), "t2") << str(*a);
}

TEST_F(ClusterArgsTest, AClosedConnectionsAgentsGoOfflineAtTheLeader) {
    ConnId submitter = connect(0), agent = connect(1);
    expectOk(0, submitter, "join-session", R"("s1")");
    registerAgent(1, agent, "a1", "w");
    run(1, [&](Outbox& o) { nodes[1].hub->closed(agent, now, o); });
    settle();
    auto snapshot = expectOk(0, submitter, "sync", R"({"sessionId":"s1"})");
    const auto& agents = snapshot["data"]["agents"];
    ASSERT_TRUE(agents.IsArray()) << str(snapshot);
    ASSERT_EQ(agents.Size(), 1u);
    EXPECT_STREQ(agents[0]["status"].GetString(), "offline") << str(agents[0]);
}

TEST_F(ClusterArgsTest, ANodeThatNoLongerLeadsSendsTheAskerBackToTheBroker) {
    ConnId first = connect(0), other = connect(1);
    expectOk(0, first, "start-task", R"({"sessionId":"s1","id":"t1","requirements":{"agentTypes":["w"]}})");
    // Node 1 learnt who leads from node 0's announcement of the new session.
    expectOk(1, other, "sync", R"({"sessionId":"s1"})");
    // Node 0 lets the session go (its lease lapsed and nobody took it yet).
    sessions.leases.erase("s1");
    run(0, [&](Outbox& o) { nodes[0].hub->brokerSessionLost("s1", now, o); });
    settle();
    Document started = expectOk(1, other, "start-task", R"({"sessionId":"s1","id":"t2","requirements":{"agentTypes":["w"]}})");
    EXPECT_STREQ(started["data"]["taskId"].GetString(), "t2");
    EXPECT_EQ(leaderOf("s1"), nodes[1].hub->nodeId());
    // The new leader rebuilt the session from its records: t1 is there.
    Document snapshot = expectOk(1, other, "sync", R"({"sessionId":"s1"})");
    std::set<std::string> ids;
    for (const auto& t : snapshot["data"]["tasks"].GetArray()) ids.insert(t["id"].GetString());
    EXPECT_EQ(ids, (std::set<std::string>{"t1", "t2"}));
}

TEST_F(ClusterArgsTest, WhileTheBrokerCannotSayWhoLeadsASessionsMessagesAnswerUnavailable) {
    ConnId conn = connect(0);
    brokerDown = true;
    std::uint64_t r = sendEvent(0, conn, "start-task", R"({"sessionId":"s1","id":"t1"})");
    settle();
    auto a = answer(0, conn, r);
    ASSERT_TRUE(a);
    EXPECT_STREQ((*a)["error"]["code"].GetString(), "unavailable") << str(*a);
    brokerDown = false;
    expectOk(0, conn, "start-task", R"({"sessionId":"s1","id":"t1"})");
}

TEST_F(ClusterArgsTest, AnHttpStartOnANodeThatDoesNotLeadIsAnsweredByTheLeader) {
    ConnId first = connect(0);
    expectOk(0, first, "start-task", R"({"sessionId":"s1","id":"t1","requirements":{"agentTypes":["w"]}})");
    std::optional<std::variant<std::string, brolostack::protocol::Error>> answered;
    run(2, [&](Outbox& o) {
        nodes[2].hub->startTaskThen("s1", R"({"id":"t2","requirements":{"agentTypes":["w"]}})", now, o,
                                    [&](const auto& result) { answered = result; });
    });
    EXPECT_FALSE(answered) << "asked of the leader, answered later";
    settle();
    ASSERT_TRUE(answered);
    ASSERT_TRUE(std::holds_alternative<std::string>(*answered));
    Document reply = parse(std::get<std::string>(*answered));
    EXPECT_STREQ(reply["taskId"].GetString(), "t2");
    // Refused where it arrives when it cannot be a task definition.
    answered.reset();
    run(2, [&](Outbox& o) { nodes[2].hub->startTaskThen("s1", "[1]", now, o, [&](const auto& result) { answered = result; }); });
    ASSERT_TRUE(answered);
    ASSERT_TRUE(std::holds_alternative<brolostack::protocol::Error>(*answered));
    EXPECT_EQ(std::get<brolostack::protocol::Error>(*answered).code, brolostack::protocol::ErrorCode::BadRequest);
}

TEST_F(ClusterArgsTest, DeadLettersAndTheSessionListAreAnsweredFromAnyNode) {
    using Answer = std::optional<std::variant<std::string, brolostack::protocol::Error>>;
    ConnId submitter = connect(0), agentConn = connect(1);
    registerAgent(1, agentConn, "a1", "w");
    expectOk(0, submitter, "start-task", R"({"sessionId":"s1","id":"t1","requirements":{"agentTypes":["w"]}})");
    expectOk(1, agentConn, "task-error", R"({"sessionId":"s1","taskId":"t1","agentId":"a1","code":"E_DOWN","message":"down"})");
    ASSERT_EQ(leaderOf("s1"), nodes[1].hub->nodeId()) << "the agent's node asked first";

    // Node 2 leads nothing: it asks the leader, which answers with its dead letters.
    Answer letters, requeued, unknown, list;
    run(2, [&](Outbox& o) {
        nodes[2].hub->deadLettersThen("s1", now, o, [&](const auto& r) { letters = r; });
        nodes[2].hub->deadLettersThen("nobody", now, o, [&](const auto& r) { unknown = r; });
        nodes[2].hub->sessionsThen(o, [&](const auto& r) { list = r; });
    });
    EXPECT_FALSE(letters);
    settle();
    ASSERT_TRUE(letters && std::holds_alternative<std::string>(*letters));
    Document l = parse(std::get<std::string>(*letters));
    ASSERT_EQ(l["count"].GetUint(), 1u);
    EXPECT_STREQ(l["tasks"][0]["taskId"].GetString(), "t1");
    ASSERT_TRUE(unknown && std::holds_alternative<brolostack::protocol::Error>(*unknown));
    EXPECT_EQ(std::get<brolostack::protocol::Error>(*unknown).code, brolostack::protocol::ErrorCode::NotFound);
    ASSERT_TRUE(list && std::holds_alternative<std::string>(*list));
    Document sessionsListed = parse(std::get<std::string>(*list));
    EXPECT_EQ(sessionsListed["count"].GetUint(), 1u);
    EXPECT_STREQ(sessionsListed["sessions"][0].GetString(), "s1");

    // A requeue from node 2 puts the task back at the leader: the agent hears it again.
    std::size_t assignsBefore = assignsTo(1, agentConn, "a1").size();
    run(2, [&](Outbox& o) { nodes[2].hub->requeueThen("s1", "t1", now, o, [&](const auto& r) { requeued = r; }); });
    settle();
    ASSERT_TRUE(requeued && std::holds_alternative<std::string>(*requeued)) << std::get<brolostack::protocol::Error>(*requeued).message;
    EXPECT_STREQ(parse(std::get<std::string>(*requeued))["state"].GetString(), "queued");
    EXPECT_EQ(assignsTo(1, agentConn, "a1").size(), assignsBefore + 1);
    requeued.reset();
    run(2, [&](Outbox& o) { nodes[2].hub->requeueThen("s1", "t1", now, o, [&](const auto& r) { requeued = r; }); });
    settle();
    ASSERT_TRUE(requeued && std::holds_alternative<brolostack::protocol::Error>(*requeued));
    EXPECT_EQ(std::get<brolostack::protocol::Error>(*requeued).code, brolostack::protocol::ErrorCode::Conflict);
}

TEST_F(ClusterArgsTest, ABinaryChunkSentToANodeThatDoesNotLeadReachesEveryMemberThroughTheLeader) {
    ConnId submitter = connect(0), sender = connect(1), watcher = connect(2);
    registerAgent(0, submitter, "a0", "w");  // node 0 asks first: it leads
    expectOk(2, watcher, "join-session", R"("s1")");
    registerAgent(1, sender, "a1", "w");
    ASSERT_EQ(leaderOf("s1"), nodes[0].hub->nodeId());
    expectOk(1, sender, "start-stream", R"({"sessionId":"s1","streamId":"bin","type":"binary","qualityOfService":"guaranteed"})");
    auto chunk = [](int seq, bool last, const std::string& body) {
        std::string header = R"({"sessionId":"s1","streamId":"bin","seq":)" + std::to_string(seq) +
                             R"(,"isLast":)" + (last ? "true" : "false") + "}";
        return std::string("\0\0\0", 3) + static_cast<char>(header.size()) + header + body;
    };
    auto binaries = [&](std::size_t n, ConnId conn) {
        std::vector<std::string> got;
        for (const auto& a : nodes[n].log)
            if (a.sendsTo(conn) && a.binary) got.push_back(*a.frame);
        return got;
    };
    const std::string first = chunk(0, false, std::string("\x00\x01\xfe\xff raw", 8));
    run(1, [&](Outbox& o) { nodes[1].hub->receiveBinary(sender, first, now, o); });
    settle();
    // The very bytes, on the leader's node and on a third node; never back to the sender.
    EXPECT_EQ(binaries(0, submitter), std::vector<std::string>{first});
    EXPECT_EQ(binaries(2, watcher), std::vector<std::string>{first});
    EXPECT_TRUE(binaries(1, sender).empty());
    EXPECT_TRUE(frames(1, sender, "error").empty());
    // A gap in a guaranteed stream is refused by the leader, to the sender, and goes nowhere.
    run(1, [&](Outbox& o) { nodes[1].hub->receiveBinary(sender, chunk(5, false, "x"), now, o); });
    settle();
    auto errors = frames(1, sender, "error");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_STREQ(errors[0]["error"]["code"].GetString(), "bad_request");
    EXPECT_EQ(binaries(2, watcher).size(), 1u);
    // The last chunk arrives before the session hears the stream ended, on every node.
    const std::string last = chunk(1, true, "end");
    run(1, [&](Outbox& o) { nodes[1].hub->receiveBinary(sender, last, now, o); });
    settle();
    EXPECT_EQ(binaries(2, watcher).back(), last);
    ASSERT_EQ(argsOf(2, watcher, "STREAM_END").size(), 1u);
    std::size_t chunkAt = 0, endAt = 0;
    for (std::size_t i = 0; i < nodes[2].log.size(); ++i) {
        const auto& a = nodes[2].log[i];
        if (!a.concerns(watcher)) continue;
        if (a.binary) chunkAt = i;
        else if (a.frame && a.frame->find("STREAM_END") != std::string::npos) endAt = i;
    }
    EXPECT_LT(chunkAt, endAt);
}

TEST(NodeMessages, RoundTripAndRefuseWhatIsNotOne) {
    using brolostack::server::NodeMessage;
    NodeMessage ask;
    ask.kind = NodeMessage::Kind::Ask;
    ask.from = "n1";
    ask.ask = 7;
    ask.conn = 42;
    ask.msgJson = R"({"id":"m","type":"HEARTBEAT"})";
    auto back = brolostack::server::decodeNodeMessage(brolostack::server::encodeNodeMessage(ask));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->from, "n1");
    EXPECT_EQ(back->ask, 7u);
    EXPECT_EQ(back->conn, 42u);
    EXPECT_EQ(back->msgJson, ask.msgJson);
    EXPECT_EQ(back->request, "");
    ask.request = std::string(brolostack::server::kRequeueRequest);
    back = brolostack::server::decodeNodeMessage(brolostack::server::encodeNodeMessage(ask));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->request, "requeue");

    NodeMessage failed;
    failed.kind = NodeMessage::Kind::Answer;
    failed.from = "n2";
    failed.ask = 7;
    failed.error = brolostack::protocol::makeError(brolostack::protocol::ErrorCode::Conflict, "taken");
    back = brolostack::server::decodeNodeMessage(brolostack::server::encodeNodeMessage(failed));
    ASSERT_TRUE(back && back->error);
    EXPECT_EQ(back->error->code, brolostack::protocol::ErrorCode::Conflict);
    EXPECT_EQ(back->error->message, "taken");

    for (const char* text : {"", "[]", R"({"kind":"ask"})", R"({"kind":"nope","from":"n"})",
                             R"({"kind":"answer","from":"n","ask":0,"data":{}})", R"({"kind":"ask","from":"n","conn":1})",
                             R"({"kind":"answer","from":"n","ask":3,"error":{"code":"made-up","message":"x"}})"})
        EXPECT_FALSE(brolostack::server::decodeNodeMessage(text)) << text;

    brolostack::server::SessionEvent event{"n1", "s1", R"({"id":"m"})", false, "n2:5", true, false, {}};
    auto decoded = brolostack::server::decodeSessionEvent(brolostack::server::encodeSessionEvent(event));
    ASSERT_TRUE(decoded);
    EXPECT_FALSE(decoded->announce);
    EXPECT_EQ(decoded->skip, "n2:5");
    EXPECT_TRUE(decoded->droppable);
    EXPECT_FALSE(brolostack::server::decodeSessionEvent(R"({"from":"n1","session":"s1","announce":true})"));
}

}  // namespace
}  // namespace hubtest
