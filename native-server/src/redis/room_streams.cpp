#include "redis/room_streams.hpp"

#include <algorithm>

namespace brolostack::native::redis {
namespace {

// KEYS[1] meta hash, KEYS[2] history stream, KEYS[3] (optional) the
// publish's dedupe key.
// ARGV[1] message, ARGV[2] max history length, ARGV[3] ttl in seconds (0:
// none), ARGV[4] channel, ARGV[5] epoch for a room that has none, ARGV[6]
// origin ("-": none), ARGV[7] dedupe window in ms.
// Returns {offset, epoch, 1 if a duplicate else 0}.
//
// MAXLEN is exact (=), not approximate (~): "~" trims only whole stream
// nodes (stream-node-max-entries, 100 by default), so a room could keep
// up to ~100 messages more than its limit and hand them out on recovery;
// exact trimming deletes the one oldest entry per publish once the room is
// full, a small constant cost. Offsets in the entry ids make XRANGE by
// offset direct, and keep XADD's ids increasing because the offset does.
// A new epoch means a new room: a stream left from before is dropped.
// A dedupe key of an earlier epoch is no duplicate: that room is gone.
constexpr const char* kPublish = R"lua(
if redis.call('HSETNX', KEYS[1], 'epoch', ARGV[5]) == 1 then
  redis.call('DEL', KEYS[2])
end
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if KEYS[3] then
  local seen = redis.call('GET', KEYS[3])
  if seen then
    local space = string.find(seen, ' ', 1, true)
    if space and string.sub(seen, space + 1) == epoch then
      return {tonumber(string.sub(seen, 1, space - 1)), epoch, 1}
    end
  end
end
local offset = redis.call('HINCRBY', KEYS[1], 'offset', 1)
local id = string.format('%d', offset)
redis.call('XADD', KEYS[2], 'MAXLEN', '=', ARGV[2], id .. '-0', 'm', ARGV[1], 'o', ARGV[6])
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[2], ttl)
else
  redis.call('PERSIST', KEYS[1])
  redis.call('PERSIST', KEYS[2])
end
if KEYS[3] then
  redis.call('SET', KEYS[3], id .. ' ' .. epoch, 'PX', ARGV[7])
end
redis.call('PUBLISH', ARGV[4], epoch .. ' ' .. id .. ' ' .. ARGV[6] .. ' ' .. ARGV[1])
return {offset, epoch, 0}
)lua";

// KEYS[1] meta hash, KEYS[2] history stream.
// ARGV[1] after (offset), ARGV[2] limit, ARGV[3] epoch for a room that has
// none, ARGV[4] its ttl in seconds (0: none).
// Returns {epoch, latest offset, XRANGE entries after `after`}.
constexpr const char* kRead = R"lua(
if redis.call('HSETNX', KEYS[1], 'epoch', ARGV[3]) == 1 then
  redis.call('DEL', KEYS[2])
  local ttl = tonumber(ARGV[4])
  if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
end
local epoch = redis.call('HGET', KEYS[1], 'epoch')
local last = tonumber(redis.call('HGET', KEYS[1], 'offset') or '0')
local after = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local entries = {}
if after < last and limit > 0 then
  entries = redis.call('XRANGE', KEYS[2], string.format('%d-0', after + 1), '+', 'COUNT', limit)
end
return {epoch, last, entries}
)lua";

RedisError unexpected(const std::string& what, const RedisReply& reply) {
    return {RedisError::Kind::Unexpected, what + ": " + reply.describe()};
}

/// "<offset>-0" to the offset.
std::optional<std::uint64_t> offsetOfId(const std::string& id) {
    std::uint64_t value = 0;
    std::size_t i = 0;
    for (; i < id.size() && id[i] >= '0' && id[i] <= '9'; ++i) value = value * 10 + static_cast<unsigned>(id[i] - '0');
    if (i == 0 || id.compare(i, std::string::npos, "-0") != 0) return std::nullopt;
    return value;
}

}  // namespace

RoomStreams::RoomStreams(RedisScripts& scripts, std::function<std::string()> newEpoch, std::string keyPrefix)
    : scripts_(scripts),
      newEpoch_(std::move(newEpoch)),
      prefix_(std::move(keyPrefix)),
      publish_(scripts.add(kPublish)),
      read_(scripts.add(kRead)) {}

void RoomStreams::publishToRoom(const std::string& room, RoomPost post, std::size_t maxLen, std::chrono::seconds ttl,
                                std::function<void(RedisResult<PublishedMessage>)> done) {
    std::vector<std::string> keys{metaKey(room), historyKey(room)};
    if (post.dedupeId) keys.push_back(midKey(room, *post.dedupeId));
    // A window under 1 ms would make SET ... PX 0 an error.
    auto window = std::max<std::int64_t>(post.dedupeWindow.count(), 1);
    scripts_.run(publish_, std::move(keys),
                 {std::move(post.json), std::to_string(maxLen), std::to_string(ttl.count()), channel(room),
                  newEpoch_(), post.origin.empty() ? "-" : std::move(post.origin), std::to_string(window)},
                 [done = std::move(done)](RedisReply reply) {
                     if (reply.isError()) return done(reply.error());
                     const auto& a = reply.array();
                     if (a.size() != 3 || !a[0].isInteger() || a[0].integer() <= 0 || !a[1].isString() ||
                         !a[2].isInteger())
                         return done(unexpected("publishToRoom answered", reply));
                     done(PublishedMessage{static_cast<std::uint64_t>(a[0].integer()), a[1].string(),
                                           a[2].integer() == 1});
                 });
}

void RoomStreams::readRoomSince(const std::string& room, std::uint64_t after, std::size_t limit,
                                std::chrono::seconds ttl, std::function<void(RedisResult<RoomHistory>)> done) {
    scripts_.run(read_, {metaKey(room), historyKey(room)},
                 {std::to_string(after), std::to_string(limit), newEpoch_(), std::to_string(ttl.count())},
                 [after, done = std::move(done)](RedisReply reply) {
                     if (reply.isError()) return done(reply.error());
                     const auto& a = reply.array();
                     if (a.size() != 3 || !a[0].isString() || !a[1].isInteger() || a[1].integer() < 0 ||
                         !(a[2].isArray() || a[2].isNil()))
                         return done(unexpected("readRoomSince answered", reply));
                     RoomHistory history;
                     history.epoch = a[0].string();
                     history.lastOffset = static_cast<std::uint64_t>(a[1].integer());
                     history.messages.reserve(a[2].array().size());
                     // Each entry: [id, [field, value, ...]].
                     for (const RedisReply& entry : a[2].array()) {
                         const auto& e = entry.array();
                         auto offset = e.size() == 2 ? offsetOfId(e[0].string()) : std::nullopt;
                         static const std::vector<RedisReply> none;
                         const auto& fields = e.size() == 2 ? e[1].array() : none;
                         const std::string* json = nullptr;
                         std::string origin;
                         for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
                             if (fields[i].string() == "m") json = &fields[i + 1].string();
                             if (fields[i].string() == "o" && fields[i + 1].string() != "-") origin = fields[i + 1].string();
                         }
                         if (!offset || !json) return done(unexpected("a history entry", entry));
                         history.messages.push_back(RoomMessage{*offset, *json, std::move(origin)});
                     }
                     if (history.messages.empty()) {
                         history.contiguous = history.complete = after >= history.lastOffset;
                     } else {
                         history.contiguous = history.messages.front().offset == after + 1;
                         history.complete = history.messages.back().offset >= history.lastOffset;
                     }
                     done(std::move(history));
                 });
}

std::optional<RoomPublication> RoomStreams::parsePublication(std::string_view payload) {
    auto first = payload.find(' ');
    if (first == std::string_view::npos || first == 0) return std::nullopt;
    auto second = payload.find(' ', first + 1);
    if (second == std::string_view::npos || second == first + 1) return std::nullopt;
    RoomPublication publication;
    publication.epoch = payload.substr(0, first);
    for (char c : payload.substr(first + 1, second - first - 1)) {
        if (c < '0' || c > '9') return std::nullopt;
        publication.offset = publication.offset * 10 + static_cast<unsigned>(c - '0');
    }
    auto third = payload.find(' ', second + 1);
    if (third == std::string_view::npos || third == second + 1) return std::nullopt;
    publication.origin = payload.substr(second + 1, third - second - 1);
    if (publication.origin == "-") publication.origin = {};
    publication.json = payload.substr(third + 1);
    return publication;
}

std::optional<std::string_view> RoomStreams::roomOfChannel(std::string_view name) const {
    std::string_view head = std::string_view(prefix_) ;
    if (name.substr(0, head.size()) != head) return std::nullopt;
    name.remove_prefix(head.size());
    if (name.substr(0, 5) != "room:" || name.size() == 5) return std::nullopt;
    return name.substr(5);
}

}  // namespace brolostack::native::redis
