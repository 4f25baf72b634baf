#include "shard_group.hpp"

#include "shard_links.hpp"

#include <sched.h>

#include <algorithm>
#include <thread>

namespace brolostack::native {
namespace {

std::size_t usableCores() {
    // The affinity mask, not the machine's count: a container or taskset
    // may give this process fewer cores than the machine has.
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) return static_cast<std::size_t>(std::max(1, CPU_COUNT(&set)));
    return std::max(1u, std::thread::hardware_concurrency());
}

/// A share of a process-wide limit (0: none), rounded up.
template <class Int>
Int shareOf(Int limit, std::size_t shards) {
    return static_cast<Int>((limit + shards - 1) / shards);
}

}  // namespace

std::size_t ShardGroup::shardsFor(const config::Settings& settings) {
    return settings.shards == 0 ? usableCores() : settings.shards;
}

ShardGroup::ShardGroup(const config::Settings& settings) : settings_(settings) {
    const std::size_t count = shardsFor(settings);
    if (count == 1) {
        config::Settings one = settings;
        one.shards = 1;
        shards_.push_back(std::make_unique<WSMultiagent>(one));
        return;
    }
    for (std::size_t i = 0; i < count; ++i) {
        config::Settings share = settings;
        share.shards = count;
        if (settings.broker == "local") share.broker = config::kInProcessBroker;
        // Connections spread evenly over the shards, so each admits its share
        // of the process's limits (a client's connections come from different
        // ports and so land on different shards).
        share.maxConnections = std::max<std::size_t>(1, shareOf(settings.maxConnections, count));
        share.connectionRatePerIp = shareOf(settings.connectionRatePerIp, count);
        // Each shard holds its own copy of the rooms its members joined: the
        // process's history budget is shared out too.
        share.memoryLimitBytes = shareOf(settings.memoryLimitBytes, count);
        shards_.push_back(std::make_unique<WSMultiagent>(share));
    }
}

std::optional<std::string> ShardGroup::initialize() {
    if (shards_.size() > 1) {
        ShardLinks links{0, std::make_shared<ServerMetrics>(BROLOSTACK_VERSION), std::make_shared<ShardStats>(shards_.size()), nullptr};
        if (settings_.broker == "local") {
            // Without Redis the shards meet through a broker in this process, which keeps the store.
            auto opened = ShardBroker::open(settings_, shards_.size());
            if (auto* error = std::get_if<std::string>(&opened)) return *error;
            links.broker = std::move(std::get<std::unique_ptr<ShardBroker>>(opened));
        }
        for (std::size_t i = 0; i < shards_.size(); ++i) {
            links.index = i;
            shards_[i]->becomeShard(links);
        }
    }
    for (auto& shard : shards_)
        if (auto error = shard->initialize()) return error;
    return std::nullopt;
}

std::optional<std::string> ShardGroup::listen(std::uint16_t port, const std::string& host) {
    // The first shard settles the port (PORT=0 picks one); the others join it.
    if (auto error = shards_.front()->listen(port, host)) return error;
    for (std::size_t i = 1; i < shards_.size(); ++i)
        if (auto error = shards_[i]->listen(shards_.front()->port(), host)) return error;
    return std::nullopt;
}

void ShardGroup::run() {
    auto serve = [this](WSMultiagent& shard) {
        shard.run();
        for (auto& other : shards_) other->shutdown();  // one stopped: the process stops
    };
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < shards_.size(); ++i) threads.emplace_back(serve, std::ref(*shards_[i]));
    serve(*shards_.front());
    for (auto& thread : threads) thread.join();
}

std::optional<std::string> ShardGroup::failure() const {
    for (const auto& shard : shards_)
        if (auto failure = shard->failure()) return failure;
    return std::nullopt;
}

}  // namespace brolostack::native
