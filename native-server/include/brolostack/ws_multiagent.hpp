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

namespace native {
class ShardGroup;
struct ShardLinks;
}  // namespace native

/// An in-process agent's description (the seed's ARGSAgentInfo).
struct AgentSpec {
    AgentSpec(std::string id, std::string type, std::vector<std::string> capabilities,
              std::uint32_t maxConcurrentTasks = 1, std::string name = {})
        : id(std::move(id)),
          type(std::move(type)),
          capabilities(std::move(capabilities)),
          maxConcurrentTasks(maxConcurrentTasks),
          name(std::move(name)) {}

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

/// Sends ARGS messages as one in-process agent (e.g. its
/// COLLABORATION_RESPONSE). Copyable; usable from any thread.
class AgentLink {
public:
    /// An error message when the server refused it.
    std::optional<std::string> send(const std::string& type, const std::string& payloadJson) const;

private:
    friend class WSMultiagent;
    friend class TaskReporter;
    WSMultiagent* server_ = nullptr;
    std::uint64_t owner_ = 0;
    std::string sessionId_;
};

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
    /// True once the server has taken the assignment back (the task was
    /// canceled or failed, or the stage timed out): long work should stop.
    bool canceled() const;
    /// The agent the work went to, to send other messages as it (e.g. a
    /// COLLABORATION_REQUEST for help with this task).
    AgentLink agent() const;

    struct State;  // what the server knows of the assignment

private:
    friend class WSMultiagent;
    std::shared_ptr<State> state_;
};

/// Called on the server's thread for each assignment. Report at once or
/// keep the reporter and report later from another thread.
using AgentHandler = std::function<void(const Assignment&, TaskReporter)>;

/// Any other ARGS message addressed to an in-process agent: TASK_CANCEL,
/// COLLABORATION_REQUEST and COLLABORATION_RESPONSE, messages sent with
/// sendToAgent.
struct AgentMessage {
    std::string sessionId;
    std::string agentId;
    std::string type;         // e.g. "COLLABORATION_REQUEST"
    std::string payloadJson;
    std::string messageJson;  // the whole ARGS message
};

/// Called on the server's thread for each AgentMessage.
using AgentMessageHandler = std::function<void(const AgentMessage&, AgentLink)>;
/// Sees every message announced in a session (progress, results, agents).
using SessionObserver = std::function<void(const std::string& msgJson)>;

/// A handle on one ARGS session.
class MultiagentSession {
public:
    const std::string& id() const { return id_; }
    /// Registers an in-process agent; an error message on failure.
    /// `onMessage` (optional) receives everything else addressed to it.
    std::optional<std::string> registerAgent(const AgentSpec& agent, AgentHandler handler,
                                             AgentMessageHandler onMessage = {});
    /// Starts a task from its definition (JSON, the seed's ARGSTaskDefinition);
    /// returns the task id, or an error message.
    std::variant<std::string, std::string> startTask(const std::string& definitionJson);
    /// Cancels a task started with startTask (or over HTTP); its agents
    /// receive TASK_CANCEL. An error message when there is no such task or
    /// it has finished.
    std::optional<std::string> cancelTask(const std::string& taskId);
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
    /// Why the server stopped on its own (its store failed), if it did.
    std::optional<std::string> failure() const;

    MultiagentSession createSession(const std::string& id);
    server::Stats getStats();

private:
    friend class MultiagentSession;
    friend class TaskReporter;
    friend class AgentLink;
    friend class native::ShardGroup;
    /// Makes this server one shard of brolostack-server (before initialize()).
    void becomeShard(const native::ShardLinks& links);
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace brolostack
