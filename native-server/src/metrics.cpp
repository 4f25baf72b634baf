#include "metrics.hpp"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <sstream>
#include <vector>

namespace brolostack::native {
namespace {

prometheus::MetricFamily family(const char* name, const char* help, prometheus::MetricType type, double value) {
    prometheus::MetricFamily f;
    f.name = name;
    f.help = help;
    f.type = type;
    prometheus::ClientMetric m;
    if (type == prometheus::MetricType::Counter) m.counter.value = value;
    else m.gauge.value = value;
    f.metric.push_back(m);
    return f;
}

}  // namespace

std::string renderMetrics(const server::Stats& s) {
    using prometheus::MetricType;
    auto d = [](auto v) { return static_cast<double>(v); };
    std::vector<prometheus::MetricFamily> families{
        family("brolostack_connected_clients", "Open WebSocket connections.", MetricType::Gauge, d(s.connectedClients)),
        family("brolostack_rooms", "Rooms held in memory.", MetricType::Gauge, d(s.rooms)),
        family("brolostack_active_sessions", "ARGS sessions.", MetricType::Gauge, d(s.activeSessions)),
        family("brolostack_agents", "Registered ARGS agents.", MetricType::Gauge, d(s.totalAgents)),
        family("brolostack_active_streams", "Open ARGS streams.", MetricType::Gauge, d(s.activeStreams)),
        family("brolostack_tasks_total", "ARGS tasks started.", MetricType::Counter, d(s.totalTasks)),
        family("brolostack_tasks_completed_total", "ARGS tasks completed.", MetricType::Counter, d(s.completedTasks)),
        family("brolostack_messages_in_total", "Frames received from clients.", MetricType::Counter, d(s.messagesIn)),
        family("brolostack_messages_out_total", "Frames sent to clients.", MetricType::Counter, d(s.messagesOut)),
        family("brolostack_bytes_in_total", "Bytes received in frames.", MetricType::Counter, d(s.bytesIn)),
        family("brolostack_bytes_out_total", "Bytes sent in frames.", MetricType::Counter, d(s.bytesOut)),
        family("brolostack_dropped_messages_total", "Frames not delivered to closing connections.",
               MetricType::Counter, d(s.droppedMessages)),
        family("brolostack_slow_consumer_disconnects_total", "Connections closed with 4090.", MetricType::Counter,
               d(s.slowConsumerDisconnects)),
        family("brolostack_inbound_pauses_total", "Times a connection was read from more slowly (INBOUND_BYTES_PER_SECOND).",
               MetricType::Counter, d(s.inboundPauses)),
        family("brolostack_protocol_errors_total", "bad_request and unknown_op answers.", MetricType::Counter,
               d(s.protocolErrors)),
        family("brolostack_rejected_connections_total", "Upgrade requests refused.", MetricType::Counter,
               d(s.rejectedConnections)),
        family("brolostack_history_bytes", "Message bytes held in room history.", MetricType::Gauge, d(s.historyBytes)),
        family("brolostack_history_evictions_total", "Messages dropped from history to stay within MEMORY_LIMIT_BYTES.",
               MetricType::Counter, d(s.historyEvictions)),
        family("brolostack_uptime_seconds", "Seconds since start.", MetricType::Gauge, d(s.uptime) / 1000.0),
    };
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    return out.str();
}

}  // namespace brolostack::native
