// One server's shards (SHARDS > 1) each count their own connections, rooms
// and tasks. Each posts its counts here every second, so whichever shard
// answers /metrics or /api/v1/stats reports the whole process: its own
// counts as of now plus the others' as of their last post.
#pragma once

#include "brolostack/server/stats.hpp"

#include <chrono>
#include <cstddef>
#include <mutex>
#include <vector>

namespace brolostack::native {

class ShardStats {
public:
    /// How often each shard posts its counts.
    static constexpr std::chrono::milliseconds kPostEvery{1000};

    explicit ShardStats(std::size_t shards) : last_(shards) {}

    void post(std::size_t shard, server::Stats counts);
    /// `own` (shard `shard`'s counts now) with every other shard's last post.
    server::Stats total(std::size_t shard, server::Stats own) const;

private:
    mutable std::mutex mutex_;
    std::vector<server::Stats> last_;
};

}  // namespace brolostack::native
