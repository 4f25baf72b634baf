// The ARGS coordinator: sessions, agents, the task scheduler, collaboration,
// streams and sync (PROTOCOL.md sections 6-7), with no I/O. The hub feeds
// it decoded messages, closed connections and time; it answers with a reply
// and a list of messages to route.
#pragma once

#include "brolostack/args/session.hpp"
#include "brolostack/store/store.hpp"

#include <functional>
#include <set>
#include <variant>

namespace brolostack::args {

struct CoordinatorSettings {
    std::size_t maxAgentsPerSession = 10;
    std::int64_t taskTimeoutMs = 600000;        // default stage timeout
    std::int64_t assignTimeoutMs = 30000;       // a ready stage waits this long for an agent
    std::int64_t collaborationTimeoutMs = 60000;
    std::int64_t sessionIdleTimeoutMs = 1800000;
    std::uint32_t defaultMaxRetries = 2;
    std::size_t maxTasksPerSession = 100000;    // finished tasks are forgotten oldest first past this
    std::size_t maxSessions = 10000;            // sessions held at once; a new one past it is limit_exceeded
};

/// A message the coordinator wants delivered.
struct Routed {
    enum class Route {
        Announce,   // to the session room: every member, ordered, recoverable
        ToAgent,    // to an agent's connection: via the session room when it is a member, else directly
        Direct,     // to one connection only, never announced
        Broadcast,  // to every session member but `owner`, not kept in history (best-effort streams)
    };
    Route route = Route::Announce;
    Owner owner = 0;        // ToAgent / Direct target; Broadcast: the sender to skip
    bool droppable = false; // real-time stream data: may be dropped for slow receivers
    Message msg;
};

using Outputs = std::vector<Routed>;

/// The answer to a message: reply data (JSON) or an error.
using Result = std::variant<std::string, protocol::Error>;

class Coordinator {
public:
    /// `store` (none: nothing is kept) hears every change to a session or a
    /// task once the call that made it returns.
    Coordinator(CoordinatorSettings settings, std::function<std::string()> newId, store::Store* store = nullptr);

    /// Rebuilds the sessions and tasks a store kept (before anything else
    /// happens): agents offline until they register again, running stages
    /// ready again, queued tasks in their place. Records it cannot read are
    /// skipped and counted.
    std::size_t restore(const std::vector<store::StoredRecord>& sessions, const std::vector<store::StoredRecord>& tasks,
                        std::int64_t now);

    /// Handles one message from `from` (already envelope-checked).
    Result handle(Owner from, const Message& msg, std::int64_t now, Outputs& out);
    /// A binary stream chunk: checks the header and returns the session to
    /// forward it to (with the sender to skip), or an error.
    /// `realTime` tells whether receivers may skip the chunk when behind.
    Result binaryChunk(Owner from, const std::string& sessionId, const std::string& streamId, std::int64_t seq,
                       bool isLast, std::int64_t now, Outputs& out, bool& realTime);
    /// The owner's agents go offline; their work is re-queued.
    void ownerGone(Owner owner, std::int64_t now, Outputs& out);
    /// Timeouts: assignment, execution, collaboration, idle sessions.
    /// `idleSessions` receives sessions closed for idleness.
    void tick(std::int64_t now, Outputs& out, std::vector<std::string>* closedSessions = nullptr);

    /// The session snapshot of SYNC_RESPONSE (and GET /api/v1/sessions/{id}),
    /// without epoch/offset (the hub adds the room position); nullopt when unknown.
    std::optional<std::string> snapshotJson(const std::string& sessionId) const;
    std::vector<std::string> sessionIds() const;
    /// The session, created when missing; null when it is missing and
    /// maxSessions are held already.
    Session* obtainSession(const std::string& id, std::int64_t now);
    protocol::Error sessionLimitError() const;
    const Session* findSession(const std::string& id) const;
    /// Starts a task as `submitter` (HTTP API and embedding use this too).
    Result startTask(Owner submitter, const std::string& sessionId, TaskDefinition def,
                     std::optional<std::uint32_t> messageMaxRetries, std::int64_t now, Outputs& out);
    /// Tasks of the session that failed for good (retries used up, no
    /// agent, an agent's error): `{"sessionId","count","tasks":[...]}`
    /// with each task's stages and attempts; nullopt for an unknown session.
    std::optional<std::string> deadLettersJson(const std::string& sessionId) const;
    /// Puts a failed task back in the queue: its unfinished stages start
    /// over with fresh retries (finished ones keep their results).
    Result requeueDeadLetter(const std::string& sessionId, const std::string& taskId, std::int64_t now, Outputs& out);
    /// The agent's owner, if the agent exists and is online.
    std::optional<Owner> ownerOf(const std::string& sessionId, const std::string& agentId) const;

    struct Totals {
        std::uint64_t sessions = 0, agents = 0, streams = 0, tasks = 0, completed = 0, failed = 0;
        double avgExecutionMs = 0;
    };
    Totals totals() const;

private:
    Result registerAgent(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out);
    Result unregisterAgent(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out);
    Result heartbeat(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out);
    Result report(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out);
    Result cancel(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out);
    Result collaborationRequest(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out);
    Result collaborationResponse(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out);
    Result streamStart(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out);
    Result streamData(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out);
    Result streamEnd(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out);

    // task_scheduler.cpp
    /// Puts a task (new, or a dead letter back) in the queue and announces TASK_START; the reply.
    Result enqueue(Session& s, Task& t, bool requeued, std::int64_t now, Outputs& out);
    void schedule(Session& s, std::int64_t now, Outputs& out);
    bool assignTask(Session& s, Task& t, std::int64_t now, Outputs& out);
    void makeReady(Task& t, std::int64_t now);
    void stageDone(Session& s, Task& t, std::size_t stage, const std::string& resultJson, std::int64_t now, Outputs& out);
    void requeueStage(Session& s, Task& t, std::size_t stage, const char* code, const std::string& why,
                      std::int64_t now, Outputs& out);
    void finishTask(Session& s, Task& t, TaskState state, const std::string& code, const std::string& message,
                    std::int64_t now, Outputs& out);
    void releaseAgent(Session& s, const std::string& agentId, std::int64_t now);
    /// `finished`: this stage's completion completes the whole task.
    void announceProgress(Session& s, const Task& t, std::size_t stage, const std::string& extraJson,
                          std::int64_t now, Outputs& out, bool finished = false);
    void resolveDependents(Session& s, std::int64_t now, Outputs& out);
    void forgetOldTasks(Session& s);
    double overallProgress(const Task& t) const;

    Message make(const Session& s, MessageType type, std::string payloadJson, std::int64_t now) const;
    std::string taskJson(const Task& t) const;

    // persistence (records.cpp holds the format)
    void changed(const Session& s) { changedSessions_.insert(s.id); }
    void changed(const Session& s, const Task& t) { changedTasks_.emplace(s.id, t.def.id); }
    /// Tells the store what changed since the last call (at the end of every public call that changes state).
    void persist();
    struct PersistOnReturn {
        Coordinator& c;
        ~PersistOnReturn() { c.persist(); }
    };

    CoordinatorSettings settings_;
    std::function<std::string()> newId_;
    store::Store* store_;
    std::map<std::string, Session> sessions_;
    std::set<std::string> changedSessions_;
    std::set<std::pair<std::string, std::string>> changedTasks_;
};

}  // namespace brolostack::args
