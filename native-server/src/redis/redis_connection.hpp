// A command connection to Redis: commands are pipelined (sent without
// waiting for earlier replies; the replies come back in order), each
// answered through its callback with an owned RedisReply. The connection
// reconnects by itself after a drop (backoff.hpp); while it is down,
// commands fail at once with RedisError::Kind::NotSent rather than queue
// behind an outage of unknown length: callers answer `unavailable`.
//
// Not thread-safe: one per shard, used on the thread that runs its
// io_context. Callbacks run on that thread, never from inside the call
// that issued the command; they must not throw, nor destroy the connection
// (post that to the loop). A command unanswered for options.commandTimeout
// drops the connection: it and every later one fail as Lost. Destroying the connection drops every callback
// still due; it must go before its io_context.
#pragma once

#include "redis/redis_link.hpp"
#include "redis/redis_options.hpp"
#include "redis/redis_reply.hpp"
#include "redis/redis_url.hpp"

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <deque>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace brolostack::native::redis {

class RedisConnection {
public:
    using ReplyHandler = std::function<void(RedisReply)>;
    using StateListener = std::function<void(bool up)>;

    /// Starts connecting to `url` (redis://host[:port][/db]) on `io`; an
    /// error message when the URL is not one.
    static std::variant<std::unique_ptr<RedisConnection>, std::string> open(asio::io_context& io,
                                                                            std::string_view url,
                                                                            RedisOptions options = {});
    ~RedisConnection();
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    /// Sends `args` (binary-safe; copied before this returns) and calls
    /// `onReply` with the reply, or with an error: NotSent when down, Lost
    /// when the connection dropped before the reply came.
    void command(const std::vector<std::string_view>& args, ReplyHandler onReply);

    /// Connected, handshaken and not known to be lost.
    bool up() const { return link_.ready(); }
    /// Called with true each time the connection comes up, false each time
    /// it goes down (after the lost commands' callbacks). Adds a listener.
    void onStateChange(StateListener listener) { listeners_.push_back(std::move(listener)); }
    /// Called on every new connection before the state listeners: what it
    /// sends goes out before anything else on that connection (scripts
    /// load themselves this way). Adds a hook.
    void onConnect(std::function<void()> hook) { connectHooks_.push_back(std::move(hook)); }

    /// Why the connection is down ("" while it is up).
    const std::string& lastError() const { return link_.lastError(); }
    const RedisAddress& address() const { return link_.address(); }

private:
    RedisConnection(asio::io_context& io, RedisAddress address, RedisOptions options);
    void connected();
    void lost();
    /// Calls `onReply` with `error` from the loop, not from inside command().
    void failSoon(ReplyHandler onReply, RedisError error);
    RedisError notConnected() const;
    static void onReply(redisAsyncContext* context, void* reply, void* privdata);
    /// Drops the connection when its oldest command waited past commandTimeout.
    void watchReplies();

    struct Pending;

    std::vector<StateListener> listeners_;
    std::vector<std::function<void()>> connectHooks_;
    RedisOptions options_;
    // When each command still waiting for its reply was sent, oldest first
    // (Redis answers in order).
    std::deque<std::chrono::steady_clock::time_point> sentAt_;
    asio::steady_timer replyWatch_;
    bool watching_ = false;
    std::shared_ptr<char> alive_ = std::make_shared<char>();  // posted failures hold a weak_ptr
    RedisLink link_;  // last: destroyed first, while the rest is still here for its callbacks
};

}  // namespace brolostack::native::redis
