// The pub/sub side: a connection of its own (Redis allows nothing but
// (un)subscribing on a subscribed connection) that receives the messages of
// the channels and patterns subscribed to. It remembers what is subscribed
// and subscribes it all again after a reconnect. Messages published while
// it was down are not redelivered by Redis: onResubscribed tells the owner
// when everything is subscribed again, so it can read what it missed from
// the streams (RoomStreams::readRoomSince) with nothing falling in between.
//
// Same rules as RedisConnection: its thread only, callbacks must not
// throw nor destroy it.
#pragma once

#include "redis/redis_link.hpp"
#include "redis/redis_options.hpp"
#include "redis/redis_url.hpp"

#include <asio/io_context.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace brolostack::native::redis {

class RedisSubscriber {
public:
    /// Valid during the callback only (views into hiredis's buffer: a
    /// message is not copied on its way to the owner).
    struct Message {
        std::string_view pattern;  // empty unless it came through a pattern subscription
        std::string_view channel;
        std::string_view payload;
    };
    using MessageHandler = std::function<void(const Message&)>;

    static std::variant<std::unique_ptr<RedisSubscriber>, std::string> open(asio::io_context& io,
                                                                            std::string_view url,
                                                                            RedisOptions options = {});
    ~RedisSubscriber();
    RedisSubscriber(const RedisSubscriber&) = delete;
    RedisSubscriber& operator=(const RedisSubscriber&) = delete;

    void onMessage(MessageHandler handler) { onMessage_ = std::move(handler); }
    /// True when the connection comes up (subscriptions being renewed),
    /// false when it goes down.
    void onStateChange(std::function<void(bool up)> listener) { onState_ = std::move(listener); }
    /// After the connection came back from an outage, once Redis confirmed
    /// every subscription: from here on nothing is missed.
    void onResubscribed(std::function<void()> handler) { onResubscribed_ = std::move(handler); }

    /// Subscribes now if up, else as soon as the connection is. `active`
    /// (optional) runs once Redis confirmed it; never if it is unsubscribed
    /// first. Subscribing again to the same channel only adds `active`.
    void subscribe(const std::string& channel, std::function<void()> active = {});
    void unsubscribe(const std::string& channel);
    /// The same for glob-style patterns (PSUBSCRIBE): "room:*".
    void psubscribe(const std::string& pattern, std::function<void()> active = {});
    void punsubscribe(const std::string& pattern);

    bool up() const { return link_.ready(); }
    /// Subscribed and confirmed on the current connection.
    bool isActive(const std::string& channel) const;
    const std::string& lastError() const { return link_.lastError(); }

private:
    struct Subscription {
        bool active = false;                       // confirmed on the current connection
        std::vector<std::function<void()>> waiting;  // `active` callbacks due at the confirmation
    };
    using Table = std::map<std::string, Subscription, std::less<>>;

    RedisSubscriber(asio::io_context& io, RedisAddress address, RedisOptions options);
    void add(bool pattern, const std::string& name, std::function<void()> active);
    void remove(bool pattern, const std::string& name);
    void send(bool pattern, bool subscribe, const std::vector<std::string_view>& names);
    void connected();
    void lost();
    void confirmed(bool pattern, std::string_view name);
    static void onPubSub(redisAsyncContext* context, void* reply, void* privdata);

    Table channels_;
    Table patterns_;
    MessageHandler onMessage_;
    std::function<void(bool)> onState_;
    std::function<void()> onResubscribed_;
    bool everUp_ = false;
    bool resubscribing_ = false;           // back from an outage, confirmations outstanding
    std::size_t confirmationsDue_ = 0;     // of the subscriptions renewed when the connection came up
    std::shared_ptr<char> alive_ = std::make_shared<char>();
    RedisLink link_;  // last: destroyed first
};

}  // namespace brolostack::native::redis
