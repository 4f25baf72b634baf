// Rooms in Redis, for cluster mode: each room's offsets, epoch and history
// live in Redis so every node agrees on them, and each publish is one Lua
// script, so assigning the offset, keeping the message and fanning it out
// happen atomically (no node can see offset n+1 published before n is
// stored, and no two nodes can hand out the same offset).
//
// Per room (the `{room}` hash tag keeps a room's keys in one Redis Cluster
// slot, as a multi-key script requires there):
//   <prefix>room:{<room>}:meta     hash: epoch, offset (the latest)
//   <prefix>room:{<room>}:history  stream: entry id "<offset>-0", field m = the message
//   <prefix>room:{<room>}:mid:<id> string: "<offset> <epoch>" of a publish
//                                  that carried a client message id, for
//                                  the dedupe window
//   <prefix>room:<room>            pub/sub channel: "<epoch> <offset> <origin> <message>"
//                                  (origin "-" when none)
//
// Offset and epoch share one hash so they expire together: an offset
// counter that outlived its epoch (or the reverse) would restart offsets
// under an epoch clients still hold.
#pragma once

#include "redis/redis_reply.hpp"
#include "redis/redis_scripts.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace brolostack::native::redis {

struct RoomMessage {
    std::uint64_t offset = 0;
    std::string json;
    std::string origin;  // as published ("" when none)
};

/// What to publish: the message, who published it (handed back with the
/// fan-out and the history, no spaces), and the publish's dedupe id.
struct RoomPost {
    RoomPost(std::string json) : json(std::move(json)) {}  // NOLINT: a bare message is a post
    RoomPost(const char* json) : json(json) {}             // NOLINT
    std::string json;
    std::string origin;
    /// When set, a second publish with the same id within `dedupeWindow`
    /// places nothing and answers the first one's position.
    std::optional<std::string> dedupeId;
    std::chrono::milliseconds dedupeWindow{0};
};

struct PublishedMessage {
    std::uint64_t offset = 0;
    std::string epoch;
    bool duplicate = false;  // the dedupe id was seen: the earlier publish's position
};

struct RoomHistory {
    std::string epoch;
    std::uint64_t lastOffset = 0;       // the room's latest offset (0 when nothing was published)
    std::vector<RoomMessage> messages;  // after the asked offset, oldest first, at most `limit`
    /// The messages start right after the asked offset: nothing in between
    /// was trimmed away or expired (what recovery needs to say `recovered`).
    bool contiguous = false;
    /// Nothing newer than the last message returned.
    bool complete = false;
};

/// What a room's channel carries, parsed (views into the payload).
struct RoomPublication {
    std::string_view epoch;
    std::uint64_t offset = 0;
    std::string_view origin;  // "" when none
    std::string_view json;
};

class RoomStreams {
public:
    /// `newEpoch` names a room incarnation when a call finds the room
    /// without one (never repeating, no spaces: random_ids.hpp's
    /// randomHex). Must not outlive `scripts`.
    RoomStreams(RedisScripts& scripts, std::function<std::string()> newEpoch, std::string keyPrefix = "brolostack:");

    /// Atomically: gives the message the room's next offset, appends it to
    /// the history (kept to the newest `maxLen`), publishes it on the
    /// room's channel, and makes the room expire `ttl` after this publish
    /// (0: never).
    void publishToRoom(const std::string& room, RoomPost post, std::size_t maxLen, std::chrono::seconds ttl,
                       std::function<void(RedisResult<PublishedMessage>)> done);
    /// The room's epoch and latest offset, and at most `limit` messages with
    /// an offset above `after`. A room never published to gets its epoch
    /// here (so a joiner and the first publisher agree on it), expiring
    /// after `ttl` unless a publish comes.
    void readRoomSince(const std::string& room, std::uint64_t after, std::size_t limit, std::chrono::seconds ttl,
                       std::function<void(RedisResult<RoomHistory>)> done);

    std::string metaKey(const std::string& room) const { return prefix_ + "room:{" + room + "}:meta"; }
    std::string historyKey(const std::string& room) const { return prefix_ + "room:{" + room + "}:history"; }
    std::string channel(const std::string& room) const { return prefix_ + "room:" + room; }
    std::string midKey(const std::string& room, const std::string& dedupeId) const {
        return prefix_ + "room:{" + room + "}:mid:" + dedupeId;
    }
    /// The room a channel name belongs to (none: not a room channel).
    std::optional<std::string_view> roomOfChannel(std::string_view channel) const;

    /// A payload from a room's channel; none when it is not one.
    static std::optional<RoomPublication> parsePublication(std::string_view payload);

private:
    RedisScripts& scripts_;
    std::function<std::string()> newEpoch_;
    std::string prefix_;
    RedisScripts::Id publish_;
    RedisScripts::Id read_;
};

}  // namespace brolostack::native::redis
