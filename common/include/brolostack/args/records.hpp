// What the store keeps of ARGS (store/store.hpp): one record per task with
// its stages, attempts and results, one per session with its counters, and
// one per agent with its last known state, as JSON of this module's own
// shape. (Agents have records of their own: the session's changes with
// every task, an agent's only when it registers, reports or leaves.)
// Connections do not survive a restart, so a restored session's agents are
// offline until they register again, and a stage that was running is
// ready again (it is re-assigned without using up a retry).
#pragma once

#include "brolostack/args/session.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace brolostack::args {

std::string encodeTaskRecord(const Task& t);
/// The task of a record; nullopt for a record this server cannot read.
/// A running stage comes back ready at `now`.
std::optional<Task> decodeTaskRecord(std::string_view record, std::int64_t now);

std::string encodeSessionRecord(const Session& s);
/// The session of a record (no tasks; agents offline, only in records of
/// earlier versions, which kept them inside); nullopt when unreadable.
std::optional<Session> decodeSessionRecord(std::string_view record, std::int64_t now);
std::string encodeAgentRecord(const AgentState& agent);
/// The agent of a record, offline until it registers again; nullopt when unreadable.
std::optional<AgentState> decodeAgentRecord(std::string_view record, std::int64_t now);

/// The owner restored tasks are submitted by when a connection submitted
/// them: that connection is gone, so only the server may cancel them.
constexpr Owner kGoneSubmitter = ~Owner{0};

}  // namespace brolostack::args
