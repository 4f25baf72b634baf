#include "redis/redis_broker.hpp"

#include "brolostack/protocol/codes.hpp"

namespace brolostack::native::redis {

namespace {

protocol::Error unavailable(const RedisError& error) {
    // Redis's own words stay in the server's log; the client hears only that
    // the broker is away (or, for a reply error, that the server failed).
    if (error.unavailable()) return server::brokerUnreachable();
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
    broker->presence_ = std::make_unique<RoomPresence>(*broker->commands_, *broker->scripts_);
    broker->sessions_ = std::make_unique<SessionLeases>(*broker->commands_, *broker->scripts_);

    RedisBroker* self = broker.get();
    self->fanOut_->onMessage([self](const RedisSubscriber::Message& m) { self->fannedOut(m); });
    self->fanOut_->onResubscribed([self] {
        self->step_([self](server::Outbox& out, std::int64_t) { self->hub_.brokerResumed(out); });
    });
    self->inbox_ = self->sessions_->inbox(hub.nodeId());
    self->sessionEvents_ = self->sessions_->eventsChannel();
    self->fanOut_->subscribe(self->inbox_);
    self->fanOut_->subscribe(self->sessionEvents_);
    self->commands_->onStateChange([self](bool) { self->stateChanged(); });
    self->fanOut_->onStateChange([self](bool) { self->stateChanged(); });
    self->beat();
    return broker;
}

void RedisBroker::onStateChange(std::function<void(bool up)> listener) { onState_ = std::move(listener); }

void RedisBroker::stateChanged() {
    if (commands_->up()) renewLiveness();
    bool now = up();
    if (now == reportedUp_) return;
    reportedUp_ = now;
    if (onState_) onState_(now);
}

RedisBroker::RedisBroker(asio::io_context& io, server::Hub& hub, Step step, Bounds bounds)
    : io_(io), hub_(hub), step_(std::move(step)), bounds_(bounds), beat_(io) {}

void RedisBroker::renewLiveness() {
    presence_->alive(hub_.nodeId(), kNodeTtl, [weak = std::weak_ptr<char>(alive_), this](RedisResult<bool> wasAlive) {
        if (!weak.lock() || !wasAlive.ok()) return;
        bool lapsed = everAlive_ && !wasAlive.value();
        everAlive_ = true;
        // Other nodes may have taken this one for dead and dropped its
        // members: list them again (and read what rooms missed meanwhile).
        if (lapsed) step_([this](server::Outbox& out, std::int64_t) { hub_.brokerResumed(out); });
    });
}

void RedisBroker::beat() {
    if (commands_->up()) {
        renewLiveness();
        for (const auto& node : hub_.remoteNodes()) {
            presence_->isAlive(node, [weak = std::weak_ptr<char>(alive_), this, node](RedisResult<bool> alive) {
                if (!weak.lock() || !alive.ok() || alive.value()) return;
                step_([&](server::Outbox& out, std::int64_t now) { hub_.brokerNodeGone(node, now, out); });
            });
        }
    }
    beat_.expires_after(kBeat);
    beat_.async_wait([weak = std::weak_ptr<char>(alive_), this](const std::error_code& ec) {
        if (!ec && weak.lock()) beat();
    });
}

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
        fanOut_->unsubscribe(presence_->channel(request.room));
        return;
    case server::BrokerRequest::Kind::MemberJoined:
        // Alive before any node hears of the member (one connection: in order),
        // so no node takes a member of a node just started for a dead one's.
        renewLiveness();
        presence_->joined(request.room, request.memberKey, request.memberJson, [](RedisResult<bool>) {});
        return;
    case server::BrokerRequest::Kind::MemberLeft: {
        std::optional<std::string> deadNode;
        if (request.onlyIfNodeDead) deadNode = std::string(server::nodeOfMemberKey(request.memberKey));
        presence_->left(request.room, request.memberKey, deadNode, [](RedisResult<bool>) {});
        return;
    }
    case server::BrokerRequest::Kind::MembersReset: {
        std::vector<RoomMember> members;
        for (const auto& m : request.members) members.push_back({m.key, m.json});
        presence_->reset(request.room, hub_.nodeId(), members, [](RedisResult<bool>) {});
        return;
    }
    case server::BrokerRequest::Kind::CatchUp:
        read(request.room, request.after, false);
        return;
    case server::BrokerRequest::Kind::Publish:
        publish(request);
        return;
    case server::BrokerRequest::Kind::LeadSession:
        leadSession(request.session);
        return;
    case server::BrokerRequest::Kind::ToNode:
        toNode(request);
        return;
    case server::BrokerRequest::Kind::ToEveryNode:
        commands_->command({"PUBLISH", sessionEvents_, request.payload}, [](RedisReply) {});
        return;
    case server::BrokerRequest::Kind::Read:
        readFor(request.token, request.room);
        return;
    case server::BrokerRequest::Kind::ListSessions:
        sessions_->list([weak = std::weak_ptr<char>(alive_), this, token = request.token](
                            RedisResult<std::vector<std::string>> listed) {
            if (!weak.lock()) return;
            std::variant<std::vector<std::string>, protocol::Error> answer;
            if (listed.ok()) answer = listed.value();
            else answer = unavailable(listed.error());
            step_([&](server::Outbox&, std::int64_t) { hub_.brokerSessionsListed(token, answer); });
        });
        return;
    }
}

void RedisBroker::readFor(std::uint64_t token, const std::string& room) {
    auto answer = [weak = std::weak_ptr<char>(alive_), this, token](std::variant<server::RoomSync, protocol::Error> result) {
        if (!weak.lock()) return;
        step_([&](server::Outbox&, std::int64_t) { hub_.brokerRead(token, result); });
    };
    rooms_->readRoomSince(room, 0, bounds_.historySize, bounds_.roomTtl, [this, room, answer](RedisResult<RoomHistory> read) {
        if (!read.ok()) return answer(unavailable(read.error()));
        server::RoomSync sync{std::move(read.value().epoch), read.value().lastOffset, {}, {}};
        for (auto& m : read.value().messages) sync.messages.push_back({m.offset, std::move(m.json), std::move(m.origin)});
        presence_->members(room, [answer, sync = std::move(sync)](RedisResult<std::vector<RoomMember>> members) mutable {
            if (!members.ok()) return answer(unavailable(members.error()));
            for (auto& m : members.value()) sync.members.push_back({std::move(m.key), std::move(m.json)});
            answer(std::move(sync));
        });
    });
}

void RedisBroker::leadSession(const std::string& session) {
    // Alive before the lease names this node, so no node takes it for a dead one's.
    renewLiveness();
    sessions_->lead(session, hub_.nodeId(),
                    [weak = std::weak_ptr<char>(alive_), this, session](RedisResult<SessionLeaseAnswer> result) {
                        if (!weak.lock()) return;
                        std::variant<server::SessionLead, protocol::Error> answer;
                        if (result.ok())
                            answer = server::SessionLead{std::move(result.value().leader), std::move(result.value().records)};
                        else
                            answer = unavailable(result.error());
                        step_([&](server::Outbox& out, std::int64_t now) {
                            hub_.brokerSessionLed(session, std::move(answer), now, out);
                        });
                    });
}

void RedisBroker::toNode(const server::BrokerRequest& request) {
    commands_->command({"PUBLISH", sessions_->inbox(request.node), request.payload},
                       [weak = std::weak_ptr<char>(alive_), this, node = request.node, token = request.token](RedisReply reply) {
                           if (!weak.lock() || token == 0) return;
                           // PUBLISH answers how many subscribers heard it: none
                           // means the node is gone (or its subscriber is away).
                           if (!reply.isError() && reply.integer() > 0) return;
                           step_([&](server::Outbox& out, std::int64_t now) { hub_.brokerUndelivered(node, token, now, out); });
                       });
}

void RedisBroker::keepSessionRecords(RedisSessionStore& store, std::function<void()> durable) {
    RedisSessionStore::Hooks hooks;
    hooks.save = [this](const std::string& session, const std::vector<RecordChange>& changes,
                        std::function<void(RedisResult<bool>)> done) {
        sessions_->save(session, hub_.nodeId(), changes, std::move(done));
    };
    hooks.durable = std::move(durable);
    hooks.lost = [weak = std::weak_ptr<char>(alive_), this](const std::string& session) {
        if (!weak.lock()) return;
        stepSoon([this, session](server::Outbox& out, std::int64_t now) { hub_.brokerSessionLost(session, now, out); });
    };
    store.attach(std::move(hooks));
    commands_->onConnect([weak = std::weak_ptr<char>(alive_), &store] {
        if (weak.lock()) store.flush();
    });
}

void RedisBroker::watch(const std::string& room) {
    if (!fanOut_->up()) {
        // The subscription would wait for Redis; the joiner should not.
        stepSoon([this, room](server::Outbox& out, std::int64_t now) { hub_.brokerSyncFailed(room, now, out); });
        return;
    }
    // Read once both subscriptions are confirmed (in the order asked):
    // whatever is published from then on arrives on the channels,
    // everything before is in the reads.
    fanOut_->subscribe(presence_->channel(room));
    std::uint64_t load = ++lastLoad_;
    loading_[room] = load;
    fanOut_->subscribe(rooms_->channel(room), [weak = std::weak_ptr<char>(alive_), this, room] {
        if (weak.lock()) read(room, 0, true);
    });
    // A subscriber that stopped hearing from Redis would leave the joiner
    // waiting: past the deadline the load fails (a late answer is ignored).
    auto deadline = std::make_shared<asio::steady_timer>(io_, kLoadDeadline);
    deadline->async_wait([weak = std::weak_ptr<char>(alive_), this, room, load, deadline](const std::error_code& ec) {
        if (ec || !weak.lock()) return;
        auto it = loading_.find(room);
        if (it == loading_.end() || it->second != load) return;
        loading_.erase(it);
        step_([&](server::Outbox& out, std::int64_t now) { hub_.brokerSyncFailed(room, now, out); });
    });
}

void RedisBroker::read(const std::string& room, std::uint64_t after, bool withMembers) {
    rooms_->readRoomSince(
        room, after, bounds_.historySize, bounds_.roomTtl,
        [weak = std::weak_ptr<char>(alive_), this, room, withMembers](RedisResult<RoomHistory> result) {
            if (!weak.lock()) return;
            if (withMembers && !loading_.count(room)) return;  // past its deadline: answered already
            if (!result.ok()) {
                if (withMembers) loading_.erase(room);
                step_([&](server::Outbox& out, std::int64_t now) { hub_.brokerSyncFailed(room, now, out); });
                return;
            }
            RoomHistory& history = result.value();
            server::RoomSync sync{std::move(history.epoch), history.lastOffset, {}, {}};
            sync.messages.reserve(history.messages.size());
            for (auto& m : history.messages)
                sync.messages.push_back({m.offset, std::move(m.json), std::move(m.origin)});
            if (withMembers) return loadMembers(room, std::move(sync));
            step_([&](server::Outbox& out, std::int64_t now) { hub_.brokerSynced(room, std::move(sync), now, out); });
        });
}

void RedisBroker::loadMembers(const std::string& room, server::RoomSync sync) {
    presence_->members(room, [weak = std::weak_ptr<char>(alive_), this, room,
                              sync = std::move(sync)](RedisResult<std::vector<RoomMember>> members) mutable {
        if (!weak.lock()) return;
        if (loading_.erase(room) == 0) return;  // past its deadline: answered already
        if (!members.ok()) {
            step_([&](server::Outbox& out, std::int64_t now) { hub_.brokerSyncFailed(room, now, out); });
            return;
        }
        for (auto& m : members.value()) sync.members.push_back({std::move(m.key), std::move(m.json)});
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
    if (message.channel == sessionEvents_) {
        step_([&](server::Outbox& out, std::int64_t now) { hub_.brokerSessionEvent(message.payload, now, out); });
        return;
    }
    if (message.channel == inbox_) {
        step_([&](server::Outbox& out, std::int64_t now) { hub_.brokerFromNode(message.payload, now, out); });
        return;
    }
    if (auto presenceRoom = presence_->roomOfChannel(message.channel)) return presenceChanged(*presenceRoom, message);
    auto room = rooms_->roomOfChannel(message.channel);
    auto publication = RoomStreams::parsePublication(message.payload);
    if (!room || !publication) return;  // not ours
    std::string roomId(*room);
    server::PlacedMessage placed{publication->offset, std::string(publication->json), std::string(publication->origin)};
    std::string_view epoch = publication->epoch;
    step_([&](server::Outbox& out, std::int64_t now) { hub_.brokerPlaced(roomId, epoch, std::move(placed), now, out); });
}

void RedisBroker::presenceChanged(std::string_view room, const RedisSubscriber::Message& message) {
    auto change = RoomPresence::parse(message.payload);
    if (!change) return;
    std::string roomId(room), key(change->key);
    step_([&](server::Outbox& out, std::int64_t) { hub_.brokerPresence(roomId, key, change->joined, change->json, out); });
}

}  // namespace brolostack::native::redis
