#include "redis/redis_subscriber.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <asio/post.hpp>

namespace brolostack::native::redis {
namespace {

std::string_view text(const redisReply* reply) {
    return reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS
               ? std::string_view(reply->str, reply->len)
               : std::string_view{};
}

}  // namespace

std::variant<std::unique_ptr<RedisSubscriber>, std::string> RedisSubscriber::open(asio::io_context& io,
                                                                                 std::string_view url,
                                                                                 RedisOptions options) {
    auto parsed = parseRedisUrl(url);
    if (auto* error = std::get_if<std::string>(&parsed)) return *error;
    std::unique_ptr<RedisSubscriber> subscriber(
        new RedisSubscriber(io, std::move(std::get<RedisAddress>(parsed)), options));
    subscriber->link_.start();
    return subscriber;
}

RedisSubscriber::RedisSubscriber(asio::io_context& io, RedisAddress address, RedisOptions options)
    : link_(io, std::move(address), options, [this] { connected(); }, [this](const std::string&) { lost(); }) {}

RedisSubscriber::~RedisSubscriber() = default;

void RedisSubscriber::subscribe(const std::string& channel, std::function<void()> active) {
    add(false, channel, std::move(active));
}
void RedisSubscriber::unsubscribe(const std::string& channel) { remove(false, channel); }
void RedisSubscriber::psubscribe(const std::string& pattern, std::function<void()> active) {
    add(true, pattern, std::move(active));
}
void RedisSubscriber::punsubscribe(const std::string& pattern) { remove(true, pattern); }

bool RedisSubscriber::isActive(const std::string& channel) const {
    auto it = channels_.find(channel);
    return it != channels_.end() && it->second.active;
}

void RedisSubscriber::add(bool pattern, const std::string& name, std::function<void()> active) {
    Table& table = pattern ? patterns_ : channels_;
    auto [it, inserted] = table.try_emplace(name);
    if (!inserted && it->second.active) {
        if (active) {
            std::weak_ptr<char> alive = alive_;
            asio::post(link_.io(), [alive, active = std::move(active)] {
                if (!alive.expired()) active();
            });
        }
        return;
    }
    if (active) it->second.waiting.push_back(std::move(active));
    if (inserted && link_.ready()) send(pattern, true, {name});
}

void RedisSubscriber::remove(bool pattern, const std::string& name) {
    Table& table = pattern ? patterns_ : channels_;
    if (table.erase(name) && link_.ready()) send(pattern, false, {name});
}

void RedisSubscriber::send(bool pattern, bool subscribe, const std::vector<std::string_view>& names) {
    std::vector<std::string_view> args;
    args.reserve(names.size() + 1);
    args.push_back(pattern ? (subscribe ? "PSUBSCRIBE" : "PUNSUBSCRIBE") : (subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE"));
    args.insert(args.end(), names.begin(), names.end());
    // hiredis keeps one callback per channel and calls it for every message,
    // so it gets no per-call state: `this`, checked through the link.
    // A refusal means the connection is going away; the next one
    // subscribes from the tables.
    sendCommand(link_.context(), &RedisSubscriber::onPubSub, this, args);
}

void RedisSubscriber::connected() {
    resubscribing_ = everUp_;
    everUp_ = true;
    confirmationsDue_ = channels_.size() + patterns_.size();
    for (bool pattern : {false, true}) {
        const Table& table = pattern ? patterns_ : channels_;
        if (table.empty()) continue;
        std::vector<std::string_view> names;
        names.reserve(table.size());
        for (const auto& entry : table) names.push_back(entry.first);
        send(pattern, true, names);
    }
    if (onState_) onState_(true);
    if (resubscribing_ && confirmationsDue_ == 0 && link_.ready()) {
        resubscribing_ = false;
        if (onResubscribed_) onResubscribed_();
    }
}

void RedisSubscriber::lost() {
    for (Table* table : {&channels_, &patterns_})
        for (auto& entry : *table) entry.second.active = false;
    resubscribing_ = false;
    confirmationsDue_ = 0;
    if (onState_) onState_(false);
}

void RedisSubscriber::confirmed(bool pattern, std::string_view name) {
    Table& table = pattern ? patterns_ : channels_;
    std::vector<std::function<void()>> waiting;
    auto it = table.find(name);
    if (it != table.end()) {  // else unsubscribed while the confirmation was on its way
        it->second.active = true;
        waiting.swap(it->second.waiting);
    }
    // The renewed subscriptions were sent first on the new connection, so
    // the first confirmations on it are theirs.
    bool renewed = confirmationsDue_ > 0 && --confirmationsDue_ == 0 && resubscribing_;
    if (renewed) resubscribing_ = false;
    for (auto& callback : waiting) callback();
    if (renewed && onResubscribed_) onResubscribed_();
}

void RedisSubscriber::onPubSub(redisAsyncContext* context, void* reply, void* privdata) {
    // No reply: hiredis is freeing the connection (the link reports it).
    if (!reply || !RedisLink::of(context)) return;
    auto* self = static_cast<RedisSubscriber*>(privdata);
    const auto* r = static_cast<const redisReply*>(reply);
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
    std::string_view kind = text(r->element[0]);
    if (kind == "message") {
        std::string_view channel = text(r->element[1]);
        if (self->onMessage_ && self->channels_.count(channel))
            self->onMessage_(Message{{}, channel, text(r->element[2])});
    } else if (kind == "pmessage" && r->elements >= 4) {
        std::string_view pattern = text(r->element[1]);
        if (self->onMessage_ && self->patterns_.count(pattern))
            self->onMessage_(Message{pattern, text(r->element[2]), text(r->element[3])});
    } else if (kind == "subscribe" || kind == "psubscribe") {
        self->confirmed(kind == "psubscribe", text(r->element[1]));
    }
    // unsubscribe/punsubscribe confirmations need nothing: the tables
    // already forgot the name, and messages still on their way are dropped
    // by the lookups above.
}

}  // namespace brolostack::native::redis
