// Server counters (PROTOCOL.md section 10).
#pragma once

#include "brolostack/duration_histogram.hpp"

#include <cstdint>
#include <map>
#include <string>

namespace brolostack::server {

struct Stats {
    std::string environment;
    std::uint64_t activeSessions = 0;
    std::uint64_t connectedClients = 0;
    std::uint64_t totalAgents = 0;
    std::uint64_t activeStreams = 0;
    std::uint64_t totalTasks = 0;
    std::uint64_t completedTasks = 0;
    std::uint64_t failedTasks = 0;  // failed for good (errorRate's numerator; not in the JSON)
    double errorRate = 0;          // failed tasks, percent of finished ones
    double avgExecutionTime = 0;   // ms
    std::int64_t uptime = 0;       // ms
    std::uint64_t rooms = 0;
    std::uint64_t messagesIn = 0;
    std::uint64_t messagesOut = 0;
    std::uint64_t bytesIn = 0;
    std::uint64_t bytesOut = 0;
    std::uint64_t droppedMessages = 0;
    std::uint64_t slowConsumerDisconnects = 0;
    std::uint64_t inboundPauses = 0;     // times a connection was read from more slowly (INBOUND_BYTES_PER_SECOND)
    std::uint64_t protocolErrors = 0;
    std::uint64_t rejectedConnections = 0;
    std::uint64_t historyBytes = 0;      // message bytes held in room history
    std::uint64_t historyEvictions = 0;  // messages dropped from history for MEMORY_LIMIT_BYTES
    std::map<std::string, std::uint64_t> errorsByCode;  // error answers to clients, by protocol error code
    DurationHistogram taskDurations;                    // how long completed ARGS tasks took
};

/// Adds `other`'s counts to `into` (one process's shards): counters and
/// gauges sum, rates are weighted again, uptime is the longer one.
void addStats(Stats& into, const Stats& other);

/// The stats as the JSON object of GET /api/v1/stats.
std::string statsToJson(const Stats& s);

}  // namespace brolostack::server
