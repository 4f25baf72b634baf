// The `redis` broker (BROKER=redis://...): performs the hub's broker
// requests (server/broker.hpp) with RoomStreams and a subscriber, on the
// server's event loop, and hands each answer and each fanned-out message
// back to the hub as a step of its own. Nothing here blocks the loop: a
// request made while Redis is away is answered `unavailable` at once.
//
// Two connections: commands (publish and read scripts) and the fan-out
// subscription. A room is read only once its channels are confirmed, so
// nothing published in between is missed; after the subscriber was away,
// the hub reads what every followed room missed (Hub::brokerResumed).
//
// Presence (room_presence.hpp): every kBeat this node renews its liveness
// key (it expires after kNodeTtl) and checks the nodes whose members it
// lists; the members of a node whose key expired leave every room here. A
// dead node's members are gone from other nodes' rooms within kNodeTtl +
// kBeat.
//
// ARGS sessions (session_leases.hpp): the lead of a session is taken for
// this node as the hub asks; nodes talk through an inbox channel each and
// one channel for session events, both subscribed at start.
#pragma once

#include "brolostack/server/hub.hpp"
#include "redis/redis_connection.hpp"
#include "redis/redis_scripts.hpp"
#include "redis/redis_subscriber.hpp"
#include "redis/room_presence.hpp"
#include "redis/room_streams.hpp"
#include "redis/redis_session_store.hpp"
#include "redis/session_leases.hpp"

#include <asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>

namespace brolostack::native::redis {

class RedisBroker {
public:
    static constexpr std::chrono::milliseconds kBeat{1000};
    static constexpr std::chrono::milliseconds kNodeTtl{5000};
    /// A room not loaded within this (subscribed, read, members read) fails
    /// to load: its joiners hear `unavailable`.
    static constexpr std::chrono::milliseconds kLoadDeadline{5000};

    /// Runs one hub step on the loop and performs what it produced.
    using Step = std::function<void(const std::function<void(server::Outbox&, std::int64_t now)>&)>;
    struct Bounds {
        std::size_t historySize = 1000;   // messages kept per room (HISTORY_SIZE)
        std::chrono::seconds roomTtl{0};  // an idle room's keys expire after this (0: never)
    };

    static std::variant<std::unique_ptr<RedisBroker>, std::string> open(asio::io_context& io, std::string_view url,
                                                                        server::Hub& hub, Step step, Bounds bounds,
                                                                        std::function<std::string()> newEpoch);
    RedisBroker(const RedisBroker&) = delete;
    RedisBroker& operator=(const RedisBroker&) = delete;

    void perform(const server::BrokerRequest& request);
    /// Keeps ARGS session records in Redis through `store` (the hub's store
    /// in cluster mode); `durable` runs when more of its changes are durable.
    void keepSessionRecords(RedisSessionStore& store, std::function<void()> durable);
    /// Both connections are up.
    bool up() const { return commands_->up() && fanOut_->up(); }
    /// Why it is not up ("" when it is).
    std::string lastError() const;
    /// Called with true when both connections are up, false when one of
    /// them goes down (once per change).
    void onStateChange(std::function<void(bool up)> listener);

private:
    RedisBroker(asio::io_context& io, server::Hub& hub, Step step, Bounds bounds);
    void watch(const std::string& room);
    /// Reads the room after `after` (with its members for a first load).
    void read(const std::string& room, std::uint64_t after, bool withMembers);
    void publish(const server::BrokerRequest& request);
    /// Reads the room and its members for the hub's `token` (BrokerRequest::Kind::Read).
    void readFor(std::uint64_t token, const std::string& room);
    void fannedOut(const RedisSubscriber::Message& message);
    void stateChanged();
    void loadMembers(const std::string& room, server::RoomSync sync);
    void presenceChanged(std::string_view room, const RedisSubscriber::Message& message);
    void leadSession(const std::string& session);
    void toNode(const server::BrokerRequest& request);
    /// Renews this node's liveness and checks the others', every kBeat.
    void beat();
    /// Renews this node's liveness key; when it had lapsed, lists this
    /// node's members again (Hub::brokerResumed).
    void renewLiveness();
    /// Runs `work` as a hub step from the loop (never inside perform()).
    void stepSoon(std::function<void(server::Outbox&, std::int64_t)> work);

    asio::io_context& io_;
    server::Hub& hub_;
    Step step_;
    Bounds bounds_;
    std::unique_ptr<RedisConnection> commands_;
    std::unique_ptr<RedisScripts> scripts_;
    std::unique_ptr<RoomStreams> rooms_;
    std::unique_ptr<RedisSubscriber> fanOut_;
    std::unique_ptr<RoomPresence> presence_;
    std::unique_ptr<SessionLeases> sessions_;
    std::string inbox_;          // this node's
    std::string sessionEvents_;
    asio::steady_timer beat_;
    std::map<std::string, std::uint64_t> loading_;  // rooms being loaded, by load number
    std::uint64_t lastLoad_ = 0;
    bool everAlive_ = false;  // the liveness key was set once
    std::function<void(bool)> onState_;
    bool reportedUp_ = false;
    std::shared_ptr<char> alive_ = std::make_shared<char>();  // posted steps hold a weak_ptr
};

}  // namespace brolostack::native::redis
