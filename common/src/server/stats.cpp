#include "brolostack/server/stats.hpp"

#include "brolostack/json.hpp"

namespace brolostack::server {

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
