// The C++ embedding API: a Brolostack server inside your program, with
// ARGS sessions and in-process agents that take part in the same task
// scheduling as agents connected over WebSocket.
//
//   brolostack::WSMultiagent server(brolostack::WSMultiagent::settingsFromEnvironment());
//   server.initialize();
//   auto session = server.createSession("ai-collaboration");
//   session.registerAgent({"collector-1", "data-collector", {"web-scraping"}},
//                         [](const brolostack::Assignment& a, brolostack::TaskReporter r) {
//                             r.progress(50, "halfway");
//                             r.complete(R"({"rows":120})");
//                         });
//   server.listen(3001);
//   server.run();
#pragma once

#include "brolostack/config/settings.hpp"
#include "brolostack/server/stats.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace brolostack {

/// An in-process agent's description (the seed's ARGSAgentInfo).
struct AgentSpec {
    std::string id;
    std::string type;
    std::vector<std::string> capabilities;
    std::uint32_t maxConcurrentTasks = 1;
    std::string name;  // defaults to id
};

/// Work handed to an in-process agent (a TASK_ASSIGN payload).
struct Assignment {
    std::string sessionId;
    std::string taskId;
    std::string agentId;
    std::size_t stage = 0;
    std::size_t stages = 1;
    std::string mode;       // sequential | parallel | hybrid
    std::string role;       // stage | primary | support
    std::string inputJson;  // the task payload, or the previous stage's result
    std::string taskJson;   // the task definition
};

class WSMultiagent;

/// How an in-process agent reports on one assignment. Copyable; usable from
/// any thread; each call goes through the server's scheduler like a report
/// from a connected agent.
class TaskReporter {
public:
    /// Each returns an error message when the server refused the report
    /// (e.g. the task was canceled meanwhile, or `resultJson` is not JSON).
    std::optional<std::string> progress(double percent, const std::string& message = {}) const;
    std::optional<std::string> complete(const std::string& resultJson) const;
    std::optional<std::string> fail(const std::string& code, const std::string& message) const;

    struct State;  // what the server knows of the assignment

private:
    friend class WSMultiagent;
    std::shared_ptr<State> state_;
};

/// Called on the server's thread for each assignment. Report at once or
/// keep the reporter and report later from another thread.
using AgentHandler = std::function<void(const Assignment&, TaskReporter)>;
/// Sees every message announced in a session (progress, results, agents).
using SessionObserver = std::function<void(const std::string& msgJson)>;

/// A handle on one ARGS session.
class MultiagentSession {
public:
    const std::string& id() const { return id_; }
    /// Registers an in-process agent; an error message on failure.
    std::optional<std::string> registerAgent(const AgentSpec& agent, AgentHandler handler);
    /// Starts a task from its definition (JSON, the seed's ARGSTaskDefinition);
    /// returns the task id, or an error message.
    std::variant<std::string, std::string> startTask(const std::string& definitionJson);
    /// Publishes an event to every member of the session.
    std::optional<std::string> broadcastToSession(const std::string& event, const std::string& dataJson);
    /// Sends an ARGS message (e.g. COLLABORATION_REQUEST) to one agent.
    std::optional<std::string> sendToAgent(const std::string& agentId, const std::string& type,
                                           const std::string& payloadJson);
    /// Observes the session's announcements.
    void onEvent(SessionObserver observer);

private:
    friend class WSMultiagent;
    MultiagentSession(WSMultiagent& owner, std::string id) : owner_(&owner), id_(std::move(id)) {}
    WSMultiagent* owner_;
    std::string id_;
};

class WSMultiagent {
public:
    explicit WSMultiagent(config::Settings settings);
    ~WSMultiagent();
    WSMultiagent(const WSMultiagent&) = delete;
    WSMultiagent& operator=(const WSMultiagent&) = delete;

    /// The settings of the environment profile (BROLOSTACK_ENV/NODE_ENV) and
    /// environment variables; throws std::runtime_error when they are unusable.
    static config::Settings settingsFromEnvironment();

    /// Sets the server up (logging, JWT keys); an error message on failure.
    std::optional<std::string> initialize();
    std::optional<std::string> listen(std::uint16_t port, const std::string& host = "0.0.0.0");
    std::uint16_t port() const;
    /// Serves until shutdown() or SIGINT/SIGTERM (drains: close 1001).
    void run();
    void shutdown();

    MultiagentSession createSession(const std::string& id);
    server::Stats getStats();

private:
    friend class MultiagentSession;
    friend class TaskReporter;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace brolostack
