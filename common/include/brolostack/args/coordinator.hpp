// The ARGS coordinator: sessions, agents, the task scheduler, collaboration,
// streams and sync (PROTOCOL.md sections 6-7), with no I/O. The hub feeds
// it decoded messages, closed connections and time; it answers with a reply
// and a list of messages to route.
#pragma once

#include "brolostack/args/effects.hpp"
#include "brolostack/args/task_scheduler.hpp"
#include "brolostack/store/store.hpp"

#include <functional>
#include <set>
#include <variant>

namespace brolostack::args {

class Coordinator {
public:
    /// `store` (none: nothing is kept) hears every change to a session or a
    /// task once the call that made it returns.
    Coordinator(CoordinatorSettings settings, std::function<std::string()> newId, store::Store* store = nullptr);
    Coordinator(const Coordinator&) = delete;  // its scheduler refers to its members
    Coordinator& operator=(const Coordinator&) = delete;

    /// Rebuilds the sessions, agents and tasks a store kept (before anything
    /// else happens): agents offline until they register again, running
    /// stages ready again, queued tasks in their place. Records it cannot
    /// read are skipped and counted.
    std::size_t restore(const store::Snapshot& kept, std::int64_t now);
    /// Lets go of a session without telling the store (cluster mode: another
    /// node leads it now, and the broker keeps its records).
    void release(const std::string& sessionId);

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
        DurationHistogram completedDurations;  // since the server started, every session
    };
    Totals totals() const;

private:
    Result registerAgent(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out);
    Result unregisterAgent(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out);
    Result heartbeat(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out);
    Result collaborationRequest(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out);
    Result collaborationResponse(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out);
    Result streamStart(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out);
    Result streamData(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out);
    Result streamEnd(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out);

    Message make(const Session& s, MessageType type, std::string payloadJson, std::int64_t now) const {
        return serverMessage(newId_, s, type, std::move(payloadJson), now);
    }

    // persistence (records.cpp holds the format)
    void changed(const Session& s) { changes_.touch(s); }
    void agentChanged(const Session& s, const std::string& agent) { changes_.touchAgent(s, agent); }
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
    Changes changes_;
    TaskScheduler tasks_{settings_, newId_, changes_};
};

}  // namespace brolostack::args
