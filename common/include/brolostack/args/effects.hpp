// What the ARGS layer's calls produce (sans-I/O): messages for the hub to
// route, the answer to the caller, and the sessions and tasks they changed
// (for the store).
#pragma once

#include "brolostack/args/session.hpp"

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

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
    std::int64_t taskRetentionMs = 3600000;     // completed and canceled tasks are forgotten this long after
    std::int64_t deadLetterRetentionMs = 7LL * 24 * 3600 * 1000;  // failed ones (dead letters) this long after
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

/// The sessions and tasks a call changed (or forgot): written to the store when the call returns.
struct Changes {
    std::set<std::string> sessions;
    std::set<std::pair<std::string, std::string>> tasks;   // (session, task)
    std::set<std::pair<std::string, std::string>> agents;  // (session, agent)
    void touch(const Session& s) { sessions.insert(s.id); }
    void touchAgent(const Session& s, const std::string& agent) { agents.emplace(s.id, agent); }
    void touch(const Session& s, const Task& t) { tasks.emplace(s.id, t.def.id); }
    /// Drops what was noted of the session (it is let go, not changed).
    void forget(const std::string& session) {
        sessions.erase(session);
        for (auto it = tasks.begin(); it != tasks.end();) it = it->first == session ? tasks.erase(it) : std::next(it);
        for (auto it = agents.begin(); it != agents.end();) it = it->first == session ? agents.erase(it) : std::next(it);
    }
};

/// A message of the server's in session `s`, with a fresh id.
inline Message serverMessage(const std::function<std::string()>& newId, const Session& s, MessageType type,
                             std::string payloadJson, std::int64_t now) {
    Message m;
    m.id = "args_" + newId();
    m.type = type;
    m.timestamp = now;
    m.sessionId = s.id;
    m.payloadJson = std::move(payloadJson);
    return m;
}

}  // namespace brolostack::args
