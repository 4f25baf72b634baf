#include "brolostack/server/stats.hpp"

#include "brolostack/json.hpp"

#include <algorithm>

namespace brolostack::server {

void addStats(Stats& into, const Stats& other) {
    // Both averages are over completed tasks; weigh each side by its count.
    double completed = static_cast<double>(into.completedTasks + other.completedTasks);
    if (completed > 0)
        into.avgExecutionTime = (into.avgExecutionTime * static_cast<double>(into.completedTasks) +
                                 other.avgExecutionTime * static_cast<double>(other.completedTasks)) / completed;
    for (std::uint64_t Stats::*field : {&Stats::activeSessions, &Stats::connectedClients, &Stats::totalAgents, &Stats::activeStreams,
                        &Stats::totalTasks, &Stats::completedTasks, &Stats::failedTasks, &Stats::rooms,
                        &Stats::messagesIn, &Stats::messagesOut, &Stats::bytesIn, &Stats::bytesOut,
                        &Stats::droppedMessages, &Stats::slowConsumerDisconnects, &Stats::inboundPauses,
                        &Stats::protocolErrors, &Stats::rejectedConnections, &Stats::historyBytes,
                        &Stats::historyEvictions})
        into.*field += other.*field;
    std::uint64_t finished = into.completedTasks + into.failedTasks;
    into.errorRate = finished ? 100.0 * static_cast<double>(into.failedTasks) / static_cast<double>(finished) : 0.0;
    into.uptime = std::max(into.uptime, other.uptime);
    for (const auto& [code, count] : other.errorsByCode) into.errorsByCode[code] += count;
    for (std::size_t i = 0; i < into.taskDurations.inBucket.size(); ++i)
        into.taskDurations.inBucket[i] += other.taskDurations.inBucket[i];
    into.taskDurations.count += other.taskDurations.count;
    into.taskDurations.sumMs += other.taskDurations.sumMs;
}

std::string statsToJson(const Stats& s) {
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    auto u = [&](const char* key, std::uint64_t v) {
        json::writeKey(w, key);
        w.Uint64(v);
    };
    w.StartObject();
    json::writeKey(w, "environment");
    json::writeString(w, s.environment);
    u("activeSessions", s.activeSessions);
    u("connectedClients", s.connectedClients);
    u("totalAgents", s.totalAgents);
    u("activeStreams", s.activeStreams);
    u("totalTasks", s.totalTasks);
    u("completedTasks", s.completedTasks);
    json::writeKey(w, "errorRate");
    w.Double(s.errorRate);
    json::writeKey(w, "avgExecutionTime");
    w.Double(s.avgExecutionTime);
    json::writeKey(w, "uptime");
    w.Int64(s.uptime);
    u("rooms", s.rooms);
    u("messagesIn", s.messagesIn);
    u("messagesOut", s.messagesOut);
    u("bytesIn", s.bytesIn);
    u("bytesOut", s.bytesOut);
    u("droppedMessages", s.droppedMessages);
    u("slowConsumerDisconnects", s.slowConsumerDisconnects);
    u("inboundPauses", s.inboundPauses);
    u("protocolErrors", s.protocolErrors);
    u("rejectedConnections", s.rejectedConnections);
    u("historyBytes", s.historyBytes);
    u("historyEvictions", s.historyEvictions);
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace brolostack::server
