// Lua scripts on a RedisConnection: each runs with EVALSHA (its SHA1
// rather than its text on every call), and with EVAL when Redis answers
// NOSCRIPT.
//
// Redis forgets scripts when it restarts (or on SCRIPT FLUSH). Falling back
// on NOSCRIPT alone would reorder pipelined calls: of two calls in flight,
// the first's EVAL retry goes out after the second, and a call issued in
// between (or another node's EVAL, which loads the script) can overtake
// them, so two publishes of one client could get their offsets the wrong
// way round. So every script is also loaded (SCRIPT LOAD) as the first
// thing on each new connection, before it is reported up: after a restart
// no EVALSHA meets NOSCRIPT. The fallback remains for a flush (or a
// failover) behind an open connection, which is rare, and then still gives
// every call its answer.
#pragma once

#include "redis/redis_connection.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace brolostack::native::redis {

class RedisScripts {
public:
    using Id = std::size_t;

    /// Must not outlive `connection`.
    explicit RedisScripts(RedisConnection& connection);
    RedisScripts(const RedisScripts&) = delete;
    RedisScripts& operator=(const RedisScripts&) = delete;

    /// Registers a script, loaded now if the connection is up and on every
    /// new connection from then on.
    Id add(std::string source);
    /// Runs it: KEYS are `keys` (the keys it touches, so Redis Cluster can
    /// route it), ARGV are `args`. The reply or error is the script's.
    void run(Id script, std::vector<std::string> keys, std::vector<std::string> args,
             RedisConnection::ReplyHandler onReply);

    /// Calls answered NOSCRIPT and sent again with EVAL.
    std::uint64_t evalFallbacks() const { return state_->fallbacks; }
    /// Its SHA1 is known (from SCRIPT LOAD): calls go out as EVALSHA.
    bool loaded(Id script) const { return script < state_->scripts.size() && !state_->scripts[script].sha.empty(); }

private:
    struct Script {
        std::shared_ptr<const std::string> source;
        std::string sha;  // from SCRIPT LOAD; the same on every server
    };
    struct State {
        std::vector<Script> scripts;
        std::uint64_t fallbacks = 0;
    };
    struct Call;

    static void load(RedisConnection& connection, const std::shared_ptr<State>& state, Id script);
    static void send(RedisConnection& connection, const std::string& verb, const std::string& body,
                     const std::shared_ptr<Call>& call, RedisConnection::ReplyHandler onReply);

    RedisConnection& connection_;
    // Shared with the reply callbacks and the connect hook, which may run
    // after this object is gone (they then do nothing).
    std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace brolostack::native::redis
