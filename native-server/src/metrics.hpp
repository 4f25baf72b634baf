// GET /metrics in Prometheus' text format: the core's counters (server::Stats),
// what the I/O layer measures (latency histograms, closes by code) in a
// prometheus-cpp registry, brolostack_build_info and the process's own
// figures (CPU, memory, file descriptors).
#pragma once

#include "brolostack/server/stats.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <mutex>
#include <string>

namespace brolostack::native {

class ServerMetrics {
public:
    explicit ServerMetrics(const std::string& version);

    /// From a publish frame read to its deliveries handed to the sockets
    /// (the wait for the store included).
    void publishDelivered(double seconds);
    /// From an HTTP request read to its answer handed to the socket.
    void httpAnswered(double seconds);
    /// From a webhook call made to its answer (or failure).
    void webhookAnswered(double seconds);
    /// A WebSocket connection ended with `code`.
    void connectionClosed(int code);
    /// Shard `shard` of this process (SHARDS > 1) has `open` connections.
    void shardConnections(std::size_t shard, std::uint64_t open);

    /// Everything, with `stats` (the core's counters) as of now.
    std::string render(const server::Stats& stats) const;

private:
    std::shared_ptr<prometheus::Registry> registry_;
    prometheus::Histogram& publishDelivery_;
    prometheus::Histogram& httpRequests_;
    prometheus::Histogram& webhookCalls_;
    prometheus::Family<prometheus::Counter>& closes_;
    std::once_flag shardsRegistered_;
    prometheus::Family<prometheus::Gauge>* shardConnections_ = nullptr;
};

}  // namespace brolostack::native
