#include "redis/redis_broker.hpp"

#include "brolostack/protocol/codes.hpp"

namespace brolostack::native::redis {

namespace {

protocol::Error unavailable(const RedisError& error) {
    // Redis's own words stay in the server's log; the client hears only that
    // the broker is away (or, for a reply error, that the server failed).
    if (error.unavailable())
        return protocol::makeError(protocol::ErrorCode::Unavailable,
                                   "the message broker is unreachable; try again shortly");
    return protocol::makeError(protocol::ErrorCode::Internal, "the message broker refused the publish");
}

}  // namespace

std::variant<std::unique_ptr<RedisBroker>, std::string> RedisBroker::open(asio::io_context& io, std::string_view url,
                                                                         server::Hub& hub, Step step, Bounds bounds,
                                                                         std::function<std::string()> newEpoch) {
    std::unique_ptr<RedisBroker> broker(new RedisBroker(io, hub, std::move(step), bounds));
    auto commands = RedisConnection::open(io, url);
    if (auto* error = std::get_if<std::string>(&commands)) return "BROKER: " + *error;
    broker->commands_ = std::move(std::get<std::unique_ptr<RedisConnection>>(commands));
    auto fanOut = RedisSubscriber::open(io, url);
    if (auto* error = std::get_if<std::string>(&fanOut)) return "BROKER: " + *error;
    broker->fanOut_ = std::move(std::get<std::unique_ptr<RedisSubscriber>>(fanOut));
    broker->scripts_ = std::make_unique<RedisScripts>(*broker->commands_);
    broker->rooms_ = std::make_unique<RoomStreams>(*broker->scripts_, std::move(newEpoch));

    RedisBroker* self = broker.get();
    self->fanOut_->onMessage([self](const RedisSubscriber::Message& m) { self->fannedOut(m); });
    self->fanOut_->onResubscribed([self] {
        self->step_([self](server::Outbox& out, std::int64_t) { self->hub_.brokerResumed(out); });
    });
    self->commands_->onStateChange([self](bool) { self->stateChanged(); });
    self->fanOut_->onStateChange([self](bool) { self->stateChanged(); });
    return broker;
}

void RedisBroker::onStateChange(std::function<void(bool up)> listener) { onState_ = std::move(listener); }

void RedisBroker::stateChanged() {
    bool now = up();
    if (now == reportedUp_) return;
    reportedUp_ = now;
    if (onState_) onState_(now);
}

RedisBroker::RedisBroker(asio::io_context& io, server::Hub& hub, Step step, Bounds bounds)
    : io_(io), hub_(hub), step_(std::move(step)), bounds_(bounds) {}

std::string RedisBroker::lastError() const {
    if (!commands_->up()) return commands_->lastError();
    if (!fanOut_->up()) return fanOut_->lastError();
    return "";
}

void RedisBroker::stepSoon(std::function<void(server::Outbox&, std::int64_t)> work) {
    asio::post(io_, [weak = std::weak_ptr<char>(alive_), this, work = std::move(work)] {
        if (weak.lock()) step_(work);
    });
}

void RedisBroker::perform(const server::BrokerRequest& request) {
    switch (request.kind) {
    case server::BrokerRequest::Kind::Watch:
        watch(request.room);
        return;
    case server::BrokerRequest::Kind::Unwatch:
        fanOut_->unsubscribe(rooms_->channel(request.room));
        return;
    case server::BrokerRequest::Kind::CatchUp:
        read(request.room, request.after);
        return;
    case server::BrokerRequest::Kind::Publish:
        publish(request);
        return;
    }
}

void RedisBroker::watch(const std::string& room) {
    if (!fanOut_->up()) {
        // The subscription would wait for Redis; the joiner should not.
        stepSoon([this, room](server::Outbox& out, std::int64_t now) { hub_.brokerSyncFailed(room, now, out); });
        return;
    }
    // Read once the subscription is confirmed: whatever is published from
    // then on arrives on the channel, everything before is in the read.
    fanOut_->subscribe(rooms_->channel(room), [weak = std::weak_ptr<char>(alive_), this, room] {
        if (weak.lock()) read(room, 0);
    });
}

void RedisBroker::read(const std::string& room, std::uint64_t after) {
    rooms_->readRoomSince(
        room, after, bounds_.historySize, bounds_.roomTtl,
        [weak = std::weak_ptr<char>(alive_), this, room](RedisResult<RoomHistory> result) {
            if (!weak.lock()) return;
            if (!result.ok()) {
                step_([&](server::Outbox& out, std::int64_t now) { hub_.brokerSyncFailed(room, now, out); });
                return;
            }
            RoomHistory& history = result.value();
            server::RoomSync sync{std::move(history.epoch), history.lastOffset, {}};
            sync.messages.reserve(history.messages.size());
            for (auto& m : history.messages)
                sync.messages.push_back({m.offset, std::move(m.json), std::move(m.origin)});
            step_([&](server::Outbox& out, std::int64_t now) { hub_.brokerSynced(room, std::move(sync), now, out); });
        });
}

void RedisBroker::publish(const server::BrokerRequest& request) {
    RoomPost post(request.unplaced);
    post.origin = request.origin;
    if (request.mid) post.dedupeId = request.dedupeKey + ":" + *request.mid;
    post.dedupeWindow = std::chrono::milliseconds(request.midTtlMs);
    rooms_->publishToRoom(
        request.room, std::move(post), bounds_.historySize, bounds_.roomTtl,
        [weak = std::weak_ptr<char>(alive_), this, token = request.token](RedisResult<PublishedMessage> result) {
            if (!weak.lock()) return;
            std::variant<server::BrokerPublishResult, protocol::Error> answer =
                result.ok() ? std::variant<server::BrokerPublishResult, protocol::Error>(server::BrokerPublishResult{
                                  {result.value().epoch, result.value().offset}, result.value().duplicate})
                            : unavailable(result.error());
            step_([&](server::Outbox& out, std::int64_t now) { hub_.brokerPublished(token, answer, now, out); });
        });
}

void RedisBroker::fannedOut(const RedisSubscriber::Message& message) {
    auto room = rooms_->roomOfChannel(message.channel);
    auto publication = RoomStreams::parsePublication(message.payload);
    if (!room || !publication) return;  // not ours
    std::string roomId(*room);
    server::PlacedMessage placed{publication->offset, std::string(publication->json), std::string(publication->origin)};
    std::string_view epoch = publication->epoch;
    step_([&](server::Outbox& out, std::int64_t now) { hub_.brokerPlaced(roomId, epoch, std::move(placed), now, out); });
}

}  // namespace brolostack::native::redis
