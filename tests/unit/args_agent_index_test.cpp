// The session's index of the agents that can take work (AgentIndex in
// session.hpp): it follows registration, status reports, unregistering,
// disconnects, assignments, finished stages and a restore from the store,
// and the agent it yields for a task of one stage is the one the scheduling
// rules name (least loaded, then longest idle, then by id, among agents of
// the stage's type that have every required capability).
#include "args_test_support.hpp"

#include <algorithm>
#include <set>

namespace argstest {
namespace {

constexpr Owner kSubmitter = 100;

using ArgsAgentIndex = ArgsTest;

std::vector<std::string> heldIds(const brolostack::args::AgentIndex::Entries& entries) {
    std::vector<std::string> ids;
    for (const auto& e : entries) ids.push_back(*e.id);
    return ids;
}

std::vector<std::string> held(const brolostack::args::Session& s) { return heldIds(s.available.all()); }

std::vector<std::string> heldWith(const brolostack::args::Session& s, const std::string& cap) {
    const auto* with = s.available.withCapability(cap);
    return with ? heldIds(*with) : std::vector<std::string>{};
}

using Ids = std::vector<std::string>;

TEST_F(ArgsAgentIndex, FollowsRegisterStatusLeaveAndDisconnect) {
    registerAgent(1, "a", "w", {"x", "y"});
    now += 10;
    registerAgent(2, "b", "w", {"y"});
    now += 10;
    registerAgent(3, "c", "w", {"x"});
    ASSERT_TRUE(state().agentIndexConsistent());
    EXPECT_EQ(held(state()), (Ids{"a", "b", "c"})) << "longest idle first";
    EXPECT_EQ(heldWith(state(), "x"), (Ids{"a", "c"}));
    EXPECT_EQ(heldWith(state(), "y"), (Ids{"a", "b"}));

    for (const char* status : {"paused", "error", "maintenance", "offline"}) {
        ok(1, MessageType::Heartbeat, std::string(R"({"agentId":"a","status":")") + status + "\"}");
        ASSERT_TRUE(state().agentIndexConsistent()) << status;
        EXPECT_EQ(held(state()), (Ids{"b", "c"})) << status;
        EXPECT_EQ(heldWith(state(), "x"), (Ids{"c"})) << status;
    }
    ok(1, MessageType::Heartbeat, R"({"agentId":"a","status":"busy"})");
    ASSERT_TRUE(state().agentIndexConsistent());
    EXPECT_EQ(held(state()), (Ids{"a", "b", "c"})) << "a status that does not refuse work";

    // Registering again with other capabilities moves it between them.
    registerAgent(1, "a", "w", {"z"});
    ASSERT_TRUE(state().agentIndexConsistent());
    EXPECT_EQ(heldWith(state(), "x"), (Ids{"c"}));
    EXPECT_EQ(heldWith(state(), "y"), (Ids{"b"}));
    EXPECT_EQ(heldWith(state(), "z"), (Ids{"a"}));

    ok(2, MessageType::AgentUnregister, R"({"agentId":"b"})");
    ASSERT_TRUE(state().agentIndexConsistent());
    EXPECT_EQ(held(state()), (Ids{"a", "c"}));
    EXPECT_EQ(state().available.withCapability("y"), nullptr) << "no empty capability sets are kept";

    gone(3);
    ASSERT_TRUE(state().agentIndexConsistent());
    EXPECT_EQ(held(state()), (Ids{"a"}));
    now += 10;
    registerAgent(4, "c", "w", {"x"});  // back, on another connection
    ASSERT_TRUE(state().agentIndexConsistent());
    EXPECT_EQ(held(state()), (Ids{"a", "c"}));
}

TEST_F(ArgsAgentIndex, FollowsLoadAndIdleTimeThroughAssignmentsAndFinishedStages) {
    registerAgent(1, "a", "w", {"x"}, 2);
    now += 10;
    registerAgent(2, "b", "w", {"x"}, 1);
    now += 10;
    Outputs out;
    startTask(kSubmitter, R"({"id":"t1","requirements":{"capabilities":["x"]}})", &out);
    ASSERT_EQ(assignments(out).size(), 1u);
    EXPECT_EQ(assignments(out)[0].agentId, "a");
    ASSERT_TRUE(state().agentIndexConsistent());
    EXPECT_EQ(held(state()), (Ids{"b", "a"})) << "a carries one task now";

    startTask(kSubmitter, R"({"id":"t2","requirements":{"capabilities":["x"]}})", &out);
    EXPECT_EQ(assignments(out)[0].agentId, "b");
    ASSERT_TRUE(state().agentIndexConsistent());
    EXPECT_EQ(held(state()), (Ids{"a"})) << "b is at its capacity";

    startTask(kSubmitter, R"({"id":"t3","requirements":{"capabilities":["x"]}})", &out);
    EXPECT_EQ(assignments(out)[0].agentId, "a");
    ASSERT_TRUE(state().agentIndexConsistent());
    EXPECT_TRUE(held(state()).empty()) << "everyone is at capacity";
    EXPECT_TRUE(state().available.empty());

    now += 10;
    complete(2, "t2", "b");
    ASSERT_TRUE(state().agentIndexConsistent());
    EXPECT_EQ(held(state()), (Ids{"b"}));
    EXPECT_EQ(state().available.all().begin()->idleSince, now) << "idle from when its load dropped to zero";

    now += 10;
    agentError(1, "t1", "a");
    ASSERT_TRUE(state().agentIndexConsistent());
    EXPECT_EQ(held(state()), (Ids{"b", "a"})) << "b has been idle longer; a still has t3";

    ASSERT_TRUE(std::holds_alternative<std::string>(cancel(kSubmitter, "t3")));
    ASSERT_TRUE(state().agentIndexConsistent());
    EXPECT_EQ(held(state()), (Ids{"b", "a"})) << "a is idle since now, after b";
    EXPECT_EQ(state().available.all().rbegin()->idleSince, now);
}

TEST_F(ArgsAgentIndex, FollowsStagesRequeuedWhenTheirAgentLeavesOrTimesOut) {
    settings.taskTimeoutMs = 1000;
    registerAgent(1, "a", "w", {"x"});
    now += 10;
    registerAgent(2, "b", "w", {"x"});
    Outputs out;
    startTask(kSubmitter, R"({"id":"t","requirements":{"capabilities":["x"]}})", &out);
    ASSERT_EQ(assignments(out)[0].agentId, "a");
    out = advance(1000);  // a times out; the stage goes to b
    ASSERT_EQ(assignments(out).size(), 1u);
    EXPECT_EQ(assignments(out)[0].agentId, "b");
    ASSERT_TRUE(state().agentIndexConsistent());
    EXPECT_EQ(held(state()), (Ids{"a"}));
    out = gone(2);  // b's connection closes; a has timed out on it already
    EXPECT_TRUE(assignments(out).empty());
    ASSERT_TRUE(state().agentIndexConsistent());
    EXPECT_EQ(held(state()), (Ids{"a"}));
}

TEST_F(ArgsAgentIndex, IsBuiltAgainOnRestoreFromTheStore) {
    brolostack::store::MemoryStore store;
    std::uint64_t ids = 0;
    auto newId = [&ids] { return "r" + std::to_string(++ids); };
    Outputs out;
    {
        Coordinator before(settings, newId, &store);
        before.handle(1, message(MessageType::AgentRegister, R"({"id":"a","type":"w","capabilities":["x"]})"), now, out);
        before.handle(2, message(MessageType::AgentRegister, R"({"id":"b","type":"w","capabilities":["x"]})"), now, out);
        before.handle(kSubmitter, message(MessageType::TaskStart, R"({"id":"t","requirements":{"capabilities":["x"]}})"),
                      now, out);
        ASSERT_TRUE(before.findSession(session)->agentIndexConsistent());
    }
    Coordinator after(settings, newId, &store);
    EXPECT_EQ(after.restore(store.load(), now), 0u);
    const auto* s = after.findSession(session);
    ASSERT_NE(s, nullptr);
    ASSERT_EQ(s->agents.size(), 2u);
    ASSERT_TRUE(s->agentIndexConsistent());
    EXPECT_TRUE(s->assignableConsistent());
    EXPECT_EQ(s->assignable.size(), 1u) << "the stage that was running waits for an agent";
    EXPECT_TRUE(s->available.empty()) << "restored agents are offline until they register again";

    out.clear();
    now += 10;
    Result r = after.handle(3, message(MessageType::AgentRegister, R"({"id":"b","type":"w","capabilities":["x","y"]})"),
                            now, out);
    ASSERT_TRUE(std::holds_alternative<std::string>(r));
    // The stage running when the server stopped is ready again: b takes it.
    ASSERT_EQ(assignments(out).size(), 1u);
    EXPECT_EQ(assignments(out)[0].agentId, "b");
    ASSERT_TRUE(s->agentIndexConsistent());
    EXPECT_TRUE(s->assignable.empty());
    EXPECT_TRUE(s->available.empty()) << "b is at its capacity";

    out.clear();
    now += 10;
    r = after.handle(4, message(MessageType::AgentRegister,
                                R"({"id":"a","type":"w","capabilities":["y"],"metadata":{"maxConcurrentTasks":2}})"),
                     now, out);
    ASSERT_TRUE(std::holds_alternative<std::string>(r));
    ASSERT_TRUE(s->agentIndexConsistent());
    EXPECT_EQ(held(*s), (Ids{"a"}));
    EXPECT_EQ(heldWith(*s, "y"), (Ids{"a"}));
    EXPECT_EQ(s->available.withCapability("x"), nullptr) << "a no longer has x, b is busy";
}

/// The agent the scheduling rules name for a task of one stage, found by
/// looking at every agent: the reference the index must agree with.
std::optional<std::string> expectedAgent(const brolostack::args::Session& s, const std::optional<std::string>& type,
                                         const std::vector<std::string>& caps) {
    const brolostack::args::AgentState* best = nullptr;
    for (const auto& [id, a] : s.agents) {
        const std::string& st = a.info.status;
        if (!a.online || st == "offline" || st == "error" || st == "paused" || st == "maintenance") continue;
        if (a.currentTasks >= a.info.maxConcurrentTasks) continue;
        if (type && a.info.type != *type) continue;
        bool hasAll = std::all_of(caps.begin(), caps.end(), [&](const std::string& c) {
            return std::find(a.info.capabilities.begin(), a.info.capabilities.end(), c) != a.info.capabilities.end();
        });
        if (!hasAll) continue;
        // Agents are walked by id: a later one wins only when strictly preferred.
        if (!best || std::tie(a.currentTasks, a.idleSince) < std::tie(best->currentTasks, best->idleSince)) best = &a;
    }
    if (!best) return std::nullopt;
    return best->info.id;
}

TEST_F(ArgsAgentIndex, RandomOperationsKeepItInStepAndChooseAsTheRulesSay) {
    settings.maxAgentsPerSession = 64;
    std::uint64_t rng = 0x9E3779B97F4A7C15ull;
    auto next = [&rng](std::uint64_t n) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return rng % n;
    };
    const std::vector<std::string> allCaps{"x", "y", "z"};
    const std::vector<std::string> types{"w", "v"};
    const std::vector<std::string> statuses{"idle", "busy", "paused", "error", "maintenance", "offline"};
    auto agentName = [](std::uint64_t i) { return "a" + std::to_string(i); };
    auto ownerOf = [](std::uint64_t i) { return static_cast<Owner>(i + 1); };
    std::vector<std::pair<std::string, std::string>> running;  // (task, agent)
    std::size_t assigned = 0, compared = 0;
    int taskNo = 0;
    for (int op = 0; op < 3000; ++op) {
        now += static_cast<std::int64_t>(next(3));
        std::uint64_t i = next(24);
        const std::string id = agentName(i);
        bool online = false;
        if (const auto* s = coord().findSession(session)) {
            auto it = s->agents.find(id);
            online = it != s->agents.end() && it->second.online;
        }
        switch (next(6)) {
            case 0: {  // register, or register again with other capabilities
                std::vector<std::string> caps;
                for (const auto& c : allCaps)
                    if (next(2)) caps.push_back(c);
                // The same capacity each time: a lower one while busy would leave
                // it over capacity, which expectLoadConsistent() reports.
                registerAgent(ownerOf(i), id, types[next(types.size())], caps, static_cast<std::uint32_t>(1 + i % 3));
                break;
            }
            case 1:
                if (online)
                    ok(ownerOf(i), MessageType::Heartbeat,
                       R"({"agentId":")" + id + R"(","status":")" + statuses[next(statuses.size())] + "\"}");
                break;
            case 2:
                if (online && next(2)) ok(ownerOf(i), MessageType::AgentUnregister, R"({"agentId":")" + id + "\"}");
                else if (online) gone(ownerOf(i));
                break;
            default: {
                if (!running.empty() && next(2)) {  // a stage finishes
                    std::size_t k = next(running.size());
                    auto [taskId, agentId] = running[k];
                    running.erase(running.begin() + static_cast<std::ptrdiff_t>(k));
                    if (!coord().findSession(session)) break;
                    const auto& t = task(taskId);
                    auto a = state().agents.find(agentId);
                    bool stillAssigned = !t.finished() && t.stages[0].state == brolostack::args::StageState::Running &&
                                         t.stages[0].agentId == agentId && a != state().agents.end() &&
                                         a->second.online;
                    if (stillAssigned) complete(a->second.owner, taskId, agentId);
                    break;
                }
                std::optional<std::string> type;
                if (next(3) == 0) type = types[next(types.size())];
                std::vector<std::string> caps;
                for (const auto& c : allCaps)
                    if (next(3) == 0) caps.push_back(c);
                std::optional<std::string> expected;
                if (coord().findSession(session)) expected = expectedAgent(state(), type, caps);
                std::string taskId = "t" + std::to_string(++taskNo);
                std::string def = R"({"id":")" + taskId + R"(","requirements":{"capabilities":)" + jsonList(caps) +
                                  (type ? R"(,"agentTypes":[")" + *type + "\"]" : std::string()) + "}}";
                Outputs out;
                startTask(kSubmitter, def, &out);
                auto assigns = assignments(out);
                ++compared;
                if (expected) {
                    ASSERT_EQ(assigns.size(), 1u) << "op " << op << " " << def;
                    EXPECT_EQ(assigns[0].agentId, *expected) << "op " << op << " " << def;
                    running.emplace_back(taskId, assigns[0].agentId);
                    ++assigned;
                } else {
                    EXPECT_TRUE(assigns.empty()) << "op " << op << " " << def;
                    // Nobody can take it now: drop it so that no task waits
                    // in the queue and each start is compared alone.
                    ASSERT_TRUE(std::holds_alternative<std::string>(cancel(kSubmitter, taskId)));
                }
            }
        }
        if (coord().findSession(session)) {
            ASSERT_TRUE(state().agentIndexConsistent()) << "after op " << op;
            if (op % 50 == 0) expectLoadConsistent();
        }
    }
    EXPECT_GT(assigned, 200u) << "the run assigns enough to mean something";
    EXPECT_GT(compared - assigned, 50u) << "and waits for lack of agents often enough";
}

}  // namespace
}  // namespace argstest
