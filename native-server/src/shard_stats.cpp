#include "shard_stats.hpp"

namespace brolostack::native {

void ShardStats::post(std::size_t shard, server::Stats counts) {
    std::lock_guard<std::mutex> lock(mutex_);
    last_.at(shard) = std::move(counts);
}

server::Stats ShardStats::total(std::size_t shard, server::Stats own) const {
    std::lock_guard<std::mutex> lock(mutex_);
    for (std::size_t i = 0; i < last_.size(); ++i)
        if (i != shard) server::addStats(own, last_[i]);
    return own;
}

}  // namespace brolostack::native
