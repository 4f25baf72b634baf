// ARGS across a restart (a hub dropped as by a crash, a new one from the
// same store): queued tasks keep their place, running stages are re-queued
// for their agents when they register again, finished tasks and their
// results stay, and failed tasks are dead letters that can be requeued.
#include "args_test_support.hpp"

#include "brolostack/args/records.hpp"

namespace argstest {
namespace {

bool isOk(const Value& reply) { return reply.HasMember("ok") && reply["ok"].IsTrue(); }

std::vector<Document> argsOf(const Outbox& out, ConnId conn, const std::string& type) {
    std::vector<Document> found;
    for (auto& f : framesTo(out, conn, "args"))
        if (f["msg"]["type"].GetString() == type) found.push_back(std::move(f));
    return found;
}

class ArgsRestart : public HubArgsTest {
protected:
    void SetUp() override {
        settings.heartbeatMs = 100'000'000;
        settings.assignTimeoutMs = 100'000'000;  // tasks wait for agents as long as a test needs
    }
    Document expectOk(ConnId conn, const std::string& event, const std::string& data, Outbox* out = nullptr) {
        Document r = sendEvent(conn, event, data, out);
        EXPECT_TRUE(isOk(r)) << event << " " << data << " -> " << str(r);
        return r;
    }
    void registerAgent(ConnId conn, const std::string& id, const std::string& type, Outbox* out = nullptr) {
        expectOk(conn, "register-agent", R"({"sessionId":"s1","id":")" + id + R"(","type":")" + type + R"("})", out);
    }
    Document snapshot() {
        auto result = hub().sessionSnapshotJson("s1");
        EXPECT_TRUE(std::holds_alternative<std::string>(result));
        return parse(std::get<std::string>(result));
    }
    std::string taskState(const std::string& id) {
        Document s = snapshot();
        for (const auto& t : s["tasks"].GetArray())
            if (t["id"].GetString() == id) return t["state"].GetString();
        return "absent";
    }
};

TEST_F(ArgsRestart, QueuedTasksKeepTheirPlaceAndRunWhenAnAgentComes) {
    ConnId submitter = client();
    expectOk(submitter, "start-task", R"({"sessionId":"s1","id":"first","requirements":{"agentTypes":["w"]},"payload":1})");
    expectOk(submitter, "start-task", R"({"sessionId":"s1","id":"second","requirements":{"agentTypes":["w"]},"payload":2})");
    restart();
    EXPECT_EQ(taskState("first"), "queued");
    EXPECT_EQ(taskState("second"), "queued");

    ConnId agent = client();
    Outbox out;
    registerAgent(agent, "a1", "w", &out);
    auto assigned = argsOf(out, agent, "TASK_ASSIGN");
    ASSERT_EQ(assigned.size(), 1u);
    EXPECT_STREQ(assigned[0]["msg"]["payload"]["taskId"].GetString(), "first") << "submission order survives";
    EXPECT_EQ(assigned[0]["msg"]["payload"]["input"].GetInt(), 1);
}

TEST_F(ArgsRestart, ARunningStageIsRequeuedWithoutUsingUpARetry) {
    ConnId agent = client();
    registerAgent(agent, "a1", "w");
    Outbox out;
    expectOk(client(), "start-task", R"({"sessionId":"s1","id":"t1","requirements":{"agentTypes":["w"]},"maxRetries":0})", &out);
    ASSERT_EQ(argsOf(out, agent, "TASK_ASSIGN").size(), 1u);
    EXPECT_EQ(taskState("t1"), "running");

    restart();
    Document s = snapshot();
    ASSERT_EQ(s["agents"].Size(), 1u);
    EXPECT_STREQ(s["agents"][0]["status"].GetString(), "offline") << "the agent's connection died with the server";

    ConnId back = client();  // the agent's process reconnects and registers again
    Outbox again;
    registerAgent(back, "a1", "w", &again);
    auto assigned = argsOf(again, back, "TASK_ASSIGN");
    ASSERT_EQ(assigned.size(), 1u) << "the stage is assigned again, though maxRetries is 0";
    Outbox done;
    expectOk(back, "task-complete", R"({"taskId":"t1","agentId":"a1","result":{"ok":true}})", &done);
    EXPECT_EQ(taskState("t1"), "completed");
}

TEST_F(ArgsRestart, APipelineGoesOnFromTheStageItHadReached) {
    ConnId collector = client(), analyzer = client();
    registerAgent(collector, "c1", "collector");
    registerAgent(analyzer, "an1", "analyzer");
    expectOk(client(), "start-task",
             R"({"sessionId":"s1","id":"p1","requirements":{"agentTypes":["collector","analyzer"]},"payload":"raw"})");
    expectOk(collector, "task-complete", R"({"taskId":"p1","agentId":"c1","result":"collected"})");
    restart();
    ConnId back = client();
    Outbox out;
    registerAgent(back, "an1", "analyzer", &out);
    auto assigned = argsOf(out, back, "TASK_ASSIGN");
    ASSERT_EQ(assigned.size(), 1u);
    EXPECT_EQ(assigned[0]["msg"]["payload"]["stage"].GetUint(), 1u);
    EXPECT_STREQ(assigned[0]["msg"]["payload"]["input"].GetString(), "collected") << "stage 0's result survived";
}

TEST_F(ArgsRestart, FinishedTasksAndTheSessionCountersStay) {
    ConnId agent = client();
    registerAgent(agent, "a1", "w");
    expectOk(client(), "start-task", R"({"sessionId":"s1","id":"t1"})");
    expectOk(agent, "task-complete", R"({"taskId":"t1","agentId":"a1","result":{"answer":42}})");
    restart();
    Document s = snapshot();
    ASSERT_EQ(s["tasks"].Size(), 1u);
    EXPECT_STREQ(s["tasks"][0]["state"].GetString(), "completed");
    EXPECT_EQ(s["tasks"][0]["result"]["answer"].GetInt(), 42);
    EXPECT_EQ(s["metrics"]["completedTasks"].GetUint(), 1u);
    EXPECT_EQ(s["metrics"]["totalTasks"].GetUint(), 1u);
}

TEST_F(ArgsRestart, TheSessionRoomKeepsItsEpochSoMembersRecoverItsAnnouncements) {
    ConnId watcher = client();
    Document joined = expectOk(watcher, "join-session", R"("s1")");
    std::string epoch = joined["data"]["epoch"].GetString();
    expectOk(client(), "start-task", R"({"sessionId":"s1","id":"t1"})");
    restart();
    Document again = request(client(), "join", R"("room":"$session:s1","since":{"epoch":")" + epoch + R"(","offset":0})");
    ASSERT_TRUE(isOk(again)) << str(again);
    EXPECT_TRUE(again["data"]["recovered"].GetBool());
    EXPECT_EQ(again["data"]["missed"].Size(), 1u) << "the TASK_START";
}

TEST_F(ArgsRestart, ATaskThatFailedForGoodIsADeadLetterUntilRequeued) {
    ConnId agent = client();
    registerAgent(agent, "a1", "w");
    expectOk(client(), "start-task", R"({"sessionId":"s1","id":"t1","payload":{"n":7}})");
    expectOk(agent, "task-error", R"({"taskId":"t1","agentId":"a1","code":"E_DOWN","message":"upstream down"})");
    EXPECT_EQ(taskState("t1"), "failed");

    restart();
    Document letters = parse(std::get<std::string>(hub().deadLettersJson("s1")));
    ASSERT_EQ(letters["count"].GetUint(), 1u);
    const Value& letter = letters["tasks"][0];
    EXPECT_STREQ(letter["taskId"].GetString(), "t1");
    EXPECT_STREQ(letter["error"]["code"].GetString(), "agent_error");
    EXPECT_NE(std::string(letter["error"]["message"].GetString()).find("upstream down"), std::string::npos);
    EXPECT_EQ(letter["task"]["payload"]["n"].GetInt(), 7);
    EXPECT_STREQ(letter["stages"][0]["agentId"].GetString(), "a1") << "who had it";

    ConnId back = client();
    registerAgent(back, "a1", "w");
    Outbox out;
    auto requeued = hub().requeueDeadLetter("s1", "t1", now, out);
    ASSERT_TRUE(std::holds_alternative<std::string>(requeued));
    auto assigned = argsOf(out, back, "TASK_ASSIGN");
    ASSERT_EQ(assigned.size(), 1u);
    EXPECT_EQ(assigned[0]["msg"]["payload"]["input"]["n"].GetInt(), 7);
    EXPECT_EQ(parse(std::get<std::string>(hub().deadLettersJson("s1")))["count"].GetUint(), 0u);
    expectOk(back, "task-complete", R"({"taskId":"t1","agentId":"a1","result":1})");
    EXPECT_EQ(taskState("t1"), "completed");
}

TEST_F(ArgsRestart, OnlyFailedTasksCanBeRequeued) {
    expectOk(client(), "start-task", R"({"sessionId":"s1","id":"t1"})");
    Outbox out;
    auto result = hub().requeueDeadLetter("s1", "t1", now, out);
    ASSERT_TRUE(std::holds_alternative<brolostack::protocol::Error>(result));
    EXPECT_EQ(std::get<brolostack::protocol::Error>(result).code, brolostack::protocol::ErrorCode::Conflict);
    result = hub().requeueDeadLetter("s1", "nope", now, out);
    EXPECT_EQ(std::get<brolostack::protocol::Error>(result).code, brolostack::protocol::ErrorCode::NotFound);
    result = hub().requeueDeadLetter("nope", "t1", now, out);
    EXPECT_EQ(std::get<brolostack::protocol::Error>(result).code, brolostack::protocol::ErrorCode::NotFound);
}

TEST_F(ArgsRestart, ASessionClosedForIdlenessLeavesTheStore) {
    settings.sessionIdleTimeoutMs = 1000;
    settings.assignTimeoutMs = 10;
    Outbox out;
    ASSERT_TRUE(std::holds_alternative<std::string>(
        hub().startTask("s1", R"({"id":"t1","requirements":{"agentTypes":["nobody"]}})", now, out)));
    ASSERT_EQ(store.load().tasks.size(), 1u);
    advance(20);    // no agent of that type: the task fails
    EXPECT_EQ(taskState("t1"), "failed");
    advance(2000);  // nothing left to do: the session closes for idleness
    EXPECT_TRUE(store.load().sessions.empty());
    EXPECT_TRUE(store.load().tasks.empty()) << "its tasks go with it";
}

TEST_F(ArgsRestart, FinishedTasksLeaveTheStoreWithTheirRetentionAndKeepItAcrossARestart) {
    settings.taskRetentionMs = 1000;
    ConnId agent = client();
    registerAgent(agent, "a1", "w");
    expectOk(client(), "start-task", R"({"sessionId":"s1","id":"t1"})");
    expectOk(agent, "task-complete", R"({"taskId":"t1","agentId":"a1","result":1})");
    restart();
    EXPECT_EQ(taskState("t1"), "completed");
    advance(1500);
    EXPECT_EQ(taskState("t1"), "absent");
    EXPECT_TRUE(store.load().tasks.empty());
}

TEST_F(ArgsRestart, AnUnreadableRecordIsSkippedAndCounted) {
    expectOk(client(), "start-task", R"({"sessionId":"s1","id":"t1"})");
    store.taskSaved("s1", "broken", "{not json");
    restart();
    EXPECT_EQ(hub().unreadableRecords(), 1u);
    EXPECT_EQ(taskState("t1"), "queued");
}

TEST_F(ArgsRestart, AgentsAreKeptInRecordsOfTheirOwnSoATaskSavesNoAgent) {
    ConnId agent = client();
    for (const char* id : {"a1", "a2", "a3"}) registerAgent(agent, id, "w");
    auto kept = store.load();
    ASSERT_EQ(kept.agents.size(), 3u);
    ASSERT_EQ(kept.sessions.size(), 1u);
    EXPECT_EQ(kept.sessions[0].json.find("a1"), std::string::npos) << "the session record holds no agent";

    // Tasks change the session (its counters), never its agents' records.
    expectOk(client(), "start-task", R"({"sessionId":"s1","id":"t1"})");
    expectOk(agent, "task-complete", R"({"taskId":"t1","agentId":"a1","result":1})");
    EXPECT_EQ(store.load().agents[0].json, kept.agents[0].json);
    EXPECT_NE(store.load().sessions[0].json, kept.sessions[0].json);

    expectOk(agent, "heartbeat", R"({"sessionId":"s1","agentId":"a3","status":"busy"})");
    expectOk(agent, "unregister-agent", R"({"sessionId":"s1","agentId":"a2"})");
    kept = store.load();
    ASSERT_EQ(kept.agents.size(), 2u) << "an unregistered agent's record goes";
    EXPECT_NE(kept.agents[1].json.find("\"busy\""), std::string::npos) << kept.agents[1].json;

    restart();
    Document s = snapshot();
    ASSERT_EQ(s["agents"].Size(), 2u);
    EXPECT_STREQ(s["agents"][0]["id"].GetString(), "a1");
    EXPECT_STREQ(s["agents"][1]["id"].GetString(), "a3");
    EXPECT_STREQ(s["agents"][0]["status"].GetString(), "offline");
    EXPECT_EQ(s["metrics"]["completedTasks"].GetInt(), 1) << "the counters stay with the session";
}

TEST_F(ArgsRestart, ASessionRecordOfAnEarlierVersionKeepsItsAgents) {
    store.sessionSaved("s1", R"({"id":"s1","nextTaskSeq":0,"totalTasks":0,"completedTasks":0,"failedTasks":0,)"
                             R"("totalExecutionMs":0,"agents":[{"id":"old","type":"w","capabilities":["x"],)"
                             R"("status":"idle","name":"old","version":"","maxConcurrentTasks":2}]})");
    restart();
    Document s = snapshot();
    ASSERT_EQ(s["agents"].Size(), 1u);
    EXPECT_STREQ(s["agents"][0]["id"].GetString(), "old");
    // With the next change saved, the agent has a record of its own, and a
    // later restart still finds it.
    registerAgent(client(), "new", "w");
    EXPECT_EQ(store.load().agents.size(), 2u);
    restart();
    EXPECT_EQ(snapshot()["agents"].Size(), 2u);
}

TEST(ArgsRecords, ATaskRecordRoundTripsItsStagesAndAttempts) {
    brolostack::args::Task t;
    t.def.id = "t1";
    t.def.type = "report";
    t.def.payloadJson = R"({"deep":[1,{"x":"y"}]})";
    t.def.agentTypes = {"a", "b"};
    t.submitter = 0;
    t.state = brolostack::args::TaskState::Running;
    t.seq = 9;
    t.maxRetries = 3;
    t.createdAt = 5;
    t.startedAt = 6;
    brolostack::args::Stage done;
    done.agentType = "a";
    done.state = brolostack::args::StageState::Done;
    done.agentId = "agent-a";
    done.resultJson = R"({"r":1})";
    done.retries = 2;
    done.triedAgents = {"old-a"};
    brolostack::args::Stage waiting;
    waiting.agentType = "b";
    t.stages = {done, waiting};
    auto back = brolostack::args::decodeTaskRecord(brolostack::args::encodeTaskRecord(t), 100);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(brolostack::args::encodeTaskRecord(*back), brolostack::args::encodeTaskRecord(t));
    EXPECT_FALSE(brolostack::args::decodeTaskRecord(R"({"definition":{"id":"x"}})", 0).has_value());
    EXPECT_FALSE(brolostack::args::decodeTaskRecord("[]", 0).has_value());
}

}  // namespace
}  // namespace argstest
