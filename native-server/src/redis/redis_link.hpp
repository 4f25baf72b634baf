// One hiredis connection kept alive: resolve, non-blocking connect,
// handshake, and after any failure a new attempt once the backoff has
// passed, for as long as the link lives. RedisConnection (commands) and
// RedisSubscriber (pub/sub) each own one and decide what a connection is
// for; the link only says when it is usable (ready) and when it stopped
// being usable (lost).
//
// Everything runs on the thread that runs the io_context: no locks.
#pragma once

#include "redis/backoff.hpp"
#include "redis/redis_options.hpp"
#include "redis/redis_url.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct redisAsyncContext;

namespace brolostack::native::redis {

using HiredisCallback = void (*)(redisAsyncContext*, void* reply, void* privdata);

/// Queues one command (binary-safe arguments) on `context`; false when
/// hiredis refuses it because the context is being torn down, in which
/// case `privdata` is still the caller's to free.
bool sendCommand(redisAsyncContext* context, HiredisCallback callback, void* privdata,
                 const std::vector<std::string_view>& args);

class RedisLink {
public:
    using Ready = std::function<void()>;
    using Lost = std::function<void(const std::string& why)>;

    /// Nothing happens before start().
    RedisLink(asio::io_context& io, RedisAddress address, RedisOptions options, Ready ready, Lost lost);
    /// Frees the connection. Commands still pending on it get no callback:
    /// their callbacks find RedisLink::of(context) null and only free what
    /// they own.
    ~RedisLink();
    RedisLink(const RedisLink&) = delete;
    RedisLink& operator=(const RedisLink&) = delete;

    /// The first attempt. Never calls `ready` or `lost` before it returns.
    void start();
    /// The connection, while it is ready; null otherwise.
    redisAsyncContext* context() const { return state_ == State::Ready ? context_ : nullptr; }
    bool ready() const { return state_ == State::Ready; }
    /// The owner found the connection unusable: drop it, reconnect after the backoff.
    void drop(const std::string& why) { fail(why); }

    /// Why the last attempt or connection failed ("" once one succeeds).
    const std::string& lastError() const { return lastError_; }
    const RedisAddress& address() const { return address_; }
    asio::io_context& io() { return io_; }

    /// The link a context belongs to; null once the link let go of it
    /// (destroyed), so late hiredis callbacks know to do nothing.
    static RedisLink* of(const redisAsyncContext* context);

private:
    enum class State { Idle, Resolving, Connecting, Handshaking, Ready, Waiting };

    void attempt();
    /// Connects to the attempt's next address; fails the attempt with `why`
    /// (the previous address's error) when none is left.
    void connectNext(const std::string& why);
    void handshake();
    void becomeReady();
    /// An attempt or the connection failed: free ours, tell the owner if it
    /// was ready, try again after the backoff.
    void fail(const std::string& why);
    void armTimer(std::chrono::milliseconds delay, void (RedisLink::*then)());
    void timedOut();

    static void onConnect(const redisAsyncContext* context, int status);
    static void onDisconnect(const redisAsyncContext* context, int status);
    static void onAuthReply(redisAsyncContext* context, void* reply, void* privdata);
    static void onSelectReply(redisAsyncContext* context, void* reply, void* privdata);
    static void onPingReply(redisAsyncContext* context, void* reply, void* privdata);

    asio::io_context& io_;
    RedisAddress address_;
    RedisOptions options_;
    Ready ready_;
    Lost lost_;
    State state_ = State::Idle;
    redisAsyncContext* context_ = nullptr;  // ours: connecting, handshaking or ready
    Backoff backoff_;
    asio::steady_timer timer_;  // the attempt's deadline, or the wait before the next one
    std::uint64_t timerArmed_ = 0;  // tells a stale timer completion from the current one
    asio::ip::tcp::resolver resolver_;
    std::uint64_t attempts_ = 0;  // tells a stale resolution from the current one
    std::vector<std::string> addresses_;  // the attempt's addresses, tried in turn
    std::size_t nextAddress_ = 0;
    std::string lastError_;
    std::shared_ptr<char> alive_ = std::make_shared<char>();  // asio handlers hold a weak_ptr
};

}  // namespace brolostack::native::redis
