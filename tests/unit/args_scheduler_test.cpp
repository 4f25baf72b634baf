// The ARGS task scheduler (PROTOCOL.md section 7, "Tasks"): stages, modes,
// agent choice, capacity, priority order, dependencies, progress and the one
// terminal event per task.
#include "args_test_support.hpp"

#include <algorithm>
#include <set>

namespace argstest {
namespace {

using ArgsScheduler = ArgsTest;

constexpr Owner kSubmitter = 100;

std::vector<std::string> agentsOf(const std::vector<Assign>& assigns) {
    std::vector<std::string> ids;
    for (const auto& a : assigns) ids.push_back(a.agentId);
    return ids;
}

TEST_F(ArgsScheduler, StartRepliesQueuedAndAnnouncesTheTask) {
    Outputs out;
    Document reply = parse(ok(kSubmitter, MessageType::TaskStart,
                              R"({"id":"t1","type":"analysis","priority":"high",)"
                              R"("requirements":{"agentTypes":["a"],"capabilities":["nlp"],"maxExecutionTime":5000},)"
                              R"("payload":{"text":"hi"},"collaborationMode":"sequential"})",
                              &out));
    EXPECT_STREQ(reply["taskId"].GetString(), "t1");
    EXPECT_STREQ(reply["state"].GetString(), "queued");
    auto announced = ofType(out, MessageType::TaskStart);
    ASSERT_EQ(announced.size(), 1u);
    EXPECT_EQ(announced[0]->route, Route::Announce);
    Document p = payloadOf(*announced[0]);
    EXPECT_STREQ(p["taskId"].GetString(), "t1");
    EXPECT_STREQ(p["state"].GetString(), "queued");
    const Value& def = p["task"];
    EXPECT_STREQ(def["id"].GetString(), "t1");
    EXPECT_STREQ(def["type"].GetString(), "analysis");
    EXPECT_STREQ(def["priority"].GetString(), "high");
    EXPECT_EQ(str(def["requirements"]["agentTypes"]), R"(["a"])");
    EXPECT_EQ(str(def["requirements"]["capabilities"]), R"(["nlp"])");
    EXPECT_EQ(def["requirements"]["maxExecutionTime"].GetInt64(), 5000);
    EXPECT_EQ(str(def["payload"]), R"({"text":"hi"})");
    EXPECT_STREQ(def["collaborationMode"].GetString(), "sequential");
    EXPECT_TRUE(assignments(out).empty()) << "no agents yet";
    Document t = snapshotTask("t1");
    EXPECT_STREQ(t["state"].GetString(), "queued");
    expectTerminalInvariant();
}

TEST_F(ArgsScheduler, MissingIdIsGeneratedAndUnique) {
    std::string a = startTask(kSubmitter, R"({"type":"x"})");
    std::string b = startTask(kSubmitter, R"({"type":"x"})");
    EXPECT_FALSE(a.empty());
    EXPECT_FALSE(b.empty());
    EXPECT_NE(a, b);
    EXPECT_EQ(state().tasks.count(a), 1u);
    EXPECT_EQ(state().tasks.count(b), 1u);
}

TEST_F(ArgsScheduler, ReusedIdIsConflict) {
    startTask(kSubmitter, R"({"id":"t1"})");
    Outputs out;
    Error e = fails(kSubmitter + 1, MessageType::TaskStart, R"({"id":"t1","type":"other"})", &out);
    EXPECT_EQ(codeName(e.code), "conflict");
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(task("t1").submitter, kSubmitter);
    EXPECT_EQ(coord().totals().tasks, 1u);
    // Even once the first has finished.
    registerAgent(1, "a1", "w");
    complete(1, "t1", "a1");
    EXPECT_EQ(codeName(fails(kSubmitter, MessageType::TaskStart, R"({"id":"t1"})").code), "conflict");
    expectOneTerminal("t1", MessageType::TaskComplete, "completed");
}

TEST_F(ArgsScheduler, UnknownDependencyIsNotFound) {
    Outputs out;
    Error e = fails(kSubmitter, MessageType::TaskStart, R"({"id":"t2","dependencies":["nope"]})", &out);
    EXPECT_EQ(codeName(e.code), "not_found");
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(state().tasks.count("t2"), 0u);
}

TEST_F(ArgsScheduler, BadDefinitionsNameTheField) {
    struct Case {
        std::string def;
        std::string field;
    };
    const Case cases[] = {
        {R"({"priority":"urgent"})", "payload.priority"},
        {R"({"collaborationMode":"chaos"})", "payload.collaborationMode"},
        {R"({"requirements":[]})", "payload.requirements"},
        {R"({"requirements":{"agentTypes":"a"}})", "payload.requirements.agentTypes"},
        {R"({"requirements":{"capabilities":[3]}})", "payload.requirements.capabilities"},
        {R"({"requirements":{"maxExecutionTime":0}})", "payload.requirements.maxExecutionTime"},
        {R"({"dependencies":"t0"})", "payload.dependencies"},
        {R"({"id":7})", "payload.id"},
        {R"({"maxRetries":-1})", "payload.maxRetries"},
    };
    for (const auto& c : cases) {
        Outputs out;
        Error e = fails(kSubmitter, MessageType::TaskStart, c.def, &out);
        EXPECT_EQ(codeName(e.code), "bad_request") << c.def;
        EXPECT_EQ(parse(e.detailsJson)["field"].GetString(), c.field) << c.def;
        EXPECT_TRUE(out.empty()) << c.def;
    }
    EXPECT_EQ(codeName(fails(kSubmitter, MessageType::TaskStart, "null").code), "bad_request");
    EXPECT_EQ(codeName(fails(kSubmitter, MessageType::TaskStart, "[1]").code), "bad_request");
    EXPECT_EQ(coord().totals().tasks, 0u);
}

TEST_F(ArgsScheduler, NoAgentTypesMeansOneStageOfAnyType) {
    registerAgent(1, "a1", "whatever-type");
    Outputs out;
    std::string id = startTask(kSubmitter, R"({"id":"t1","type":"job","priority":"high","payload":{"n":1}})", &out);
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 1u);
    const Assign& a = assigns[0];
    EXPECT_EQ(a.taskId, "t1");
    EXPECT_EQ(a.agentId, "a1");
    EXPECT_EQ(a.owner, 1u);
    EXPECT_EQ(a.route, Route::ToAgent);
    EXPECT_EQ(a.stage, 0u);
    EXPECT_EQ(a.stages, 1u);
    EXPECT_EQ(a.mode, "sequential");
    EXPECT_EQ(a.role, "stage");
    EXPECT_EQ(a.inputJson, R"({"n":1})");
    Document p = parse(a.payloadJson);
    EXPECT_STREQ(p["task"]["id"].GetString(), "t1");
    EXPECT_STREQ(p["task"]["type"].GetString(), "job");
    // The envelope of the assignment.
    const Routed* r = ofType(out, MessageType::TaskAssign).at(0);
    EXPECT_EQ(r->msg.metadata.correlationId, std::optional<std::string>("t1"));
    EXPECT_EQ(r->msg.metadata.priority, brolostack::args::Priority::High);
    EXPECT_EQ(snapshotTask(id)["state"].GetString(), std::string("running"));
    EXPECT_EQ(snapshotTask(id)["stages"].GetUint(), 1u);
    expectTerminalInvariant();
    expectLoadConsistent();
}

TEST_F(ArgsScheduler, SequentialPipelinePassesResultsAlong) {
    registerAgent(1, "ex", "extract");
    registerAgent(2, "an", "analyze");
    registerAgent(3, "re", "report");
    Outputs out;
    now += 10;
    std::int64_t started = now;
    startTask(kSubmitter,
              R"({"id":"p","requirements":{"agentTypes":["extract","analyze","report"]},)"
              R"("payload":{"doc":"d"},"collaborationMode":"sequential"})",
              &out);
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 1u) << "only the first stage starts";
    EXPECT_EQ(assigns[0].agentId, "ex");
    EXPECT_EQ(assigns[0].stage, 0u);
    EXPECT_EQ(assigns[0].stages, 3u);
    EXPECT_EQ(assigns[0].inputJson, R"({"doc":"d"})");

    now += 100;
    out = complete(1, "p", "ex", R"({"r":1})");
    assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 1u);
    EXPECT_EQ(assigns[0].agentId, "an");
    EXPECT_EQ(assigns[0].stage, 1u);
    EXPECT_EQ(assigns[0].inputJson, R"({"r":1})") << "stage 2 gets stage 1's result";
    EXPECT_TRUE(terminalEvents(log, "p").empty());
    // The stage's completion is announced as progress.
    auto progress = ofType(out, MessageType::TaskProgress, Route::Announce);
    ASSERT_FALSE(progress.empty());
    Document pp = payloadOf(*progress[0]);
    EXPECT_EQ(pp["stage"].GetUint(), 0u);
    EXPECT_STREQ(pp["state"].GetString(), "running");

    now += 100;
    out = complete(2, "p", "an", R"([2,"two"])");
    assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 1u);
    EXPECT_EQ(assigns[0].agentId, "re");
    EXPECT_EQ(assigns[0].inputJson, R"([2,"two"])");

    now += 100;
    complete(3, "p", "re", R"({"final":true})");
    Document done = expectOneTerminal("p", MessageType::TaskComplete, "completed");
    EXPECT_EQ(str(done["result"]), R"({"final":true})") << "the task's result is the last stage's";
    EXPECT_EQ(done["executionTime"].GetInt64(), now - started);
    Document t = snapshotTask("p");
    EXPECT_STREQ(t["state"].GetString(), "completed");
    EXPECT_EQ(t["progress"].GetDouble(), 100.0);
    EXPECT_EQ(str(t["result"]), R"({"final":true})");
    EXPECT_EQ(str(t["agents"]), R"(["ex","an","re"])");
    expectLoadConsistent();
}

TEST_F(ArgsScheduler, ParallelStartsEveryStageAndCollectsResultsInStageOrder) {
    registerAgent(1, "a", "ta");
    registerAgent(2, "b", "tb");
    registerAgent(3, "c", "tc");
    Outputs out;
    startTask(kSubmitter,
              R"({"id":"par","requirements":{"agentTypes":["ta","tb","tc"]},"payload":{"x":1},)"
              R"("collaborationMode":"parallel"})",
              &out);
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(assigns[i].inputJson, R"({"x":1})");
        EXPECT_EQ(assigns[i].mode, "parallel");
        EXPECT_EQ(assigns[i].role, "stage");
        EXPECT_EQ(assigns[i].stages, 3u);
    }
    std::map<std::uint64_t, std::string> byStage;
    for (const auto& a : assigns) byStage[a.stage] = a.agentId;
    EXPECT_EQ(byStage, (std::map<std::uint64_t, std::string>{{0, "a"}, {1, "b"}, {2, "c"}}));

    complete(3, "par", "c", "\"C\"");
    complete(1, "par", "a", "\"A\"");
    EXPECT_TRUE(terminalEvents(log, "par").empty()) << "not done until every stage is";
    complete(2, "par", "b", "\"B\"");
    Document done = expectOneTerminal("par", MessageType::TaskComplete, "completed");
    EXPECT_EQ(str(done["result"]), R"(["A","B","C"])");
    expectLoadConsistent();
}

TEST_F(ArgsScheduler, HybridPrimaryAndSupportRoles) {
    registerAgent(1, "lead", "planner");
    registerAgent(2, "help1", "helper");
    registerAgent(3, "help2", "coder");
    Outputs out;
    startTask(kSubmitter,
              R"({"id":"h","requirements":{"agentTypes":["planner","helper","coder"]},"payload":{"goal":"g"},)"
              R"("collaborationMode":"hybrid"})",
              &out);
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 3u);
    for (const auto& a : assigns) {
        Document p = parse(a.payloadJson);
        EXPECT_EQ(a.mode, "hybrid");
        if (a.agentId == "lead") {
            EXPECT_EQ(a.role, "primary");
            EXPECT_EQ(a.stage, 0u);
            ASSERT_TRUE(p.HasMember("supportAgents"));
            std::set<std::string> support;
            for (const auto& s : p["supportAgents"].GetArray()) support.insert(s.GetString());
            EXPECT_EQ(support, (std::set<std::string>{"help1", "help2"}));
        } else {
            EXPECT_EQ(a.role, "support") << a.agentId;
            ASSERT_TRUE(p.HasMember("primaryAgent"));
            EXPECT_STREQ(p["primaryAgent"].GetString(), "lead");
        }
    }
    // A support agent finishing does not finish the task.
    complete(2, "h", "help1", "\"notes\"");
    EXPECT_TRUE(terminalEvents(log, "h").empty());
    // The primary finishing does; the support agent still at work is told to stop.
    out = complete(1, "h", "lead", R"({"plan":"done"})");
    Document done = expectOneTerminal("h", MessageType::TaskComplete, "completed");
    EXPECT_EQ(str(done["result"]), R"({"plan":"done"})");
    auto cancels = agentCancels(out);
    ASSERT_EQ(cancels.size(), 1u);
    EXPECT_EQ(cancels[0].agentId, "help2");
    EXPECT_EQ(cancels[0].owner, 3u);
    EXPECT_EQ(cancels[0].route, Route::ToAgent);
    EXPECT_EQ(agent("help2").currentTasks, 0u);
    // help2's late report is refused.
    EXPECT_EQ(codeName(fails(3, MessageType::TaskComplete, R"({"taskId":"h","agentId":"help2","result":1})").code),
              "forbidden");
    expectTerminalInvariant();
    expectLoadConsistent();
}

TEST_F(ArgsScheduler, StageAgentMustBeOfTheStageType) {
    registerAgent(1, "wrong", "writer");
    Outputs out;
    startTask(kSubmitter, R"({"id":"t","requirements":{"agentTypes":["reader"]}})", &out);
    EXPECT_TRUE(assignments(out).empty());
    out = registerAgent(2, "right", "reader");
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 1u) << "the waiting task goes to the newly registered agent";
    EXPECT_EQ(assigns[0].agentId, "right");
    expectLoadConsistent();
}

TEST_F(ArgsScheduler, SingleStageAgentMustHaveEveryCapability) {
    registerAgent(1, "partial", "w", {"x"});
    Outputs out;
    startTask(kSubmitter, R"({"id":"t","requirements":{"capabilities":["x","y"]}})", &out);
    EXPECT_TRUE(assignments(out).empty()) << "no single agent covers x and y";
    registerAgent(2, "other", "w", {"y"});
    EXPECT_TRUE(assignments(log).empty()) << "two agents together do not make a single stage";
    out = registerAgent(3, "full", "w", {"y", "z", "x"});
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 1u);
    EXPECT_EQ(assigns[0].agentId, "full");
}

TEST_F(ArgsScheduler, ParallelStagesMustCoverCapabilitiesTogether) {
    registerAgent(1, "x1", "w", {"x"});
    registerAgent(2, "x2", "w", {"x"});
    Outputs out;
    startTask(kSubmitter,
              R"({"id":"t","requirements":{"agentTypes":["w","w"],"capabilities":["x","y"]},"collaborationMode":"parallel"})",
              &out);
    EXPECT_TRUE(assignments(out).empty()) << "x1 and x2 do not cover y";
    out = registerAgent(3, "y1", "w", {"y"});
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 2u);
    std::vector<std::string> ids = agentsOf(assigns);
    EXPECT_EQ(std::count(ids.begin(), ids.end(), "y1"), 1) << "the agent with y is one of them";
    EXPECT_TRUE(std::count(ids.begin(), ids.end(), "x1") + std::count(ids.begin(), ids.end(), "x2") == 1);
    expectLoadConsistent();
}

// "Until such agents exist the task waits in the queue": a pipeline does not
// start while no agent of a later stage's type could bring a required
// capability, so no stage works for a task that cannot finish.
TEST_F(ArgsScheduler, PipelineWaitsUntilItsStagesCanCoverTheRequirements) {
    settings.assignTimeoutMs = 1000;
    registerAgent(1, "first", "a", {"x"});
    registerAgent(2, "z-only", "b", {"z"});
    Outputs out;
    startTask(kSubmitter,
              R"({"id":"t","requirements":{"agentTypes":["a","b"],"capabilities":["x","y"]},"collaborationMode":"sequential"})",
              &out);
    EXPECT_TRUE(assignments(out).empty()) << "no agent of type b can bring y";
    out = registerAgent(3, "y-too", "b", {"y"});
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 1u);
    EXPECT_EQ(assigns[0].agentId, "first");
    EXPECT_EQ(assigns[0].stage, 0u);
    out = complete(1, "t", "first", "1");
    assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 1u);
    EXPECT_EQ(assigns[0].agentId, "y-too") << "z-only cannot bring y";
    EXPECT_EQ(assigns[0].stage, 1u);
}

// The agents at hand can cover the requirements (T2 brings y, U1 the rest),
// so the task must not wait: "until such agents exist the task waits" only
// while no such agents exist. Picking T1 first (the longest idle of two
// equally good agents for stage 0) leaves stage 1 unable to bring y.
TEST_F(ArgsScheduler, ParallelTaskIsAssignedWheneverSomeChoiceCoversTheRequirements) {
    registerAgent(1, "T1", "T", {"x"});  // longest idle
    now += 10;
    registerAgent(2, "T2", "T", {"y"});
    now += 10;
    registerAgent(3, "U1", "U", {"x"});
    Outputs out;
    startTask(kSubmitter,
              R"({"id":"t","requirements":{"agentTypes":["T","U"],"capabilities":["x","y"]},"collaborationMode":"parallel"})",
              &out);
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 2u) << "T2 + U1 cover x and y";
    std::map<std::uint64_t, std::string> byStage;
    for (const auto& a : assigns) byStage[a.stage] = a.agentId;
    EXPECT_EQ(byStage, (std::map<std::uint64_t, std::string>{{0, "T2"}, {1, "U1"}}));
    expectLoadConsistent();
}

// A finished stage's capabilities stay covered even when its agent has since
// unregistered: the work it did is done.
TEST_F(ArgsScheduler, FinishedStageStillCoversItsCapabilitiesAfterItsAgentUnregisters) {
    registerAgent(1, "first", "a", {"x"});
    registerAgent(2, "second", "b", {"y"});
    startTask(kSubmitter, R"({"id":"p","requirements":{"agentTypes":["a","b"],"capabilities":["x","y"]}})");
    ASSERT_EQ(task("p").stages[0].agentId, "first");
    // Keep "second" busy so stage 2 cannot start the moment stage 1 ends.
    startTask(kSubmitter, R"({"id":"busy","requirements":{"agentTypes":["b"]}})");
    complete(1, "p", "first", "1");
    ok(1, MessageType::AgentUnregister, R"({"agentId":"first"})");
    Outputs out = complete(2, "busy", "second", "0");
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 1u) << "stage 2 with 'second' completes the coverage (x was brought by stage 1)";
    EXPECT_EQ(assigns[0].taskId, "p");
    EXPECT_EQ(assigns[0].agentId, "second");
}

TEST_F(ArgsScheduler, FinishedTasksAreForgottenOldestFirstPastTheLimit) {
    settings.maxTasksPerSession = 3;
    registerAgent(1, "a", "w");
    startTask(kSubmitter, R"({"id":"f1"})");
    now += 1;
    complete(1, "f1", "a");
    startTask(kSubmitter, R"({"id":"f2"})");
    now += 1;
    complete(1, "f2", "a");
    startTask(kSubmitter, R"({"id":"u1","requirements":{"agentTypes":["none"]}})");
    startTask(kSubmitter, R"({"id":"u2","requirements":{"agentTypes":["none"]}})");
    EXPECT_EQ(state().tasks.count("f1"), 0u) << "the oldest finished task made room";
    EXPECT_EQ(state().tasks.count("f2"), 1u);
    startTask(kSubmitter, R"({"id":"u3","requirements":{"agentTypes":["none"]}})");
    EXPECT_EQ(state().tasks.count("f2"), 0u);
    Outputs out;
    Error e = fails(kSubmitter, MessageType::TaskStart, R"({"id":"u4"})", &out);
    EXPECT_EQ(codeName(e.code), "limit_exceeded") << "unfinished tasks are never forgotten";
    EXPECT_TRUE(out.empty());
    for (const char* id : {"u1", "u2", "u3"}) EXPECT_EQ(state().tasks.count(id), 1u) << id;
    EXPECT_EQ(coord().totals().tasks, 5u) << "metrics keep counting forgotten tasks";
}

TEST_F(ArgsScheduler, PrefersMostUncoveredCapabilities) {
    registerAgent(1, "few", "w", {"x"});          // registered first: longest idle
    now += 10;
    registerAgent(2, "many", "w", {"x", "y", "z"});
    registerAgent(3, "u", "u", {});
    Outputs out;
    startTask(kSubmitter,
              R"({"id":"t","requirements":{"agentTypes":["w","u"],"capabilities":["x","y","z"]},"collaborationMode":"parallel"})",
              &out);
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 2u);
    for (const auto& a : assigns) {
        if (a.stage == 0) {
            EXPECT_EQ(a.agentId, "many");
        }
    }
}

TEST_F(ArgsScheduler, PrefersLeastLoadedThenLongestIdle) {
    registerAgent(1, "old", "w", {}, 3);  // idle since the start
    now += 10;
    registerAgent(2, "young", "w", {}, 3);
    Outputs out;
    startTask(kSubmitter, R"({"id":"t1"})", &out);
    EXPECT_EQ(agentsOf(assignments(out)), std::vector<std::string>{"old"}) << "equal load: the longest idle";
    startTask(kSubmitter, R"({"id":"t2"})", &out);
    EXPECT_EQ(agentsOf(assignments(out)), std::vector<std::string>{"young"}) << "the least loaded";
    startTask(kSubmitter, R"({"id":"t3"})", &out);
    EXPECT_EQ(agentsOf(assignments(out)), std::vector<std::string>{"old"});
    expectLoadConsistent();
}

TEST_F(ArgsScheduler, IdleTimeCountsFromWhenTheLoadDroppedToZero) {
    registerAgent(1, "a", "w");
    now += 10;
    registerAgent(2, "b", "w");
    now += 10;
    Outputs out;
    startTask(kSubmitter, R"({"id":"t1"})", &out);
    ASSERT_EQ(agentsOf(assignments(out)), std::vector<std::string>{"a"});
    now += 10;
    complete(1, "t1", "a");
    now += 10;
    // a just finished; b has been idle longer.
    startTask(kSubmitter, R"({"id":"t2"})", &out);
    EXPECT_EQ(agentsOf(assignments(out)), std::vector<std::string>{"b"});
    startTask(kSubmitter, R"({"id":"t3"})", &out);
    EXPECT_EQ(agentsOf(assignments(out)), std::vector<std::string>{"a"});
}

TEST_F(ArgsScheduler, CapacityIsRespected) {
    registerAgent(1, "a", "w", {}, 2);
    Outputs out;
    startTask(kSubmitter, R"({"id":"t1"})", &out);
    EXPECT_EQ(assignments(out).size(), 1u);
    startTask(kSubmitter, R"({"id":"t2"})", &out);
    EXPECT_EQ(assignments(out).size(), 1u);
    startTask(kSubmitter, R"({"id":"t3"})", &out);
    EXPECT_TRUE(assignments(out).empty()) << "a is at its maxConcurrentTasks";
    EXPECT_EQ(agent("a").currentTasks, 2u);
    EXPECT_EQ(snapshotTask("t3")["state"].GetString(), std::string("queued"));
    out = complete(1, "t1", "a");
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 1u);
    EXPECT_EQ(assigns[0].taskId, "t3");
    expectLoadConsistent();
    expectTerminalInvariant();
}

TEST_F(ArgsScheduler, PriorityFirstThenOldest) {
    registerAgent(1, "a", "w");
    startTask(kSubmitter, R"({"id":"blocker"})");
    startTask(kSubmitter, R"({"id":"low","priority":"low"})");
    startTask(kSubmitter, R"({"id":"crit1","priority":"critical"})");
    startTask(kSubmitter, R"({"id":"med"})");
    startTask(kSubmitter, R"({"id":"high","priority":"high"})");
    startTask(kSubmitter, R"({"id":"crit2","priority":"critical"})");
    std::vector<std::string> order;
    std::string current = "blocker";
    for (int i = 0; i < 5; ++i) {
        now += 5;
        Outputs out = complete(1, current, "a");
        auto assigns = assignments(out);
        ASSERT_EQ(assigns.size(), 1u);
        current = assigns[0].taskId;
        order.push_back(current);
    }
    EXPECT_EQ(order, (std::vector<std::string>{"crit1", "crit2", "high", "med", "low"}));
    complete(1, current, "a");
    expectTerminalInvariant();
    for (const auto& id : {"blocker", "low", "crit1", "med", "high", "crit2"})
        expectOneTerminal(id, MessageType::TaskComplete, "completed");
}

TEST_F(ArgsScheduler, HighestPriorityWaitingTaskGoesToANewAgent) {
    startTask(kSubmitter, R"({"id":"low","priority":"low"})");
    startTask(kSubmitter, R"({"id":"high","priority":"high"})");
    Outputs out = registerAgent(1, "a", "w");
    EXPECT_EQ(agentsOf(assignments(out)).size(), 1u);
    EXPECT_EQ(assignments(out).at(0).taskId, "high");
}

TEST_F(ArgsScheduler, DependenciesWaitUntilCompleted) {
    registerAgent(1, "a", "w");
    registerAgent(2, "b", "w");
    startTask(kSubmitter, R"({"id":"first"})");
    Outputs out;
    startTask(kSubmitter, R"({"id":"second","dependencies":["first"]})", &out);
    EXPECT_TRUE(assignments(out).empty()) << "b is free, but 'first' is not done";
    EXPECT_STREQ(snapshotTask("second")["state"].GetString(), "queued");
    out = complete(1, "first", "a", "1");
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 1u);
    EXPECT_EQ(assigns[0].taskId, "second");
    // A dependency already completed does not hold a task back.
    startTask(kSubmitter, R"({"id":"third","dependencies":["first"]})", &out);
    EXPECT_EQ(assignments(out).size(), 1u);
    expectTerminalInvariant();
}

TEST_F(ArgsScheduler, DependencyWaitDoesNotCountAgainstAssignTimeout) {
    settings.assignTimeoutMs = 1000;
    registerAgent(1, "a", "w");
    startTask(kSubmitter, R"({"id":"first"})");
    startTask(kSubmitter, R"({"id":"second","dependencies":["first"]})");
    advance(5000);  // 'first' runs long (taskTimeout is far away)
    EXPECT_TRUE(terminalEvents(log, "second").empty());
    Outputs out = complete(1, "first", "a");
    EXPECT_EQ(assignments(out).size(), 1u);
    EXPECT_EQ(assignments(out).at(0).taskId, "second");
}

TEST_F(ArgsScheduler, PipelineProgressIsShareOfStagesPlusCurrentPart) {
    for (int i = 0; i < 4; ++i) registerAgent(static_cast<Owner>(i + 1), "s" + std::to_string(i), "t" + std::to_string(i));
    startTask(kSubmitter, R"({"id":"p","requirements":{"agentTypes":["t0","t1","t2","t3"]}})");
    Outputs out = progress(1, "p", "s0", 50);
    auto announced = ofType(out, MessageType::TaskProgress, Route::Announce);
    ASSERT_EQ(announced.size(), 1u);
    Document p = payloadOf(*announced[0]);
    EXPECT_DOUBLE_EQ(p["progress"].GetDouble(), 12.5);
    EXPECT_EQ(p["stage"].GetUint(), 0u);
    EXPECT_STREQ(p["state"].GetString(), "running");
    EXPECT_STREQ(p["taskId"].GetString(), "p");
    // The agent's report rides along.
    EXPECT_DOUBLE_EQ(p["report"]["progress"].GetDouble(), 50.0);

    out = complete(1, "p", "s0", "0");
    p = payloadOf(*ofType(out, MessageType::TaskProgress, Route::Announce).at(0));
    EXPECT_DOUBLE_EQ(p["progress"].GetDouble(), 25.0);

    out = progress(2, "p", "s1", 50);
    p = payloadOf(*ofType(out, MessageType::TaskProgress, Route::Announce).at(0));
    EXPECT_DOUBLE_EQ(p["progress"].GetDouble(), 37.5);
    EXPECT_EQ(p["stage"].GetUint(), 1u);
    Document t = snapshotTask("p");
    EXPECT_DOUBLE_EQ(t["progress"].GetDouble(), 37.5);
    EXPECT_EQ(t["stage"].GetUint(), 1u);
    EXPECT_EQ(t["stages"].GetUint(), 4u);

    // Out-of-range progress is clamped to the stage.
    out = progress(2, "p", "s1", 250);
    p = payloadOf(*ofType(out, MessageType::TaskProgress, Route::Announce).at(0));
    EXPECT_DOUBLE_EQ(p["progress"].GetDouble(), 50.0);
    expectTerminalInvariant();
}

// The seed's client watches task-progress alone:
// on('task-progress', p => { bar(p.progress); text(p.message); if (p.status === 'completed') show(p.result); })
TEST_F(ArgsScheduler, ProgressAnnouncementsCarryStatusMessageAndTheFinalResult) {
    registerAgent(1, "c", "collect");
    registerAgent(2, "a", "analyze");
    startTask(kSubmitter, R"({"id":"p","requirements":{"agentTypes":["collect","analyze"]}})");
    Outputs out;
    ok(1, MessageType::TaskProgress, R"({"taskId":"p","agentId":"c","progress":40,"message":"fetching"})", &out);
    Document p = payloadOf(*ofType(out, MessageType::TaskProgress, Route::Announce).at(0));
    EXPECT_STREQ(p["status"].GetString(), "running");
    EXPECT_STREQ(p["message"].GetString(), "fetching");
    EXPECT_FALSE(p.HasMember("result"));

    out = complete(1, "p", "c", R"({"rows":3})");
    p = payloadOf(*ofType(out, MessageType::TaskProgress, Route::Announce).at(0));
    EXPECT_STREQ(p["status"].GetString(), "running") << "a stage is done, not the task";
    EXPECT_FALSE(p.HasMember("result"));

    out = complete(2, "p", "a", R"({"clusters":4})");
    p = payloadOf(*ofType(out, MessageType::TaskProgress, Route::Announce).at(0));
    EXPECT_STREQ(p["status"].GetString(), "completed");
    EXPECT_STREQ(p["state"].GetString(), "completed");
    EXPECT_DOUBLE_EQ(p["progress"].GetDouble(), 100.0);
    EXPECT_EQ(str(p["result"]), R"({"clusters":4})");
    expectOneTerminal("p", MessageType::TaskComplete, "completed");
}

TEST_F(ArgsScheduler, ProgressWithCompletedStatusAndResultCompletes) {
    registerAgent(1, "a", "w");
    startTask(kSubmitter, R"({"id":"t"})");
    // "completed" without a result is just progress.
    ok(1, MessageType::TaskProgress, R"({"taskId":"t","agentId":"a","status":"completed","progress":100})");
    EXPECT_TRUE(terminalEvents(log, "t").empty());
    EXPECT_EQ(agent("a").currentTasks, 1u);
    ok(1, MessageType::TaskProgress, R"({"taskId":"t","agentId":"a","status":"completed","progress":100,"result":{"v":9}})");
    Document done = expectOneTerminal("t", MessageType::TaskComplete, "completed");
    EXPECT_EQ(str(done["result"]), R"({"v":9})");
    EXPECT_EQ(agent("a").currentTasks, 0u);
}

TEST_F(ArgsScheduler, AgentIdMayComeFromTheEnvelope) {
    registerAgent(1, "a", "w");
    startTask(kSubmitter, R"({"id":"t"})");
    Message m = message(MessageType::TaskComplete, R"({"taskId":"t","result":3})");
    m.agentId = "a";
    auto r = handle(1, m);
    ASSERT_TRUE(std::holds_alternative<std::string>(r)) << codeName(std::get<Error>(r).code);
    expectOneTerminal("t", MessageType::TaskComplete, "completed");
}

TEST_F(ArgsScheduler, ReportsFromAgentsNotAssignedAreForbidden) {
    registerAgent(1, "a", "w");
    startTask(kSubmitter, R"({"id":"t"})");
    registerAgent(2, "b", "w");
    Outputs out;
    // b is online and owned by its sender, but not on this task.
    EXPECT_EQ(codeName(fails(2, MessageType::TaskComplete, R"({"taskId":"t","agentId":"b","result":1})", &out).code),
              "forbidden");
    EXPECT_EQ(codeName(fails(2, MessageType::TaskProgress, R"({"taskId":"t","agentId":"b","progress":5})", &out).code),
              "forbidden");
    EXPECT_EQ(codeName(fails(2, MessageType::TaskError, R"({"taskId":"t","agentId":"b","code":"x"})", &out).code),
              "forbidden");
    // Someone speaking for a, which it does not own.
    EXPECT_EQ(codeName(fails(2, MessageType::TaskComplete, R"({"taskId":"t","agentId":"a","result":1})", &out).code),
              "forbidden");
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(codeName(fails(1, MessageType::TaskComplete, R"({"taskId":"nope","agentId":"a"})").code), "not_found");
    EXPECT_EQ(codeName(fails(1, MessageType::TaskComplete, R"({"agentId":"a"})").code), "bad_request");
    EXPECT_EQ(codeName(fails(1, MessageType::TaskComplete, R"({"taskId":"t"})").code), "bad_request");
    EXPECT_TRUE(terminalEvents(log, "t").empty());
    complete(1, "t", "a", "1");
    // A second completion of a finished task is refused: one terminal event only.
    EXPECT_EQ(codeName(fails(1, MessageType::TaskComplete, R"({"taskId":"t","agentId":"a","result":2})").code),
              "forbidden");
    expectOneTerminal("t", MessageType::TaskComplete, "completed");
}

TEST_F(ArgsScheduler, SnapshotHasTheProtocolFields) {
    registerAgent(1, "a", "w", {"nlp"});
    startTask(kSubmitter, R"({"id":"ok","type":"kind"})");
    now += 400;
    complete(1, "ok", "a", R"({"answer":42})");
    startTask(kSubmitter, R"({"id":"bad"})");
    agentError(1, "bad", "a");
    startTask(kSubmitter, R"({"id":"waiting","requirements":{"agentTypes":["none"]}})");
    Document snap = snapshot();
    EXPECT_STREQ(snap["sessionId"].GetString(), "s1");
    ASSERT_TRUE(snap["agents"].IsArray());
    ASSERT_TRUE(snap["tasks"].IsArray());
    ASSERT_TRUE(snap["streams"].IsArray());
    const Value& metrics = snap["metrics"];
    EXPECT_EQ(metrics["totalTasks"].GetUint(), 3u);
    EXPECT_EQ(metrics["completedTasks"].GetUint(), 1u);
    EXPECT_EQ(metrics["errorCount"].GetUint(), 1u);
    EXPECT_DOUBLE_EQ(metrics["avgExecutionTime"].GetDouble(), 400.0);
    for (const auto& t : snap["tasks"].GetArray())
        for (const char* key : {"id", "type", "state", "progress", "stage", "stages", "agents", "result", "error"})
            EXPECT_TRUE(t.HasMember(key)) << key << " missing in " << str(t);
    Document okTask = snapshotTask("ok");
    EXPECT_STREQ(okTask["type"].GetString(), "kind");
    EXPECT_STREQ(okTask["state"].GetString(), "completed");
    EXPECT_EQ(str(okTask["result"]), R"({"answer":42})");
    EXPECT_TRUE(okTask["error"].IsNull());
    Document badTask = snapshotTask("bad");
    EXPECT_STREQ(badTask["state"].GetString(), "failed");
    EXPECT_STREQ(badTask["error"]["code"].GetString(), "agent_error");
    Document waiting = snapshotTask("waiting");
    EXPECT_STREQ(waiting["state"].GetString(), "queued");
    EXPECT_EQ(waiting["agents"].Size(), 0u);
    // SYNC_REQUEST answers with the same snapshot.
    EXPECT_EQ(ok(1, MessageType::SyncRequest, "{}"), *coord().snapshotJson("s1"));
    auto totals = coord().totals();
    EXPECT_EQ(totals.tasks, 3u);
    EXPECT_EQ(totals.completed, 1u);
    EXPECT_EQ(totals.failed, 1u);
    EXPECT_DOUBLE_EQ(totals.avgExecutionMs, 400.0);
    expectTerminalInvariant();
}

TEST_F(ArgsScheduler, StartTaskApiUsesTheSameRules) {
    registerAgent(1, "a", "w");
    Outputs out;
    brolostack::args::TaskDefinition def;
    def.id = "api";
    def.payloadJson = R"({"from":"http"})";
    Result r = coord().startTask(0, "s1", def, std::nullopt, now, out);
    ASSERT_TRUE(std::holds_alternative<std::string>(r));
    EXPECT_STREQ(parse(std::get<std::string>(r))["state"].GetString(), "queued");
    auto assigns = assignments(out);
    ASSERT_EQ(assigns.size(), 1u);
    EXPECT_EQ(assigns[0].inputJson, R"({"from":"http"})");
    Outputs again;
    Result dup = coord().startTask(0, "s1", def, std::nullopt, now, again);
    ASSERT_TRUE(std::holds_alternative<Error>(dup));
    EXPECT_EQ(codeName(std::get<Error>(dup).code), "conflict");
}

}  // namespace
}  // namespace argstest

namespace argstest {
namespace {

TEST_F(ArgsScheduler, FinishedTasksAreForgottenAfterTheirRetentionDeadLettersLater) {
    settings.taskRetentionMs = 1000;
    settings.deadLetterRetentionMs = 5000;
    checkInvariantsAtTearDown = false;  // forgotten tasks leave no terminal event to check
    registerAgent(1, "a", "w");
    startTask(kSubmitter, R"({"id":"done"})");
    complete(1, "done", "a");
    startTask(kSubmitter, R"({"id":"broken","maxRetries":0})");
    agentError(1, "broken", "a");
    advance(999);
    EXPECT_EQ(state().tasks.count("done"), 1u) << "kept for its retention";
    advance(2);
    EXPECT_EQ(state().tasks.count("done"), 0u) << "then forgotten";
    EXPECT_EQ(state().tasks.count("broken"), 1u) << "a dead letter stays longer";
    advance(4000);
    EXPECT_EQ(state().tasks.count("broken"), 0u);
    EXPECT_EQ(coord().totals().completed, 1u) << "metrics keep counting forgotten tasks";
}

}  // namespace
}  // namespace argstest
