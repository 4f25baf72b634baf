// ARGS at scale: 1,000 agents in one session and 1,000 tasks of every mode
// run through them, the agents completing whatever they are given. Asserts
// outcomes (every task completed exactly once, nobody over capacity, the
// totals), never time.
#include "args_test_support.hpp"

#include <cstdio>
#include <deque>
#include <set>

namespace argstest {
namespace {

constexpr int kAgents = 1000;
constexpr int kTasks = 1000;
constexpr Owner kSubmitter = 1'000'000;

std::string agentId(int i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "a%04d", i);
    return buf;
}

std::string taskId(int i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "t%04d", i);
    return buf;
}

class ArgsScale : public ArgsTest {
protected:
    // The invariants are checked in the tests, in one pass over the outputs.
    void SetUp() override { checkInvariantsAtTearDown = false; }

    struct Work {
        std::string taskId;
        std::string agentId;
        Owner owner;
        std::uint64_t stage;
    };
    std::deque<Work> pending;                      // assignments not yet answered
    std::map<std::string, std::uint32_t> inFlight;  // per agent, as the agents see it
    std::map<std::string, std::uint32_t> capacity;
    std::map<std::string, int> terminals;           // per task
    std::map<std::string, std::string> terminalType;
    std::size_t assignCount = 0;
    std::size_t maxPending = 0;
    std::uint64_t rng = 88172645463325252ull;

    std::uint64_t next() {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return rng;
    }

    /// Reads what the coordinator routed: new work, cancels, terminal events.
    void absorb(const Outputs& out) {
        for (const auto& r : out) {
            if (r.msg.type == MessageType::TaskAssign) {
                Document p = payloadOf(r);
                Work w{p["taskId"].GetString(), p["agentId"].GetString(), r.owner, p["stage"].GetUint64()};
                ASSERT_EQ(r.route, Route::ToAgent);
                std::uint32_t& load = inFlight[w.agentId];
                ++load;
                ASSERT_LE(load, capacity[w.agentId]) << "agent " << w.agentId << " over capacity";
                pending.push_back(w);
                ++assignCount;
                maxPending = std::max(maxPending, pending.size());
                continue;
            }
            bool terminal = r.msg.type == MessageType::TaskComplete || r.msg.type == MessageType::TaskError;
            Document p = payloadOf(r);
            if (r.msg.type == MessageType::TaskCancel) {
                if (p.HasMember("state")) {
                    terminal = true;
                } else {
                    // An agent told to stop (a hybrid support agent when the primary is done).
                    std::string task = p["taskId"].GetString(), agent = p["agentId"].GetString();
                    for (auto it = pending.begin(); it != pending.end(); ++it)
                        if (it->taskId == task && it->agentId == agent) {
                            --inFlight[agent];
                            pending.erase(it);
                            break;
                        }
                }
            }
            if (terminal) {
                ASSERT_EQ(r.route, Route::Announce);
                std::string task = p["taskId"].GetString();
                ++terminals[task];
                terminalType[task] = typeName(r.msg.type);
            }
        }
    }

    /// Agents answer pending work in a scrambled order until none is left.
    void work(std::size_t keep = 0) {
        while (pending.size() > keep) {
            std::size_t i = static_cast<std::size_t>(next() % pending.size());
            Work w = pending[i];
            pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(i));
            --inFlight[w.agentId];
            now += 1 + static_cast<std::int64_t>(next() % 50);
            Outputs out;
            ok(w.owner, MessageType::TaskComplete,
               "{\"taskId\":\"" + w.taskId + "\",\"agentId\":\"" + w.agentId + "\",\"result\":{\"stage\":" +
                   std::to_string(w.stage) + "}}",
               &out);
            absorb(out);
            if (HasFatalFailure()) return;
        }
    }

    std::string definition(int i) {
        static const char* priorities[] = {"low", "medium", "high", "critical"};
        std::string cap = "c" + std::to_string(i % 5);
        std::string head = "{\"id\":\"" + taskId(i) + "\",\"priority\":\"" + priorities[i % 4] + "\",\"payload\":{\"i\":" +
                           std::to_string(i) + "},";
        switch (i % 10) {
            case 0:
                return head + R"("collaborationMode":"sequential","requirements":{"agentTypes":["general","special"]}})";
            case 1:
                return head + R"("collaborationMode":"parallel","requirements":{"agentTypes":["general","general"]}})";
            case 2:
                return head + R"("collaborationMode":"hybrid","requirements":{"agentTypes":["general","special"]}})";
            case 3:
            case 4:
            case 5:
                return head + R"("requirements":{"agentTypes":["special"],"capabilities":[")" + cap + "\"]}}";
            default:
                return head + R"("requirements":{"capabilities":[")" + cap + "\"]}}";
        }
    }
};

TEST_F(ArgsScale, ThousandAgentsRunThousandTasks) {
    settings.maxAgentsPerSession = kAgents;
    log.reserve(1 << 16);
    for (int i = 0; i < kAgents; ++i) {
        std::string id = agentId(i);
        std::uint32_t max = i % 3 == 0 ? 2 : 1;
        capacity[id] = max;
        // 100 "special" agents are the bottleneck; owners hold 4 agents each.
        registerAgent(static_cast<Owner>(i / 4 + 1), id, i < 100 ? "special" : "general",
                      {"c" + std::to_string(i % 5)}, max);
        now += 1;
    }
    EXPECT_EQ(state().onlineAgents(), static_cast<std::size_t>(kAgents));
    EXPECT_EQ(codeName(fails(9999, MessageType::AgentRegister, R"({"id":"one-too-many","type":"general"})").code),
              "limit_exceeded");
    log.clear();

    for (int i = 0; i < kTasks; ++i) {
        Outputs out;
        startTask(kSubmitter, definition(i), &out);
        absorb(out);
        ASSERT_FALSE(HasFatalFailure());
        // Agents answer as work arrives, but let a backlog build up.
        if (i % 250 == 249) {
            ASSERT_TRUE(state().agentIndexConsistent()) << "with a backlog, after task " << i;
            work(0);
        } else if (pending.size() > 300) {
            work(150);
        }
        ASSERT_FALSE(HasFatalFailure());
    }
    work(0);
    ASSERT_FALSE(HasFatalFailure());

    // Every task completed, exactly once.
    ASSERT_EQ(terminals.size(), static_cast<std::size_t>(kTasks));
    for (int i = 0; i < kTasks; ++i) {
        EXPECT_EQ(terminals[taskId(i)], 1) << taskId(i);
        EXPECT_EQ(terminalType[taskId(i)], "TASK_COMPLETE") << taskId(i);
    }
    for (const auto& [id, t] : state().tasks) {
        EXPECT_EQ(t.state, brolostack::args::TaskState::Completed) << id;
        std::string expected = R"({"stage":0})";  // single stage, or the hybrid primary
        if (t.def.mode == brolostack::args::Mode::Parallel) expected = R"([{"stage":0},{"stage":1}])";
        else if (t.def.mode == brolostack::args::Mode::Sequential && t.stages.size() == 2) expected = R"({"stage":1})";
        EXPECT_EQ(t.resultJson, expected) << id;
    }
    // Stage runs: 700 single, 100 x 2 sequential, 100 x 2 parallel, 100 x 2 hybrid.
    EXPECT_EQ(assignCount, 1300u);
    EXPECT_GT(maxPending, 100u) << "the special agents were a bottleneck at some point";

    // Nobody is over capacity and every load is released.
    for (const auto& [id, a] : state().agents) {
        EXPECT_EQ(a.currentTasks, 0u) << id;
        EXPECT_TRUE(a.online) << id;
    }
    expectLoadConsistent();
    EXPECT_TRUE(state().agentIndexConsistent());
    EXPECT_EQ(state().available.all().size(), static_cast<std::size_t>(kAgents)) << "all can take work again";
    auto totals = coord().totals();
    EXPECT_EQ(totals.sessions, 1u);
    EXPECT_EQ(totals.agents, static_cast<std::uint64_t>(kAgents));
    EXPECT_EQ(totals.tasks, static_cast<std::uint64_t>(kTasks));
    EXPECT_EQ(totals.completed, static_cast<std::uint64_t>(kTasks));
    EXPECT_EQ(totals.failed, 0u);
    EXPECT_GT(totals.avgExecutionMs, 0.0);
    Document snap = snapshot();
    EXPECT_EQ(snap["agents"].Size(), static_cast<unsigned>(kAgents));
    EXPECT_EQ(snap["tasks"].Size(), static_cast<unsigned>(kTasks));
    EXPECT_EQ(snap["metrics"]["completedTasks"].GetUint(), static_cast<unsigned>(kTasks));
    EXPECT_EQ(snap["metrics"]["errorCount"].GetUint(), 0u);
}

TEST_F(ArgsScale, ThousandAgentsDisconnectingRequeuesEverything) {
    settings.maxAgentsPerSession = kAgents;
    for (int i = 0; i < kAgents; ++i) {
        capacity[agentId(i)] = 1;
        registerAgent(static_cast<Owner>(i + 1), agentId(i), "w");
    }
    log.clear();
    for (int i = 0; i < kAgents / 2; ++i) {
        Outputs out;
        startTask(kSubmitter, "{\"id\":\"" + taskId(i) + "\"}", &out);
        absorb(out);
    }
    ASSERT_EQ(pending.size(), static_cast<std::size_t>(kAgents / 2));
    // Every connection whose agent is working drops; the idle half takes over.
    std::set<Owner> busy;
    for (const auto& w : pending) busy.insert(w.owner);
    std::deque<Work> dropped;
    dropped.swap(pending);
    for (const auto& w : dropped) --inFlight[w.agentId];
    for (Owner owner : busy) absorb(gone(owner));
    ASSERT_FALSE(HasFatalFailure());
    EXPECT_EQ(pending.size(), static_cast<std::size_t>(kAgents / 2)) << "every task was re-queued and re-assigned";
    for (const auto& w : pending) EXPECT_EQ(busy.count(w.owner), 0u) << w.agentId << " had gone";
    work(0);
    ASSERT_FALSE(HasFatalFailure());
    for (int i = 0; i < kAgents / 2; ++i) {
        EXPECT_EQ(terminals[taskId(i)], 1) << taskId(i);
        EXPECT_EQ(terminalType[taskId(i)], "TASK_COMPLETE");
    }
    EXPECT_EQ(coord().totals().agents, static_cast<std::uint64_t>(kAgents / 2));
    EXPECT_EQ(coord().totals().completed, static_cast<std::uint64_t>(kAgents / 2));
    expectLoadConsistent();
    EXPECT_TRUE(state().agentIndexConsistent());
}

}  // namespace
}  // namespace argstest
