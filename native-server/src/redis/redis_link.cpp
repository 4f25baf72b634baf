#include "redis/redis_link.hpp"

#include "redis/asio_adapter.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <asio/ip/address.hpp>
#include <asio/post.hpp>

#include <algorithm>

#include <random>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace brolostack::native::redis {
namespace {

/// TCP keepalive on the socket: probes after `seconds` idle, every third of
/// that, three times. (hiredis 0.14 does this in redisKeepAlive, which its
/// installed headers do not declare; done here, a failure is harmless: the
/// connection only goes without probes.)
void keepAlive(int fd, int seconds) {
    int on = 1, interval = seconds / 3 > 0 ? seconds / 3 : 1, count = 3;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &seconds, sizeof seconds);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

}  // namespace

bool sendCommand(redisAsyncContext* context, HiredisCallback callback, void* privdata,
                 const std::vector<std::string_view>& args) {
    if (args.empty()) return false;  // hiredis asserts on a command without a name
    // Most commands are short: their argument arrays stay on the stack.
    constexpr std::size_t kOnStack = 16;
    const char* argvOnStack[kOnStack];
    std::size_t lengthsOnStack[kOnStack];
    std::vector<const char*> argvOnHeap;
    std::vector<std::size_t> lengthsOnHeap;
    const char** argv = argvOnStack;
    std::size_t* lengths = lengthsOnStack;
    if (args.size() > kOnStack) {
        argvOnHeap.resize(args.size());
        lengthsOnHeap.resize(args.size());
        argv = argvOnHeap.data();
        lengths = lengthsOnHeap.data();
    }
    for (std::size_t i = 0; i < args.size(); ++i) {
        argv[i] = args[i].empty() ? "" : args[i].data();
        lengths[i] = args[i].size();
    }
    return redisAsyncCommandArgv(context, callback, privdata, static_cast<int>(args.size()), argv, lengths) ==
           REDIS_OK;
}

RedisLink::RedisLink(asio::io_context& io, RedisAddress address, RedisOptions options, Ready ready, Lost lost)
    : io_(io),
      address_(std::move(address)),
      options_(options),
      ready_(std::move(ready)),
      lost_(std::move(lost)),
      backoff_(options.reconnectMin, options.reconnectMax, std::random_device{}()),
      timer_(io),
      resolver_(io) {}

RedisLink::~RedisLink() {
    alive_.reset();
    if (redisAsyncContext* context = context_) {
        context_ = nullptr;
        context->data = nullptr;  // its remaining callbacks must not reach us or our owner
        redisAsyncFree(context);
    }
}

RedisLink* RedisLink::of(const redisAsyncContext* context) { return static_cast<RedisLink*>(context->data); }

void RedisLink::start() {
    if (state_ == State::Idle) attempt();
}

void RedisLink::attempt() {
    ++attempts_;
    state_ = State::Resolving;
    addresses_.clear();
    nextAddress_ = 0;
    armTimer(options_.connectTimeout, &RedisLink::timedOut);
    // An address needs no lookup; a name is resolved on asio's resolver
    // thread, because hiredis would call a blocking getaddrinfo on ours.
    asio::error_code numeric;
    auto ip = asio::ip::make_address(address_.host, numeric);
    if (!numeric) {
        addresses_.push_back(ip.to_string());
        return connectNext("");
    }
    std::weak_ptr<char> alive = alive_;
    resolver_.async_resolve(address_.host, std::to_string(address_.port),
                            [this, alive, attempt = attempts_](const asio::error_code& ec,
                                                               asio::ip::tcp::resolver::results_type results) {
                                if (alive.expired() || attempt != attempts_ || state_ != State::Resolving) return;
                                if (ec || results.empty())
                                    return fail("cannot resolve " + address_.host + ": " +
                                                (ec ? ec.message() : "no address"));
                                // Every address, in the resolver's order: "localhost" may give
                                // ::1 first to a Redis listening on 127.0.0.1 only.
                                for (const auto& entry : results) {
                                    std::string text = entry.endpoint().address().to_string();
                                    if (std::find(addresses_.begin(), addresses_.end(), text) == addresses_.end())
                                        addresses_.push_back(std::move(text));
                                }
                                connectNext("");
                            });
}

void RedisLink::connectNext(const std::string& why) {
    if (nextAddress_ >= addresses_.size()) return fail(why);
    const std::string& ip = addresses_[nextAddress_++];
    state_ = State::Connecting;
    redisAsyncContext* context = redisAsyncConnect(ip.c_str(), address_.port);
    if (!context) return fail("cannot connect to " + address_.url() + ": out of memory");
    if (context->err) {  // refused before connect(2) returned, for instance
        std::string error = "cannot connect to " + address_.url() + " (" + ip + "): " + context->errstr;
        redisAsyncFree(context);
        return connectNext(error);
    }
    if (!attachToAsio(context, io_)) {
        redisAsyncFree(context);
        return fail("cannot connect to " + address_.url() + ": its socket cannot be watched");
    }
    context->data = this;
    if (options_.keepAliveSeconds > 0) keepAlive(context->c.fd, options_.keepAliveSeconds);
    context_ = context;
    redisAsyncSetDisconnectCallback(context, &RedisLink::onDisconnect);
    redisAsyncSetConnectCallback(context, &RedisLink::onConnect);  // waits for writability: the connect's end
}

void RedisLink::onConnect(const redisAsyncContext* context, int status) {
    RedisLink* link = of(context);
    if (!link || link->context_ != context) return;
    if (status != REDIS_OK) {
        link->context_ = nullptr;  // hiredis frees it when we return
        std::string why = "cannot connect to " + link->address_.url() + " (" +
                          link->addresses_[link->nextAddress_ - 1] + "): " + context->errstr;
        // The next address (if any) from the loop, outside hiredis's frames.
        std::weak_ptr<char> alive = link->alive_;
        asio::post(link->io_, [link, alive, attempt = link->attempts_, why] {
            if (!alive.expired() && attempt == link->attempts_ && link->state_ == State::Connecting)
                link->connectNext(why);
        });
        return;
    }
    link->handshake();
}

void RedisLink::handshake() {
    // Before anyone may use the connection: the credentials, the database,
    // then a PING, which a Redis still loading its data set answers with
    // LOADING (and a password-protected one with NOAUTH): not ready yet,
    // try again.
    state_ = State::Handshaking;
    std::string db = std::to_string(address_.db);
    std::vector<std::string_view> auth{"AUTH"};
    if (!address_.user.empty()) auth.push_back(address_.user);
    auth.push_back(address_.password);
    bool queued = (address_.password.empty() || sendCommand(context_, &RedisLink::onAuthReply, nullptr, auth)) &&
                  (address_.db == 0 || sendCommand(context_, &RedisLink::onSelectReply, nullptr, {"SELECT", db})) &&
                  sendCommand(context_, &RedisLink::onPingReply, nullptr, {"PING"});
    if (queued) return;
    // We are inside hiredis's connect callback, which goes on using the
    // context after we return: it must not be freed from here.
    std::weak_ptr<char> alive = alive_;
    asio::post(io_, [this, alive, attempt = attempts_] {
        if (!alive.expired() && attempt == attempts_ && state_ == State::Handshaking)
            fail("cannot send the handshake to " + address_.url());
    });
}

void RedisLink::onAuthReply(redisAsyncContext* context, void* reply, void*) {
    RedisLink* link = of(context);
    if (!link || link->context_ != context || !reply) return;  // no reply: onDisconnect follows
    const auto* r = static_cast<const redisReply*>(reply);
    // Redis's answer names no secret (WRONGPASS, or AUTH without a password set).
    if (r->type == REDIS_REPLY_ERROR)
        link->drop("AUTH failed on " + link->address_.url() + ": " + std::string(r->str, r->len));
}

void RedisLink::onSelectReply(redisAsyncContext* context, void* reply, void*) {
    RedisLink* link = of(context);
    if (!link || link->context_ != context || !reply) return;  // no reply: onDisconnect follows
    const auto* r = static_cast<const redisReply*>(reply);
    if (r->type == REDIS_REPLY_ERROR)
        link->drop("SELECT " + std::to_string(link->address_.db) + " failed on " + link->address_.url() + ": " +
                   std::string(r->str, r->len));
}

void RedisLink::onPingReply(redisAsyncContext* context, void* reply, void*) {
    RedisLink* link = of(context);
    if (!link || link->context_ != context || !reply) return;
    const auto* r = static_cast<const redisReply*>(reply);
    if (r->type == REDIS_REPLY_ERROR)
        return link->drop(link->address_.url() + " is not ready: " + std::string(r->str, r->len));
    link->becomeReady();
}

void RedisLink::becomeReady() {
    ++timerArmed_;  // the attempt's deadline no longer applies
    timer_.cancel();
    state_ = State::Ready;
    backoff_.reset();
    lastError_.clear();
    ready_();
}

void RedisLink::onDisconnect(const redisAsyncContext* context, int) {
    RedisLink* link = of(context);
    if (!link || link->context_ != context) return;  // one we freed ourselves
    link->context_ = nullptr;                        // hiredis frees it when we return
    std::string why = context->err ? context->errstr : "closed";
    link->fail("connection to " + link->address_.url() + " lost: " + why);
}

void RedisLink::fail(const std::string& why) {
    bool wasReady = state_ == State::Ready;
    state_ = State::Waiting;
    lastError_ = why;
    resolver_.cancel();
    armTimer(backoff_.next(), &RedisLink::attempt);
    std::weak_ptr<char> alive = alive_;
    if (redisAsyncContext* context = context_) {
        // Its pending commands get their "lost" callbacks now (deferred by
        // hiredis until the current callback returns, when called from one).
        // Those run the owner's code, which may destroy us: check after.
        context_ = nullptr;
        redisAsyncFree(context);
        if (alive.expired()) return;
    }
    if (wasReady) lost_(lastError_);  // last: the owner may do anything from here
}

void RedisLink::timedOut() {
    fail("no connection to " + address_.url() + " within " + std::to_string(options_.connectTimeout.count()) +
         " ms");
}

void RedisLink::armTimer(std::chrono::milliseconds delay, void (RedisLink::*then)()) {
    std::uint64_t armed = ++timerArmed_;
    timer_.expires_after(delay);
    std::weak_ptr<char> alive = alive_;
    timer_.async_wait([this, alive, armed, then](const asio::error_code& ec) {
        if (ec || alive.expired() || armed != timerArmed_) return;
        (this->*then)();
    });
}

}  // namespace brolostack::native::redis
