// How ARGS tasks fail and recover (PROTOCOL.md section 7, "Tasks"): assign
// timeouts, stage timeouts and retries, disconnects, agent errors, failed
// dependencies and cancels. Every path must release the agents' load and end
// in exactly one terminal event.
#include "args_test_support.hpp"

#include <set>

namespace argstest {
namespace {

using ArgsFailures = ArgsTest;

constexpr Owner kSubmitter = 100;

/// A new task of any type goes to `agentId` (its load was released).
void expectAgentTakesNewWork(ArgsTest& t, Owner submitter, const std::string& taskId, const std::string& agentId,
                             Outputs out) {
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 1u) << "task " << taskId << " was not assigned";
    EXPECT_EQ(assigns[0].taskId, taskId);
    EXPECT_EQ(assigns[0].agentId, agentId);
    (void)t;
    (void)submitter;
}

TEST_F(ArgsFailures, AssignTimeoutFailsWithNoSuitableAgent) {
    settings.assignTimeoutMs = 1000;
    registerAgent(1, "wrong", "other");
    startTask(kSubmitter, R"({"id":"t","requirements":{"agentTypes":["needed"]}})");
    advance(999);
    EXPECT_TRUE(terminalEvents(log, "t").empty());
    advance(1);
    Document e = expectOneTerminal("t", MessageType::TaskError, "failed");
    EXPECT_STREQ(e["code"].GetString(), "no_suitable_agent");
    EXPECT_STREQ(snapshotTask("t")["error"]["code"].GetString(), "no_suitable_agent");
    // An agent arriving late does not revive it.
    Outputs out = registerAgent(2, "late", "needed");
    EXPECT_TRUE(assignments(out).empty());
    advance(5000);
    expectOneTerminal("t", MessageType::TaskError, "failed");
    expectLoadConsistent();
}

TEST_F(ArgsFailures, AssignTimeoutClockStartsWhenTheStageBecomesReady) {
    settings.assignTimeoutMs = 1000;
    registerAgent(1, "first", "a");
    startTask(kSubmitter, R"({"id":"p","requirements":{"agentTypes":["a","b"]}})");
    advance(5000);  // stage 1 runs long; stage 2 is not ready yet
    EXPECT_TRUE(terminalEvents(log, "p").empty());
    complete(1, "p", "first", "1");
    advance(999);
    EXPECT_TRUE(terminalEvents(log, "p").empty()) << "stage 2 has waited only 999 ms";
    advance(1);
    Document e = expectOneTerminal("p", MessageType::TaskError, "failed");
    EXPECT_STREQ(e["code"].GetString(), "no_suitable_agent");
}

TEST_F(ArgsFailures, StageOverMaxExecutionTimeIsRetriedOnAnotherAgent) {
    registerAgent(1, "a", "w");
    now += 1;
    registerAgent(2, "b", "w");
    Outputs out;
    startTask(kSubmitter, R"({"id":"t","requirements":{"maxExecutionTime":500}})", &out);
    ASSERT_EQ(assignments(out).at(0).agentId, "a");
    out = advance(499);
    EXPECT_TRUE(assignments(out).empty());
    out = advance(1);
    auto cancels = agentCancels(out);
    ASSERT_EQ(cancels.size(), 1u);
    EXPECT_EQ(cancels[0].agentId, "a");
    EXPECT_EQ(cancels[0].owner, 1u);
    EXPECT_EQ(cancels[0].reason, "timeout");
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 1u);
    EXPECT_EQ(assigns[0].agentId, "b");
    EXPECT_EQ(ofType(out, MessageType::TaskAssign).at(0)->msg.metadata.retryCount, 1u);
    EXPECT_EQ(agent("a").currentTasks, 0u);
    EXPECT_TRUE(terminalEvents(log, "t").empty());
    // a's late answer no longer counts.
    EXPECT_EQ(codeName(fails(1, MessageType::TaskComplete, R"({"taskId":"t","agentId":"a","result":1})").code),
              "forbidden");
    complete(2, "t", "b", "\"from b\"");
    Document done = expectOneTerminal("t", MessageType::TaskComplete, "completed");
    EXPECT_EQ(str(done["result"]), "\"from b\"");
    expectLoadConsistent();
}

// The agent that timed out never gets its own retry, even when it is the
// only one free and the one the scheduler would otherwise prefer: the retry
// waits for another agent.
TEST_F(ArgsFailures, ATimedOutAgentNeverGetsItsOwnRetry) {
    registerAgent(1, "a", "w");
    Outputs out;
    startTask(kSubmitter, R"({"id":"t","requirements":{"maxExecutionTime":500}})", &out);
    ASSERT_EQ(assignments(out).at(0).agentId, "a");
    out = advance(500);
    ASSERT_EQ(agentCancels(out).size(), 1u);
    EXPECT_TRUE(assignments(out).empty()) << "the retry went back to the agent that timed out";
    out = advance(100);
    EXPECT_TRUE(assignments(out).empty());
    out = registerAgent(2, "b", "w");
    ASSERT_EQ(assignments(out).size(), 1u);
    EXPECT_EQ(assignments(out).at(0).agentId, "b");
    expectLoadConsistent();
}

TEST_F(ArgsFailures, TimeoutAfterMaxRetriesFailsWithTimeout) {
    registerAgent(1, "a", "w");
    now += 1;
    registerAgent(2, "b", "w");
    now += 1;
    registerAgent(3, "c", "w");
    Outputs out;
    startTask(kSubmitter, R"({"id":"t","maxRetries":1,"requirements":{"maxExecutionTime":100}})", &out);
    EXPECT_EQ(assignments(out).at(0).agentId, "a");
    out = advance(100);
    EXPECT_EQ(assignments(out).at(0).agentId, "b");
    out = advance(100);
    EXPECT_TRUE(assignments(out).empty()) << "no retries left for c";
    auto cancels = agentCancels(out);
    ASSERT_EQ(cancels.size(), 1u);
    EXPECT_EQ(cancels[0].agentId, "b");
    Document e = expectOneTerminal("t", MessageType::TaskError, "failed");
    EXPECT_STREQ(e["code"].GetString(), "timeout");
    for (const char* id : {"a", "b", "c"}) EXPECT_EQ(agent(id).currentTasks, 0u) << id;
    // Every agent can take new work.
    startTask(kSubmitter, R"({"id":"n1"})", &out);
    startTask(kSubmitter, R"({"id":"n2"})");
    startTask(kSubmitter, R"({"id":"n3"})");
    EXPECT_EQ(assignments(log).size(), 5u);
    expectLoadConsistent();
    expectTerminalInvariant();
}

/// Starts `def` with idle agents and times every attempt out; attempts()
/// returns how many attempts were made before the task failed.
class ArgsRetries : public ArgsTest {
protected:
    std::size_t attempts(const std::string& def, std::optional<std::uint32_t> metadataMaxRetries, int agents = 6) {
        for (int i = 0; i < agents; ++i) {
            registerAgent(static_cast<Owner>(i + 1), "a" + std::to_string(i), "w");
            now += 1;
        }
        Message m = message(MessageType::TaskStart, def);
        m.metadata.maxRetries = metadataMaxRetries;
        Result r = handle(kSubmitter, m);
        EXPECT_TRUE(std::holds_alternative<std::string>(r));
        for (int i = 0; i < agents + 2 && terminalEvents(log, "t").empty(); ++i) advance(1000);
        Document e = expectOneTerminal("t", MessageType::TaskError, "failed");
        EXPECT_STREQ(e["code"].GetString(), "timeout");
        expectLoadConsistent();
        return assignments(log).size();
    }
};

TEST_F(ArgsRetries, FromTheTaskDefinition) {
    EXPECT_EQ(attempts(R"({"id":"t","maxRetries":3,"requirements":{"maxExecutionTime":1000}})", std::nullopt), 4u);
}

TEST_F(ArgsRetries, TaskDefinitionBeatsMessageMetadata) {
    EXPECT_EQ(attempts(R"({"id":"t","maxRetries":0,"requirements":{"maxExecutionTime":1000}})", 4u), 1u);
}

TEST_F(ArgsRetries, FromMessageMetadataWhenTheDefinitionHasNone) {
    EXPECT_EQ(attempts(R"({"id":"t","requirements":{"maxExecutionTime":1000}})", 1u), 2u);
}

TEST_F(ArgsRetries, DefaultIsTwo) {
    EXPECT_EQ(attempts(R"({"id":"t","requirements":{"maxExecutionTime":1000}})", std::nullopt), 3u);
}

TEST_F(ArgsFailures, DefaultStageTimeoutIsTheServerTaskTimeout) {
    settings.taskTimeoutMs = 3000;
    registerAgent(1, "a", "w");
    now += 1;
    registerAgent(2, "b", "w");
    startTask(kSubmitter, R"({"id":"t"})");
    Outputs out = advance(2999);
    EXPECT_TRUE(assignments(out).empty());
    out = advance(1);
    ASSERT_EQ(assignments(out).size(), 1u);
    EXPECT_EQ(assignments(out)[0].agentId, "b");
}

TEST_F(ArgsFailures, ParallelStageTimeoutRetriesOnlyThatStage) {
    registerAgent(1, "a", "w");
    now += 1;
    registerAgent(2, "b", "w");
    now += 1;
    registerAgent(3, "c", "w");
    startTask(kSubmitter,
              R"({"id":"t","requirements":{"agentTypes":["w","w"],"maxExecutionTime":100},"collaborationMode":"parallel"})");
    now += 50;
    complete(2, "t", "b", "\"B\"");  // stage 1 done in time
    Outputs out = advance(50);
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 1u);
    EXPECT_EQ(assigns[0].stage, 0u);
    EXPECT_NE(assigns[0].agentId, "a");
    Owner owner = assigns[0].owner;
    complete(owner, "t", assigns[0].agentId, "\"A2\"");
    Document done = expectOneTerminal("t", MessageType::TaskComplete, "completed");
    EXPECT_EQ(str(done["result"]), R"(["A2","B"])");
    expectLoadConsistent();
}

TEST_F(ArgsFailures, AgentDisconnectMidTaskRequeuesOnAnotherAgent) {
    registerAgent(1, "a", "w");
    now += 1;
    registerAgent(2, "b", "w");
    Outputs out;
    startTask(kSubmitter, R"({"id":"t","payload":{"job":1}})", &out);
    ASSERT_EQ(assignments(out).at(0).agentId, "a");
    progress(1, "t", "a", 60);
    out = gone(1);
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 1u);
    EXPECT_EQ(assigns[0].agentId, "b");
    EXPECT_EQ(assigns[0].inputJson, R"({"job":1})");
    EXPECT_TRUE(agentCancels(out).empty()) << "a's connection is gone; nothing to tell it";
    EXPECT_DOUBLE_EQ(snapshotTask("t")["progress"].GetDouble(), 0.0) << "the new attempt starts from zero";
    EXPECT_TRUE(terminalEvents(log, "t").empty());
    complete(2, "t", "b", "7");
    expectOneTerminal("t", MessageType::TaskComplete, "completed");
    expectLoadConsistent();
}

TEST_F(ArgsFailures, ReconnectingAgentMayTakeItsTaskBack) {
    registerAgent(1, "a", "w");
    startTask(kSubmitter, R"({"id":"t"})");
    Outputs out = gone(1);
    EXPECT_TRUE(assignments(out).empty()) << "no other agent";
    EXPECT_STREQ(snapshotTask("t")["state"].GetString(), "running");
    out = registerAgent(3, "a", "w");  // the same agent, on a new connection
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 1u);
    EXPECT_EQ(assigns[0].agentId, "a");
    EXPECT_EQ(assigns[0].owner, 3u);
    EXPECT_EQ(assigns[0].route, Route::ToAgent);
    complete(3, "t", "a", "1");
    expectOneTerminal("t", MessageType::TaskComplete, "completed");
    expectLoadConsistent();
}

TEST_F(ArgsFailures, DisconnectsUseUpRetriesToo) {
    registerAgent(1, "a", "w");
    startTask(kSubmitter, R"({"id":"t","maxRetries":0})");
    gone(1);
    Document e = expectOneTerminal("t", MessageType::TaskError, "failed");
    EXPECT_FALSE(std::string(e["code"].GetString()).empty());
    EXPECT_EQ(agent("a").currentTasks, 0u);
    Outputs out = registerAgent(2, "a", "w");
    EXPECT_TRUE(assignments(out).empty()) << "a failed task is not handed out again";
    startTask(kSubmitter, R"({"id":"next"})", &out);
    expectAgentTakesNewWork(*this, kSubmitter, "next", "a", out);
}

TEST_F(ArgsFailures, UnregisterMidTaskRequeues) {
    registerAgent(1, "a", "w");
    now += 1;
    registerAgent(2, "b", "w");
    startTask(kSubmitter, R"({"id":"t"})");
    Outputs out;
    ok(1, MessageType::AgentUnregister, R"({"agentId":"a"})", &out);
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 1u);
    EXPECT_EQ(assigns[0].agentId, "b");
    complete(2, "t", "b");
    expectOneTerminal("t", MessageType::TaskComplete, "completed");
    expectLoadConsistent();
}

TEST_F(ArgsFailures, AgentErrorFailsTheTask) {
    registerAgent(1, "a", "w");
    registerAgent(2, "b", "w");
    startTask(kSubmitter, R"({"id":"t","requirements":{"agentTypes":["w","w"]},"collaborationMode":"parallel"})");
    Outputs out = agentError(1, "t", "a", "E_MODEL", "model crashed");
    Document e = expectOneTerminal("t", MessageType::TaskError, "failed");
    EXPECT_STREQ(e["code"].GetString(), "agent_error");
    EXPECT_NE(std::string(e["message"].GetString()).find("model crashed"), std::string::npos) << str(e);
    auto cancels = agentCancels(out);
    ASSERT_EQ(cancels.size(), 1u) << "the other stage's agent is told to stop";
    EXPECT_EQ(cancels[0].agentId, "b");
    EXPECT_EQ(agent("a").currentTasks, 0u);
    EXPECT_EQ(agent("b").currentTasks, 0u);
    EXPECT_EQ(codeName(fails(2, MessageType::TaskComplete, R"({"taskId":"t","agentId":"b","result":1})").code),
              "forbidden");
    startTask(kSubmitter, R"({"id":"n1"})");
    startTask(kSubmitter, R"({"id":"n2"})");
    EXPECT_EQ(task("n1").state, brolostack::args::TaskState::Running);
    EXPECT_EQ(task("n2").state, brolostack::args::TaskState::Running);
    expectTerminalInvariant();
    expectLoadConsistent();
}

TEST_F(ArgsFailures, FailedDependencyFailsTheChain) {
    registerAgent(1, "a", "w");
    startTask(kSubmitter, R"({"id":"t1"})");
    startTask(kSubmitter, R"({"id":"t2","dependencies":["t1"]})");
    startTask(kSubmitter, R"({"id":"t3","dependencies":["t2"]})");
    startTask(kSubmitter, R"({"id":"other"})");
    agentError(1, "t1", "a");
    expectOneTerminal("t1", MessageType::TaskError, "failed");
    Document e2 = expectOneTerminal("t2", MessageType::TaskError, "failed");
    EXPECT_STREQ(e2["code"].GetString(), "dependency_failed");
    Document e3 = expectOneTerminal("t3", MessageType::TaskError, "failed");
    EXPECT_STREQ(e3["code"].GetString(), "dependency_failed");
    // The unrelated task gets the freed agent.
    EXPECT_EQ(task("other").stages[0].agentId, "a");
    expectTerminalInvariant();
    expectLoadConsistent();
}

TEST_F(ArgsFailures, DependencyOnAFailedOrCanceledTaskFails) {
    startTask(kSubmitter, R"({"id":"c"})");
    ASSERT_TRUE(std::holds_alternative<std::string>(cancel(kSubmitter, "c")));
    startTask(kSubmitter, R"({"id":"after-cancel","dependencies":["c"]})");
    Document e = expectOneTerminal("after-cancel", MessageType::TaskError, "failed");
    EXPECT_STREQ(e["code"].GetString(), "dependency_failed");
    expectOneTerminal("c", MessageType::TaskCancel, "canceled");
}

TEST_F(ArgsFailures, CancelBySubmitterStopsAssignedAgents) {
    registerAgent(1, "a", "w");
    registerAgent(2, "b", "w");
    startTask(kSubmitter, R"({"id":"t","requirements":{"agentTypes":["w","w"]},"collaborationMode":"parallel"})");
    Outputs out;
    Result r = cancel(kSubmitter, "t", &out);
    ASSERT_TRUE(std::holds_alternative<std::string>(r));
    Document reply = parse(std::get<std::string>(r));
    EXPECT_STREQ(reply["taskId"].GetString(), "t");
    EXPECT_STREQ(reply["state"].GetString(), "canceled");
    expectOneTerminal("t", MessageType::TaskCancel, "canceled");
    auto cancels = agentCancels(out);
    ASSERT_EQ(cancels.size(), 2u);
    std::set<std::pair<std::string, Owner>> told;
    for (const auto& c : cancels) {
        EXPECT_EQ(c.route, Route::ToAgent);
        EXPECT_EQ(c.taskId, "t");
        told.insert({c.agentId, c.owner});
    }
    EXPECT_EQ(told, (std::set<std::pair<std::string, Owner>>{{"a", 1}, {"b", 2}}));
    EXPECT_STREQ(snapshotTask("t")["state"].GetString(), "canceled");
    EXPECT_EQ(codeName(fails(1, MessageType::TaskComplete, R"({"taskId":"t","agentId":"a","result":1})").code),
              "forbidden");
    startTask(kSubmitter, R"({"id":"n1"})");
    startTask(kSubmitter, R"({"id":"n2"})");
    EXPECT_EQ(task("n1").state, brolostack::args::TaskState::Running);
    EXPECT_EQ(task("n2").state, brolostack::args::TaskState::Running);
    expectLoadConsistent();
    expectTerminalInvariant();
}

TEST_F(ArgsFailures, CancelOfAQueuedTaskTellsNoAgent) {
    startTask(kSubmitter, R"({"id":"t"})");
    Outputs out;
    ASSERT_TRUE(std::holds_alternative<std::string>(cancel(kSubmitter, "t", &out)));
    EXPECT_TRUE(agentCancels(out).empty());
    expectOneTerminal("t", MessageType::TaskCancel, "canceled");
    // A canceled task is not handed out when an agent arrives.
    out = registerAgent(1, "a", "w");
    EXPECT_TRUE(assignments(out).empty());
}

TEST_F(ArgsFailures, CancelBySomeoneElseIsForbidden) {
    registerAgent(1, "a", "w");
    startTask(kSubmitter, R"({"id":"t"})");
    Outputs out;
    Result r = cancel(1, "t", &out);  // the assigned agent's owner is not the submitter
    ASSERT_TRUE(std::holds_alternative<Error>(r));
    EXPECT_EQ(codeName(std::get<Error>(r).code), "forbidden");
    EXPECT_TRUE(out.empty());
    EXPECT_STREQ(snapshotTask("t")["state"].GetString(), "running");
    r = cancel(kSubmitter, "nope");
    ASSERT_TRUE(std::holds_alternative<Error>(r));
    EXPECT_EQ(codeName(std::get<Error>(r).code), "not_found");
    EXPECT_EQ(codeName(fails(kSubmitter, MessageType::TaskCancel, R"({"id":"t"})").code), "bad_request");
    expectTerminalInvariant();
}

TEST_F(ArgsFailures, CancelOfAFinishedTaskIsConflict) {
    registerAgent(1, "a", "w");
    startTask(kSubmitter, R"({"id":"done"})");
    complete(1, "done", "a");
    startTask(kSubmitter, R"({"id":"failed"})");
    agentError(1, "failed", "a");
    startTask(kSubmitter, R"({"id":"canceled"})");
    ASSERT_TRUE(std::holds_alternative<std::string>(cancel(kSubmitter, "canceled")));
    for (const char* id : {"done", "failed", "canceled"}) {
        Outputs out;
        Result r = cancel(kSubmitter, id, &out);
        ASSERT_TRUE(std::holds_alternative<Error>(r)) << id;
        EXPECT_EQ(codeName(std::get<Error>(r).code), "conflict") << id;
        EXPECT_TRUE(out.empty()) << id;
    }
    expectOneTerminal("done", MessageType::TaskComplete, "completed");
    expectOneTerminal("failed", MessageType::TaskError, "failed");
    expectOneTerminal("canceled", MessageType::TaskCancel, "canceled");
    expectLoadConsistent();
}

TEST_F(ArgsFailures, HybridSupportDropIsReplacedAndToldWhoLeads) {
    registerAgent(1, "lead", "p");
    registerAgent(2, "s1", "s");
    now += 1;
    registerAgent(3, "s2", "s");
    startTask(kSubmitter, R"({"id":"h","requirements":{"agentTypes":["p","s"]},"collaborationMode":"hybrid"})");
    ASSERT_EQ(task("h").stages[1].agentId, "s1");
    Outputs out = gone(2);
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 1u);
    EXPECT_EQ(assigns[0].agentId, "s2");
    EXPECT_EQ(assigns[0].role, "support");
    EXPECT_STREQ(parse(assigns[0].payloadJson)["primaryAgent"].GetString(), "lead");
    out = complete(1, "h", "lead", "\"plan\"");
    expectOneTerminal("h", MessageType::TaskComplete, "completed");
    ASSERT_EQ(agentCancels(out).size(), 1u);
    EXPECT_EQ(agentCancels(out)[0].agentId, "s2");
    expectLoadConsistent();
}

TEST_F(ArgsFailures, TimedOutAgentIsNotRetriedAndTheStageWaitsForAnother) {
    settings.assignTimeoutMs = 1000;
    registerAgent(1, "only", "w");
    startTask(kSubmitter, R"({"id":"t","requirements":{"maxExecutionTime":100}})");
    Outputs out = advance(100);
    EXPECT_TRUE(assignments(out).empty()) << "the agent that timed out is not given the stage again";
    EXPECT_EQ(agent("only").currentTasks, 0u);
    out = registerAgent(2, "fresh", "w");
    ASSERT_EQ(assignments(out).size(), 1u);
    EXPECT_EQ(assignments(out)[0].agentId, "fresh");
    complete(2, "t", "fresh");
    expectOneTerminal("t", MessageType::TaskComplete, "completed");
}

TEST_F(ArgsFailures, ManyFailuresInOneTickEachEndOnce) {
    settings.assignTimeoutMs = 500;
    registerAgent(1, "a", "w", {}, 5);
    for (int i = 0; i < 5; ++i)
        startTask(kSubmitter, "{\"id\":\"r" + std::to_string(i) + "\",\"maxRetries\":0,\"requirements\":{\"maxExecutionTime\":100}}");
    for (int i = 0; i < 5; ++i)
        startTask(kSubmitter, "{\"id\":\"q" + std::to_string(i) + "\",\"requirements\":{\"agentTypes\":[\"none\"]}}");
    startTask(kSubmitter, R"({"id":"dep","dependencies":["r0","q0"]})");
    advance(1000);
    for (int i = 0; i < 5; ++i) {
        EXPECT_STREQ(expectOneTerminal("r" + std::to_string(i), MessageType::TaskError, "failed")["code"].GetString(),
                     "timeout");
        EXPECT_STREQ(expectOneTerminal("q" + std::to_string(i), MessageType::TaskError, "failed")["code"].GetString(),
                     "no_suitable_agent");
    }
    EXPECT_STREQ(expectOneTerminal("dep", MessageType::TaskError, "failed")["code"].GetString(), "dependency_failed");
    EXPECT_EQ(agent("a").currentTasks, 0u);
    expectTerminalInvariant();
    expectLoadConsistent();
}

}  // namespace
}  // namespace argstest
