#include "redis/room_presence.hpp"

namespace brolostack::native::redis {
namespace {

// KEYS[1] members hash. ARGV[1] member key, ARGV[2] member JSON ("": it
// left), ARGV[3] presence channel, ARGV[4] for a leave: a node liveness
// key that must not exist ("": none). Returns 1 when something changed.
// A leave of a member not listed is not told: the nodes that noticed a
// dead node may all drop its members, and each leave is heard once. A
// node found alive again keeps its members: it came back after a stall.
constexpr const char* kChange = R"lua(
if ARGV[2] == '' then
  if ARGV[4] ~= '' and redis.call('EXISTS', ARGV[4]) == 1 then return 0 end
  if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
  redis.call('PUBLISH', ARGV[3], ARGV[1] .. ' leave')
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('PUBLISH', ARGV[3], ARGV[1] .. ' join ' .. ARGV[2])
end
return 1
)lua";

// KEYS[1] members hash. ARGV[1] presence channel, ARGV[2] "<node>:",
// then key and JSON of each member the node has now. Drops the node's
// other entries, publishing their leaves, and lists the others, publishing
// a join for each: a node that dropped them meanwhile (taking this one for
// dead) takes them back; one that has them hears nothing new.
constexpr const char* kReset = R"lua(
local now = {}
for i = 3, #ARGV, 2 do now[ARGV[i]] = ARGV[i + 1] end
local prefix = ARGV[2]
for _, key in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(key, 1, #prefix) == prefix and now[key] == nil then
    redis.call('HDEL', KEYS[1], key)
    redis.call('PUBLISH', ARGV[1], key .. ' leave')
  end
end
for key, member in pairs(now) do
  redis.call('HSET', KEYS[1], key, member)
  redis.call('PUBLISH', ARGV[1], key .. ' join ' .. member)
end
return 1
)lua";

RedisResult<bool> changed(const RedisReply& reply) {
    if (reply.isError()) return reply.error();
    if (!reply.isInteger()) return RedisError{RedisError::Kind::Unexpected, "presence answered " + reply.describe()};
    return reply.integer() == 1;
}

}  // namespace

RoomPresence::RoomPresence(RedisConnection& connection, RedisScripts& scripts, std::string keyPrefix)
    : connection_(connection), scripts_(scripts), prefix_(std::move(keyPrefix)), change_(scripts.add(kChange)),
      reset_(scripts.add(kReset)) {}

void RoomPresence::reset(const std::string& room, const std::string& node, const std::vector<RoomMember>& members,
                         std::function<void(RedisResult<bool>)> done) {
    std::vector<std::string> args{channel(room), node + ":"};
    for (const auto& m : members) {
        args.push_back(m.key);
        args.push_back(m.json);
    }
    scripts_.run(reset_, {membersKey(room)}, std::move(args),
                 [done = std::move(done)](RedisReply reply) { done(changed(reply)); });
}

void RoomPresence::joined(const std::string& room, const std::string& key, const std::string& json,
                          std::function<void(RedisResult<bool>)> done) {
    scripts_.run(change_, {membersKey(room)}, {key, json, channel(room), ""},
                 [done = std::move(done)](RedisReply reply) { done(changed(reply)); });
}

void RoomPresence::left(const std::string& room, const std::string& key, const std::optional<std::string>& unlessAlive,
                        std::function<void(RedisResult<bool>)> done) {
    // The liveness key is not among KEYS: on Redis Cluster it may sit in
    // another slot. A single Redis (what cluster mode supports) allows it.
    scripts_.run(change_, {membersKey(room)}, {key, "", channel(room), unlessAlive ? nodeKey(*unlessAlive) : ""},
                 [done = std::move(done)](RedisReply reply) { done(changed(reply)); });
}

void RoomPresence::members(const std::string& room, std::function<void(RedisResult<std::vector<RoomMember>>)> done) {
    std::string key = membersKey(room);
    connection_.command({"HGETALL", key}, [done = std::move(done)](RedisReply reply) {
        if (reply.isError()) return done(reply.error());
        if (!reply.isArray()) return done(RedisError{RedisError::Kind::Unexpected, "HGETALL answered " + reply.describe()});
        std::vector<RoomMember> members;
        const auto& a = reply.array();
        for (std::size_t i = 0; i + 1 < a.size(); i += 2) members.push_back({a[i].string(), a[i + 1].string()});
        done(std::move(members));
    });
}

void RoomPresence::alive(const std::string& node, std::chrono::milliseconds ttl,
                         std::function<void(RedisResult<bool>)> done) {
    std::string key = nodeKey(node), px = std::to_string(ttl.count());
    connection_.command({"SET", key, "1", "PX", px, "GET"}, [done = std::move(done)](RedisReply reply) {
        if (reply.isError()) return done(reply.error());
        done(!reply.isNil());  // GET: the value before, nil when it had lapsed
    });
}

void RoomPresence::isAlive(const std::string& node, std::function<void(RedisResult<bool>)> done) {
    std::string key = nodeKey(node);
    connection_.command({"EXISTS", key}, [done = std::move(done)](RedisReply reply) {
        if (reply.isError()) return done(reply.error());
        if (!reply.isInteger()) return done(RedisError{RedisError::Kind::Unexpected, "EXISTS answered " + reply.describe()});
        done(reply.integer() == 1);
    });
}

std::optional<std::string_view> RoomPresence::roomOfChannel(std::string_view name) const {
    std::string head = prefix_ + "presence:";
    if (name.size() <= head.size() || name.substr(0, head.size()) != head) return std::nullopt;
    return name.substr(head.size());
}

std::optional<PresenceChange> RoomPresence::parse(std::string_view payload) {
    auto space = payload.find(' ');
    if (space == std::string_view::npos || space == 0) return std::nullopt;
    PresenceChange change;
    change.key = payload.substr(0, space);
    std::string_view rest = payload.substr(space + 1);
    if (rest == "leave") return change;
    if (rest.substr(0, 5) != "join " || rest.size() == 5) return std::nullopt;
    change.joined = true;
    change.json = rest.substr(5);
    return change;
}

}  // namespace brolostack::native::redis
