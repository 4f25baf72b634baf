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

RedisConnection::RedisConnection(asio::io_context& io, RedisAddress address, RedisOptions options)
    : link_(io, std::move(address), options, [this] { connected(); }, [this](const std::string&) { lost(); }) {}

RedisConnection::~RedisConnection() = default;

void RedisConnection::connected() {
    // By index: a hook or a listener may add more.
    for (std::size_t i = 0; i < connectHooks_.size(); ++i) connectHooks_[i]();
    for (std::size_t i = 0; i < listeners_.size() && link_.ready(); ++i) listeners_[i](true);
}

void RedisConnection::lost() {
    for (std::size_t i = 0; i < listeners_.size() && !link_.ready(); ++i) listeners_[i](false);
}

void RedisConnection::command(const std::vector<std::string_view>& args, ReplyHandler onReply) {
    if (args.empty()) return failSoon(std::move(onReply), {RedisError::Kind::Unexpected, "empty Redis command"});
    redisAsyncContext* context = link_.context();
    if (!context) return failSoon(std::move(onReply), notConnected());
    auto* pending = new ReplyHandler(std::move(onReply));
    if (!sendCommand(context, &RedisConnection::onReply, pending, args)) {
        // hiredis is tearing the connection down (we are inside one of the
        // lost commands' callbacks): as good as not connected.
        std::unique_ptr<ReplyHandler> refused(pending);
        failSoon(std::move(*refused), notConnected());
    }
}

void RedisConnection::onReply(redisAsyncContext* context, void* reply, void* privdata) {
    std::unique_ptr<ReplyHandler> handler(static_cast<ReplyHandler*>(privdata));
    RedisLink* link = RedisLink::of(context);
    if (!link) return;  // the connection is being destroyed: nobody to tell
    if (!reply) {
        (*handler)(RedisReply::ofError(RedisError::Kind::Lost, "connection to " + link->address().url() +
                                                                   " lost before the reply; the command may have run"));
        return;
    }
    (*handler)(RedisReply::fromHiredis(*static_cast<const redisReply*>(reply)));
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
