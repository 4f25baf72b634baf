// ARGS sessions in cluster mode, in Redis: who leads each session (a
// lease), the session's records (what the store keeps of it: the session,
// its agents and tasks), and the channels nodes talk on about sessions.
// A lease names a node and holds while that node's liveness key
// (room_presence.hpp) lives: it is taken over, by whoever asks first, only
// once the node is dead. Every write of a session's records checks the
// lease in the same script, so a node whose lease lapsed (a stall) cannot
// overwrite what the new leader keeps.
//
//   <prefix>session:{<id>}:lead     string: the leading node
//   <prefix>session:{<id>}:records  hash: "session" | "agent:<id>" | "task:<id>" -> record JSON
//   <prefix>node-inbox:<node>       pub/sub channel: NodeMessage to one node
//   <prefix>session-events          pub/sub channel: SessionEvent to every node
#pragma once

#include "brolostack/store/store.hpp"
#include "redis/redis_connection.hpp"
#include "redis/redis_scripts.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace brolostack::native::redis {

/// The leader of a session and, when it is the node that asked, the session's records.
struct SessionLeaseAnswer {
    std::string leader;
    store::Snapshot records;
};

/// One change to a session's records, as the store hands it over.
struct RecordChange {
    enum class Kind { Set, Remove, DropSession };
    Kind kind = Kind::Set;
    std::string field;  // "session", "agent:<id>" or "task:<id>"
    std::string json;   // Set
};

class SessionLeases {
public:
    /// Must not outlive `connection` or `scripts`.
    SessionLeases(RedisConnection& connection, RedisScripts& scripts, std::string keyPrefix = "brolostack:");

    /// Takes the lease for `node` unless a live node holds it; answers the
    /// leader and, when that is `node`, the session's records.
    void lead(const std::string& session, const std::string& node,
              std::function<void(RedisResult<SessionLeaseAnswer>)> done);
    /// Applies `changes` in order while `node` holds the lease: true when
    /// applied, false when another node leads the session now. Dropping the
    /// session also lets go of the lease.
    void save(const std::string& session, const std::string& node, const std::vector<RecordChange>& changes,
              std::function<void(RedisResult<bool>)> done);

    /// Every session with records, sorted (SCAN over the records keys: it
    /// walks the keyspace, so it is for an operator's listing, not a hot path).
    void list(std::function<void(RedisResult<std::vector<std::string>>)> done);

    std::string leaseKey(const std::string& session) const { return prefix_ + "session:{" + session + "}:lead"; }
    std::string recordsKey(const std::string& session) const { return prefix_ + "session:{" + session + "}:records"; }
    std::string inbox(const std::string& node) const { return prefix_ + "node-inbox:" + node; }
    std::string eventsChannel() const { return prefix_ + "session-events"; }
    static std::string agentField(const std::string& agent) { return "agent:" + agent; }
    static std::string taskField(const std::string& task) { return "task:" + task; }

private:
    RedisConnection& connection_;
    RedisScripts& scripts_;
    std::string prefix_;
    RedisScripts::Id lead_;
    RedisScripts::Id save_;
};

}  // namespace brolostack::native::redis
