#include "redis/session_leases.hpp"

#include <algorithm>
#include <memory>
#include <string_view>

namespace brolostack::native::redis {
namespace {

// KEYS[1] lease, KEYS[2] records. ARGV[1] the asking node, ARGV[2] the
// liveness key of a node without its name ("<prefix>node:"). Returns
// {leader} when another live node leads, else takes the lease and returns
// {node, records as HGETALL gives them}.
constexpr const char* kLead = R"lua(
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] and redis.call('EXISTS', ARGV[2] .. holder) == 1 then return {holder} end
redis.call('SET', KEYS[1], ARGV[1])
return {ARGV[1], redis.call('HGETALL', KEYS[2])}
)lua";

// KEYS[1] lease, KEYS[2] records. ARGV[1] the node, then triples of
// operation ("set", "del" or "drop"), field and value. Returns 0 without
// changing anything when the node does not hold the lease.
constexpr const char* kSave = R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for i = 2, #ARGV, 3 do
  local op = ARGV[i]
  if op == 'set' then redis.call('HSET', KEYS[2], ARGV[i + 1], ARGV[i + 2])
  elseif op == 'del' then redis.call('HDEL', KEYS[2], ARGV[i + 1])
  else redis.call('DEL', KEYS[2], KEYS[1]) end
end
return 1
)lua";

constexpr std::string_view kAgentPrefix = "agent:";
constexpr std::string_view kTaskPrefix = "task:";

store::Snapshot recordsOf(const std::string& session, const std::vector<RedisReply>& fields) {
    store::Snapshot records;
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
        const std::string& field = fields[i].string();
        const std::string& json = fields[i + 1].string();
        std::string_view f = field;
        if (f == "session") records.sessions.push_back({session, session, json});
        else if (f.substr(0, kAgentPrefix.size()) == kAgentPrefix)
            records.agents.push_back({session, std::string(f.substr(kAgentPrefix.size())), json});
        else if (f.substr(0, kTaskPrefix.size()) == kTaskPrefix)
            records.tasks.push_back({session, std::string(f.substr(kTaskPrefix.size())), json});
    }
    return records;
}

}  // namespace

SessionLeases::SessionLeases(RedisConnection& connection, RedisScripts& scripts, std::string keyPrefix)
    : connection_(connection), scripts_(scripts), prefix_(std::move(keyPrefix)), lead_(scripts.add(kLead)),
      save_(scripts.add(kSave)) {}

void SessionLeases::lead(const std::string& session, const std::string& node,
                         std::function<void(RedisResult<SessionLeaseAnswer>)> done) {
    // The liveness key is not among KEYS: on Redis Cluster it may sit in
    // another slot. A single Redis (what cluster mode supports) allows it.
    scripts_.run(lead_, {leaseKey(session), recordsKey(session)}, {node, prefix_ + "node:"},
                 [session, done = std::move(done)](RedisReply reply) {
                     if (reply.isError()) return done(reply.error());
                     const auto& a = reply.array();
                     if (!reply.isArray() || a.empty() || !a[0].isString() || (a.size() > 1 && !a[1].isArray()))
                         return done(RedisError{RedisError::Kind::Unexpected, "lease answered " + reply.describe()});
                     SessionLeaseAnswer answer{a[0].string(), {}};
                     if (a.size() > 1) answer.records = recordsOf(session, a[1].array());
                     done(std::move(answer));
                 });
}

namespace {

/// One SCAN over the records keys, page by page: each page's callback
/// holds the walk, so it lives until the last page is read.
class SessionScan : public std::enable_shared_from_this<SessionScan> {
public:
    SessionScan(RedisConnection& connection, std::string prefix, std::function<void(RedisResult<std::vector<std::string>>)> done)
        : connection_(connection), prefix_(std::move(prefix)), done_(std::move(done)) {}

    void page(const std::string& cursor) {
        const std::string pattern = prefix_ + "*" + std::string(kSuffix);
        connection_.command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"},
                            [self = shared_from_this()](RedisReply reply) { self->read(reply); });
    }

private:
    static constexpr std::string_view kSuffix = "}:records";

    void read(const RedisReply& reply) {
        if (reply.isError()) return done_(reply.error());
        if (!reply.isArray() || reply.array().size() != 2 || !reply.array()[1].isArray())
            return done_(RedisError{RedisError::Kind::Unexpected, "SCAN answered " + reply.describe()});
        for (const auto& key : reply.array()[1].array()) {
            const std::string& k = key.string();
            if (k.size() > prefix_.size() + kSuffix.size())
                found_.push_back(k.substr(prefix_.size(), k.size() - prefix_.size() - kSuffix.size()));
        }
        if (reply.array()[0].string() != "0") return page(reply.array()[0].string());
        // SCAN may name a key twice and follows no order.
        std::sort(found_.begin(), found_.end());
        found_.erase(std::unique(found_.begin(), found_.end()), found_.end());
        done_(std::move(found_));
    }

    RedisConnection& connection_;
    std::string prefix_;  // "<prefix>session:{"
    std::function<void(RedisResult<std::vector<std::string>>)> done_;
    std::vector<std::string> found_;
};

}  // namespace

void SessionLeases::list(std::function<void(RedisResult<std::vector<std::string>>)> done) {
    std::make_shared<SessionScan>(connection_, prefix_ + "session:{", std::move(done))->page("0");
}

void SessionLeases::save(const std::string& session, const std::string& node, const std::vector<RecordChange>& changes,
                         std::function<void(RedisResult<bool>)> done) {
    std::vector<std::string> args{node};
    args.reserve(1 + 3 * changes.size());
    for (const auto& c : changes) {
        args.push_back(c.kind == RecordChange::Kind::Set      ? "set"
                       : c.kind == RecordChange::Kind::Remove ? "del"
                                                              : "drop");
        args.push_back(c.field);
        args.push_back(c.json);
    }
    scripts_.run(save_, {leaseKey(session), recordsKey(session)}, std::move(args),
                 [done = std::move(done)](RedisReply reply) {
                     if (reply.isError()) return done(reply.error());
                     if (!reply.isInteger())
                         return done(RedisError{RedisError::Kind::Unexpected, "save answered " + reply.describe()});
                     done(reply.integer() == 1);
                 });
}

}  // namespace brolostack::native::redis
