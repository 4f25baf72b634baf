// The broker of one brolostack-server's shards when there is no Redis
// (SHARDS > 1, BROKER=local): server::InProcessBroker behind one lock, with
// the store a one-shard server would use (STORE, DATA_DIR). A shard's broker
// requests are performed on its own thread; what the broker owes each shard
// is posted to that shard's loop, in the broker's order, once the store has
// made durable every change made before it (as one shard holds its own
// frames, durable_gate.hpp).
#pragma once

#include "brolostack/config/settings.hpp"
#include "brolostack/server/in_process_broker.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace brolostack::native {

class ShardBroker {
public:
    /// Runs a hub step on one shard's loop (called from any thread, never waits).
    using Runner = std::function<void(std::function<void(server::Hub&, std::int64_t, server::Outbox&)>)>;

    /// Opens the store (STORE, DATA_DIR) and starts from what it kept.
    static std::variant<std::unique_ptr<ShardBroker>, std::string> open(const config::Settings& settings,
                                                                        std::size_t shards);
    ~ShardBroker();
    ShardBroker(const ShardBroker&) = delete;
    ShardBroker& operator=(const ShardBroker&) = delete;

    /// Shard `shard` is the hub `nodeId`; `run` reaches its loop and
    /// `progressed` tells it the store made more durable (or failed).
    void join(std::size_t shard, std::string nodeId, Runner run, std::function<void()> progressed);
    /// The shard stops: nothing is posted to it any more.
    void leave(std::size_t shard);

    void perform(std::size_t shard, const server::BrokerRequest& request);
    std::uint64_t saveRecords(std::size_t shard, std::vector<server::RecordChange> changes);
    /// The store's durable sequence number (what shards' ShardRecords wait for).
    std::uint64_t durableChange() const;
    std::optional<std::string> failure() const;
    /// Forgets idle rooms and expired mids (called every second by one shard).
    void expire();

private:
    ShardBroker(std::unique_ptr<store::Store> store, server::InProcessBroker::Bounds bounds, std::size_t shards);
    /// More of the store is durable (the store's writer thread, or after a change here).
    void progressed();
    /// Posts the held deliveries the store has made durable; under the lock.
    void releaseDurable();

    struct Shard {
        std::size_t node = 0;  // in the InProcessBroker
        Runner run;
        std::function<void()> progressed;
    };

    mutable std::mutex mutex_;
    std::unique_ptr<store::Store> store_;  // outlives broker_, which writes to it
    std::unique_ptr<server::InProcessBroker> broker_;
    std::vector<Shard> shards_;  // by shard index
    std::vector<std::size_t> shardOfNode_;  // the InProcessBroker's node numbers -> shard index
    std::deque<std::pair<std::uint64_t, server::BrokerDelivery>> held_;  // until the store's durable change reaches it
};

}  // namespace brolostack::native
