// Who is in a room, across nodes, in cluster mode. Each node lists its own
// members of a room in one Redis hash and tells the other nodes on the
// room's presence channel; a node that loads the room reads the hash.
// Nodes prove they live by renewing a key that expires: the members of a
// node whose key expired are dropped by whichever node notices first.
//
//   <prefix>room:{<room>}:members  hash: "<node>:<conn>" -> member JSON
//   <prefix>presence:<room>        pub/sub channel: "<key> join <member>" | "<key> leave"
//   <prefix>node:<node>            string, expiring: the node is alive
#pragma once

#include "redis/redis_connection.hpp"
#include "redis/redis_reply.hpp"
#include "redis/redis_scripts.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace brolostack::native::redis {

struct RoomMember {
    std::string key;   // "<node>:<conn>"
    std::string json;  // the member as clients see it
};

/// What a room's presence channel carries, parsed (views into the payload).
struct PresenceChange {
    std::string_view key;
    bool joined = false;
    std::string_view json;  // empty for a leave
};

class RoomPresence {
public:
    /// Must not outlive `connection` or `scripts`.
    RoomPresence(RedisConnection& connection, RedisScripts& scripts, std::string keyPrefix = "brolostack:");

    /// Lists the member and tells the other nodes, atomically.
    void joined(const std::string& room, const std::string& key, const std::string& json,
                std::function<void(RedisResult<bool>)> done);
    /// Drops the member and tells the other nodes (nothing when it was not
    /// listed, nor when `unlessAlive` names a node that is alive).
    void left(const std::string& room, const std::string& key, const std::optional<std::string>& unlessAlive,
              std::function<void(RedisResult<bool>)> done);
    /// Makes `members` this node's whole list for the room (after Redis was
    /// away, when joins and leaves may have been lost), telling the other
    /// nodes each change.
    void reset(const std::string& room, const std::string& node, const std::vector<RoomMember>& members,
               std::function<void(RedisResult<bool>)> done);
    /// Every member of the room, on every node.
    void members(const std::string& room, std::function<void(RedisResult<std::vector<RoomMember>>)> done);

    /// Renews this node's liveness for `ttl`: true when it had not lapsed
    /// (false the first time, and after a stall longer than `ttl`, when
    /// other nodes may have dropped this node's members).
    void alive(const std::string& node, std::chrono::milliseconds ttl, std::function<void(RedisResult<bool>)> done);
    /// Whether a node's liveness has not expired.
    void isAlive(const std::string& node, std::function<void(RedisResult<bool>)> done);

    std::string membersKey(const std::string& room) const { return prefix_ + "room:{" + room + "}:members"; }
    std::string channel(const std::string& room) const { return prefix_ + "presence:" + room; }
    std::string nodeKey(const std::string& node) const { return prefix_ + "node:" + node; }
    /// The room a presence channel belongs to (none: not one).
    std::optional<std::string_view> roomOfChannel(std::string_view channel) const;
    static std::optional<PresenceChange> parse(std::string_view payload);

private:
    RedisConnection& connection_;
    RedisScripts& scripts_;
    std::string prefix_;
    RedisScripts::Id change_;
    RedisScripts::Id reset_;
};

}  // namespace brolostack::native::redis
