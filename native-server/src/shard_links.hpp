// What one shard of brolostack-server shares with the others (SHARDS > 1):
// one metrics registry, one board of counts, its place among them and,
// without Redis, the in-process broker they meet through.
#pragma once

#include "metrics.hpp"
#include "shard_broker.hpp"
#include "shard_stats.hpp"

#include <cstddef>
#include <memory>

namespace brolostack::native {

struct ShardLinks {
    std::size_t index = 0;
    std::shared_ptr<ServerMetrics> metrics;
    std::shared_ptr<ShardStats> counts;
    std::shared_ptr<ShardBroker> broker;  // BROKER=local; none with Redis
};

}  // namespace brolostack::native
