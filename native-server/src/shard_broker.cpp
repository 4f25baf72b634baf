#include "shard_broker.hpp"

#include "brolostack/store/memory_store.hpp"
#include "random_ids.hpp"
#include "sqlite_store.hpp"
#include "wall_clock.hpp"


namespace brolostack::native {

std::variant<std::unique_ptr<ShardBroker>, std::string> ShardBroker::open(const config::Settings& settings,
                                                                          std::size_t shards) {
    std::unique_ptr<store::Store> store;
    SqliteStore* sqlite = nullptr;
    if (settings.store == "sqlite") {
        auto opened = SqliteStore::open(settings.dataDir, settings.maxRememberedMids);
        if (auto* error = std::get_if<std::string>(&opened)) return *error;
        sqlite = std::get<std::unique_ptr<SqliteStore>>(opened).get();
        store = std::move(std::get<std::unique_ptr<SqliteStore>>(opened));
    } else {
        store = std::make_unique<store::MemoryStore>(settings.maxRememberedMids);
    }
    server::InProcessBroker::Bounds bounds;
    bounds.historySize = settings.historySize;
    // A room's history outlives its last member by its TTL or the empty-room
    // grace, as the room itself does on one shard.
    bounds.idleRoomTtlMs = std::max(settings.historyTtlMs, settings.emptyRoomTtlMs);
    bounds.maxMids = settings.maxRememberedMids;
    std::unique_ptr<ShardBroker> broker(new ShardBroker(std::move(store), bounds, shards));
    if (sqlite) sqlite->onProgress([b = broker.get()] { b->progressed(); });
    return broker;
}

ShardBroker::ShardBroker(std::unique_ptr<store::Store> store, server::InProcessBroker::Bounds bounds, std::size_t shards)
    : store_(std::move(store)),
      broker_(std::make_unique<server::InProcessBroker>(bounds, *store_, [] { return randomHex(8); })),
      shards_(shards) {}

ShardBroker::~ShardBroker() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        shards_.clear();
        held_.clear();
    }
    // The store's writer commits what is queued and may report it once more: here, to no shard.
    store_.reset();
}

void ShardBroker::join(std::size_t shard, std::string nodeId, Runner run, std::function<void()> progressed) {
    std::lock_guard<std::mutex> lock(mutex_);
    Shard& s = shards_.at(shard);
    s.node = broker_->addNode(std::move(nodeId));
    if (shardOfNode_.size() <= s.node) shardOfNode_.resize(s.node + 1);
    shardOfNode_[s.node] = shard;
    s.run = std::move(run);
    s.progressed = std::move(progressed);
}

void ShardBroker::leave(std::size_t shard) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shard < shards_.size()) shards_[shard] = Shard{shards_[shard].node, {}, {}};
}

void ShardBroker::perform(std::size_t shard, const server::BrokerRequest& request) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto deliveries = broker_->perform(shards_.at(shard).node, request, nowMs());
    const std::uint64_t after = store_->lastChange();
    for (auto& delivery : deliveries) held_.emplace_back(after, std::move(delivery));
    releaseDurable();
}

std::uint64_t ShardBroker::saveRecords(std::size_t shard, std::vector<server::RecordChange> changes) {
    std::lock_guard<std::mutex> lock(mutex_);
    return broker_->saveRecords(shards_.at(shard).node, changes);
}

std::uint64_t ShardBroker::durableChange() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return store_->durableChange();
}

std::optional<std::string> ShardBroker::failure() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return store_->failure();
}

void ShardBroker::expire() {
    std::lock_guard<std::mutex> lock(mutex_);
    broker_->expire(nowMs());
}

void ShardBroker::releaseDurable() {
    const std::uint64_t durable = store_->durableChange();
    while (!held_.empty() && held_.front().first <= durable) {
        server::BrokerDelivery delivery = std::move(held_.front().second);
        held_.pop_front();
        // Posted under the lock: each shard's loop gets its steps in the broker's order.
        const Shard& s = shards_[shardOfNode_.at(delivery.node)];
        if (s.run) s.run(std::move(delivery.step));
    }
}

void ShardBroker::progressed() {
    std::vector<std::function<void()>> tell;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        releaseDurable();
        for (const Shard& s : shards_)
            if (s.progressed) tell.push_back(s.progressed);
    }
    for (auto& progressed : tell) progressed();
}

}  // namespace brolostack::native
