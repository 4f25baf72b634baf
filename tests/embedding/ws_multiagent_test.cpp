// brolostack::WSMultiagent with in-process agents: assignments, taking work
// back (cancel, timeout), messages addressed to an agent, and answering
// them. A real server runs on a loopback port on its own thread; waits are
// bounded and assert outcomes, never durations.
#include "brolostack/ws_multiagent.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

/// Values handed over between the server's thread and the test's.
template <class T>
class Mailbox {
public:
    void put(T value) {
        std::lock_guard<std::mutex> lock(mutex_);
        items_.push_back(std::move(value));
        ready_.notify_all();
    }
    /// The next value, or nothing within `limit`.
    std::optional<T> take(std::chrono::milliseconds limit = 5s) {
        std::unique_lock<std::mutex> lock(mutex_);
        if (!ready_.wait_for(lock, limit, [&] { return !items_.empty(); })) return std::nullopt;
        T value = std::move(items_.front());
        items_.erase(items_.begin());
        return value;
    }

private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::vector<T> items_;
};

/// Polls `condition` for up to 5 s.
template <class Condition>
bool eventually(Condition condition) {
    for (auto deadline = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < deadline;
         std::this_thread::sleep_for(10ms))
        if (condition()) return true;
    return condition();
}

class WSMultiagentTest : public ::testing::Test {
protected:
    brolostack::WSMultiagent& start() {
        brolostack::config::Settings settings;
        settings.logLevel = "off";
        // A store of its own: no test sees another's sessions and tasks.
        std::string folder = (std::filesystem::temp_directory_path() / "brolostack-embedding-XXXXXX").string();
        EXPECT_NE(::mkdtemp(folder.data()), nullptr);
        dataDir_ = settings.dataDir = folder;
        server_ = std::make_unique<brolostack::WSMultiagent>(settings);
        EXPECT_EQ(server_->initialize(), std::nullopt);
        EXPECT_EQ(server_->listen(0, "127.0.0.1"), std::nullopt);
        loop_ = std::thread([this] { server_->run(); });
        return *server_;
    }
    /// Drains the server and waits for its loop to return.
    void stop() {
        if (!loop_.joinable()) return;
        server_->shutdown();
        loop_.join();
    }
    void TearDown() override {
        if (!server_) return;
        stop();
        server_.reset();
        std::filesystem::remove_all(dataDir_);
    }

private:
    std::string dataDir_;
    std::unique_ptr<brolostack::WSMultiagent> server_;
    std::thread loop_;
};

TEST_F(WSMultiagentTest, CanceledTaskIsTakenBackFromItsInProcessAgent) {
    auto& server = start();
    auto session = server.createSession("cancel");
    Mailbox<brolostack::TaskReporter> assigned;
    Mailbox<brolostack::AgentMessage> messages;
    ASSERT_EQ(session.registerAgent({"slow", "worker", {"work"}},
                                    [&](const brolostack::Assignment&, brolostack::TaskReporter r) { assigned.put(r); },
                                    [&](const brolostack::AgentMessage& m, brolostack::AgentLink) { messages.put(m); }),
              std::nullopt);
    auto task = session.startTask(R"({"id":"long","requirements":{"capabilities":["work"]}})");
    ASSERT_EQ(task.index(), 0u) << std::get<1>(task);
    auto reporter = assigned.take();
    ASSERT_TRUE(reporter);
    EXPECT_FALSE(reporter->canceled());
    EXPECT_EQ(reporter->progress(10, "working"), std::nullopt);

    EXPECT_EQ(session.cancelTask("long"), std::nullopt);
    auto cancel = messages.take();
    ASSERT_TRUE(cancel);
    EXPECT_EQ(cancel->type, "TASK_CANCEL");
    EXPECT_EQ(cancel->agentId, "slow");
    EXPECT_NE(cancel->payloadJson.find(R"("taskId":"long")"), std::string::npos);
    EXPECT_NE(cancel->messageJson.find(R"("type":"TASK_CANCEL")"), std::string::npos);
    EXPECT_TRUE(reporter->canceled());
    EXPECT_NE(reporter->complete(R"({"late":true})"), std::nullopt) << "a report after the cancel is refused";

    auto again = session.cancelTask("long");
    ASSERT_TRUE(again);
    EXPECT_NE(again->find("canceled"), std::string::npos) << *again;
    EXPECT_TRUE(session.cancelTask("nope"));
}

TEST_F(WSMultiagentTest, HeldAssignmentStaysCancelableWhileHundredsOfOthersComeAndGo) {
    // The server forgets finished assignments from time to time (when their
    // map has doubled); one held all along must still be taken back.
    auto& server = start();
    auto session = server.createSession("many");
    Mailbox<std::pair<std::string, brolostack::TaskReporter>> assigned;
    ASSERT_EQ(session.registerAgent({"busy", "worker", {"work"}, 8},
                                    [&](const brolostack::Assignment& a, brolostack::TaskReporter r) {
                                        assigned.put({a.taskId, r});
                                    }),
              std::nullopt);
    ASSERT_EQ(session.startTask(R"({"id":"kept","requirements":{"capabilities":["work"]}})").index(), 0u);
    auto kept = assigned.take();
    ASSERT_TRUE(kept);
    ASSERT_EQ(kept->first, "kept");
    for (int i = 0; i < 300; ++i) {
        std::string id = "short-" + std::to_string(i);
        ASSERT_EQ(session.startTask(R"({"id":")" + id + R"(","requirements":{"capabilities":["work"]}})").index(), 0u);
        auto done = assigned.take();
        ASSERT_TRUE(done);
        ASSERT_EQ(done->first, id);
        ASSERT_EQ(done->second.complete("1"), std::nullopt);
    }
    EXPECT_FALSE(kept->second.canceled());
    EXPECT_EQ(session.cancelTask("kept"), std::nullopt);
    EXPECT_TRUE(eventually([&] { return kept->second.canceled(); })) << "the reporter held all along is told";
}

TEST_F(WSMultiagentTest, StageThatTimesOutIsTakenBackAndRetriedElsewhere) {
    auto& server = start();
    auto session = server.createSession("timeout");
    Mailbox<std::pair<std::string, brolostack::TaskReporter>> assigned;
    auto agent = [&](const std::string& id) {
        return session.registerAgent({id, "worker", {"work"}}, [&, id](const brolostack::Assignment&, brolostack::TaskReporter r) {
            assigned.put({id, r});
        });
    };
    ASSERT_EQ(agent("first"), std::nullopt);
    auto task = session.startTask(R"({"id":"t","maxRetries":1,"requirements":{"capabilities":["work"],"maxExecutionTime":200}})");
    ASSERT_EQ(task.index(), 0u) << std::get<1>(task);
    auto first = assigned.take();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->first, "first");
    ASSERT_EQ(agent("second"), std::nullopt);
    auto second = assigned.take();
    ASSERT_TRUE(second) << "retried on the other agent after the timeout";
    EXPECT_EQ(second->first, "second");
    EXPECT_TRUE(eventually([&] { return first->second.canceled(); })) << "the first agent's reporter knows";
    EXPECT_FALSE(second->second.canceled());
    EXPECT_EQ(second->second.complete("42"), std::nullopt);
}

/// The value of a string member in a small JSON object.
std::string member(const std::string& json, const std::string& key) {
    auto at = json.find("\"" + key + "\":\"");
    if (at == std::string::npos) return {};
    at += key.size() + 4;
    return json.substr(at, json.find('"', at) - at);
}

TEST_F(WSMultiagentTest, InProcessAgentsAskEachOtherForHelpAndAnswer) {
    auto& server = start();
    auto session = server.createSession("help");
    Mailbox<std::string> requests, answers;
    auto idle = [](const brolostack::Assignment&, brolostack::TaskReporter) {};
    // The expert answers every request through its link.
    ASSERT_EQ(session.registerAgent({"expert", "analyst", {"statistics"}}, idle,
                                    [&](const brolostack::AgentMessage& m, brolostack::AgentLink link) {
                                        if (m.type != "COLLABORATION_REQUEST") return;
                                        requests.put(m.payloadJson);
                                        auto error = link.send("COLLABORATION_RESPONSE", R"({"requestId":")" +
                                                                               member(m.payloadJson, "requestId") +
                                                                               R"(","fromAgent":"expert","accepted":true,"result":{"mean":4.2}})");
                                        EXPECT_EQ(error, std::nullopt) << error.value_or("");
                                    }),
              std::nullopt);
    // The writer, given a task, asks whoever has "statistics" for help.
    Mailbox<std::optional<std::string>> asked;
    ASSERT_EQ(session.registerAgent({"writer", "writer", {"prose"}},
                                    [&](const brolostack::Assignment& a, brolostack::TaskReporter r) {
                                        asked.put(r.agent().send(
                                            "COLLABORATION_REQUEST",
                                            R"({"requestId":"help-1","requestingAgent":"writer","taskId":")" + a.taskId +
                                                R"(","collaborationType":"assistance","requiredCapabilities":["statistics"]})"));
                                    },
                                    [&](const brolostack::AgentMessage& m, brolostack::AgentLink) {
                                        if (m.type == "COLLABORATION_RESPONSE") answers.put(m.payloadJson);
                                    }),
              std::nullopt);
    auto task = session.startTask(R"({"id":"report","requirements":{"capabilities":["prose"]}})");
    ASSERT_EQ(task.index(), 0u) << std::get<1>(task);
    auto sent = asked.take();
    ASSERT_TRUE(sent);
    EXPECT_EQ(*sent, std::nullopt) << sent->value_or("");
    auto request = requests.take();
    ASSERT_TRUE(request) << "routed by capability to the expert";
    EXPECT_EQ(member(*request, "requestingAgent"), "writer");
    auto answer = answers.take();
    ASSERT_TRUE(answer) << "the response reaches the requester";
    EXPECT_EQ(member(*answer, "requestId"), "help-1");
    EXPECT_NE(answer->find(R"("mean":4.2)"), std::string::npos) << *answer;

    // Bad input through a link is refused with a message, not dropped.
    Mailbox<std::optional<std::string>> refused;
    ASSERT_EQ(session.registerAgent({"third", "writer", {"poetry"}},
                                    [&](const brolostack::Assignment&, brolostack::TaskReporter r) {
                                        refused.put(r.agent().send("NOT_A_TYPE", "{}"));
                                        refused.put(r.agent().send("COLLABORATION_REQUEST", "[1]"));
                                    }),
              std::nullopt);
    ASSERT_EQ(session.startTask(R"({"id":"poem","requirements":{"capabilities":["poetry"]}})").index(), 0u);
    auto unknown = refused.take();
    ASSERT_TRUE(unknown && *unknown);
    EXPECT_EQ(**unknown, "unknown ARGS type 'NOT_A_TYPE'");
    auto malformed = refused.take();
    ASSERT_TRUE(malformed && *malformed);
    EXPECT_TRUE(brolostack::AgentLink{}.send("HEARTBEAT", "{}")) << "a link of no agent refuses, never crashes";
}

}  // namespace

TEST_F(WSMultiagentTest, CallsFromAnotherThreadRacingTheShutdownAllReturn) {
    auto& server = start();
    std::atomic<int> returned{0};
    std::atomic<bool> done{false};
    std::thread caller([&] {
        for (int i = 0; !done; ++i) {
            server.createSession("s" + std::to_string(i % 50));
            ++returned;
        }
    });
    ASSERT_TRUE(eventually([&] { return returned >= 100; }));
    stop();  // the loop ends while calls are on their way to it
    int atStop = returned;
    ASSERT_TRUE(eventually([&] { return returned > atStop + 100; })) << "calls after the loop ended run on the caller";
    done = true;
    caller.join();
}
