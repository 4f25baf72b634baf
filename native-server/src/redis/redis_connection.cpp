#include "redis/redis_connection.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <asio/post.hpp>

namespace brolostack::native::redis {

std::variant<std::unique_ptr<RedisConnection>, std::string> RedisConnection::open(asio::io_context& io,
                                                                                 std::string_view url,
                                                                                 RedisOptions options) {
    auto parsed = parseRedisUrl(url);
    if (auto* error = std::get_if<std::string>(&parsed)) return *error;
    std::unique_ptr<RedisConnection> connection(
        new RedisConnection(io, std::move(std::get<RedisAddress>(parsed)), options));
    connection->link_.start();
    return connection;
}

struct RedisConnection::Pending {
    RedisConnection* connection;  // valid while RedisLink::of(context) is non-null
    ReplyHandler onReply;
};

RedisConnection::RedisConnection(asio::io_context& io, RedisAddress address, RedisOptions options)
    : options_(options),
      replyWatch_(io),
      link_(io, std::move(address), options, [this] { connected(); }, [this](const std::string&) { lost(); }) {}

RedisConnection::~RedisConnection() = default;

void RedisConnection::connected() {
    // By index: a hook or a listener may add more.
    for (std::size_t i = 0; i < connectHooks_.size(); ++i) connectHooks_[i]();
    for (std::size_t i = 0; i < listeners_.size() && link_.ready(); ++i) listeners_[i](true);
}

void RedisConnection::lost() {
    sentAt_.clear();  // hiredis answered each of them Lost
    for (std::size_t i = 0; i < listeners_.size() && !link_.ready(); ++i) listeners_[i](false);
}

void RedisConnection::command(const std::vector<std::string_view>& args, ReplyHandler onReply) {
    if (args.empty()) return failSoon(std::move(onReply), {RedisError::Kind::Unexpected, "empty Redis command"});
    redisAsyncContext* context = link_.context();
    if (!context) return failSoon(std::move(onReply), notConnected());
    auto* pending = new Pending{this, std::move(onReply)};
    if (!sendCommand(context, &RedisConnection::onReply, pending, args)) {
        // hiredis is tearing the connection down (we are inside one of the
        // lost commands' callbacks): as good as not connected.
        std::unique_ptr<Pending> refused(pending);
        failSoon(std::move(refused->onReply), notConnected());
        return;
    }
    sentAt_.push_back(std::chrono::steady_clock::now());
    watchReplies();
}

void RedisConnection::watchReplies() {
    if (watching_ || sentAt_.empty() || options_.commandTimeout.count() <= 0) return;
    watching_ = true;
    replyWatch_.expires_at(sentAt_.front() + options_.commandTimeout);
    replyWatch_.async_wait([weak = std::weak_ptr<char>(alive_), this](const std::error_code& ec) {
        if (ec || weak.expired()) return;
        watching_ = false;
        if (!sentAt_.empty() && std::chrono::steady_clock::now() - sentAt_.front() >= options_.commandTimeout) {
            auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(options_.commandTimeout).count();
            link_.drop("no reply from Redis in " + std::to_string(ms) + " ms");
            return;
        }
        watchReplies();  // the oldest was answered meanwhile: watch the next
    });
}

void RedisConnection::onReply(redisAsyncContext* context, void* reply, void* privdata) {
    std::unique_ptr<Pending> pending(static_cast<Pending*>(privdata));
    RedisLink* link = RedisLink::of(context);
    if (!link) return;  // the connection is being destroyed: nobody to tell
    RedisConnection& self = *pending->connection;
    if (!self.sentAt_.empty()) self.sentAt_.pop_front();
    if (!reply) {
        pending->onReply(RedisReply::ofError(RedisError::Kind::Lost, "connection to " + link->address().url() +
                                                                       " lost before the reply; the command may have run"));
        return;
    }
    pending->onReply(RedisReply::fromHiredis(*static_cast<const redisReply*>(reply)));
}

void RedisConnection::failSoon(ReplyHandler onReply, RedisError error) {
    std::weak_ptr<char> alive = alive_;
    asio::post(link_.io(), [alive, onReply = std::move(onReply), error = std::move(error)]() mutable {
        if (!alive.expired()) onReply(RedisReply::ofError(std::move(error)));
    });
}

RedisError RedisConnection::notConnected() const {
    const std::string& why = link_.lastError();
    return {RedisError::Kind::NotSent,
            "Redis at " + link_.address().url() + " is unavailable (" + (why.empty() ? "connecting" : why) + ")"};
}

}  // namespace brolostack::native::redis
