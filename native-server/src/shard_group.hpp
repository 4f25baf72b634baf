// brolostack-server's shards (SHARDS; DESIGN.md, "Concurrency"): one
// WSMultiagent per shard, each with its own hub and event loop on a thread
// of its own, all listening on one port (SO_REUSEPORT lets the kernel spread
// new connections over them). Shards share no state: they meet through the
// broker like the nodes of a cluster, and share one metrics registry and a
// board of counts so any of them reports for the whole process.
#pragma once

#include "brolostack/config/settings.hpp"
#include "brolostack/ws_multiagent.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace brolostack::native {

class ShardGroup {
public:
    /// SHARDS=auto (0): one shard per core this process may run on.
    static std::size_t shardsFor(const config::Settings& settings);

    explicit ShardGroup(const config::Settings& settings);

    std::size_t size() const { return shards_.size(); }
    std::optional<std::string> initialize();
    std::optional<std::string> listen(std::uint16_t port, const std::string& host);
    std::uint16_t port() const { return shards_.front()->port(); }
    /// Serves until every shard has stopped: SIGINT and SIGTERM drain them
    /// all, and one that stops on its own (its store failed) stops the rest.
    void run();
    /// Why a shard stopped on its own, if one did.
    std::optional<std::string> failure() const;

private:
    config::Settings settings_;
    std::vector<std::unique_ptr<WSMultiagent>> shards_;
};

}  // namespace brolostack::native
