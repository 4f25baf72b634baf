#include "metrics.hpp"

#include <prometheus/gauge.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <limits>
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

// Latency buckets in seconds: 100 us to 10 s.
const prometheus::Histogram::BucketBoundaries kLatencyBuckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                              0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5,
                                                              5,      10};

/// The process's own figures, the names Prometheus' client libraries use.
/// prometheus-cpp has no process collector, so they are read from /proc here.
std::vector<prometheus::MetricFamily> processFamilies() {
    using prometheus::MetricType;
    std::vector<prometheus::MetricFamily> out;
    std::ifstream statFile("/proc/self/stat");
    std::string stat((std::istreambuf_iterator<char>(statFile)), std::istreambuf_iterator<char>());
    auto close = stat.rfind(')');
    if (close != std::string::npos) {
        std::istringstream fields(stat.substr(close + 2));
        std::vector<std::string> f;
        for (std::string x; fields >> x;) f.push_back(x);
        // Fields from the third on (state is f[0]): utime 14, stime 15, starttime 22, vsize 23, rss 24.
        if (f.size() > 22) {
            const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
            const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
            double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
            double bootTime = 0;
            std::ifstream procStat("/proc/stat");
            for (std::string line; std::getline(procStat, line);)
                if (line.rfind("btime ", 0) == 0) bootTime = std::stod(line.substr(6));
            out.push_back(family("process_cpu_seconds_total", "User and system CPU time spent, in seconds.",
                                 MetricType::Counter, cpu));
            out.push_back(family("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.",
                                 MetricType::Gauge, bootTime + std::stod(f[19]) / ticks));
            out.push_back(family("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge,
                                 std::stod(f[20])));
            out.push_back(family("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge,
                                 std::stod(f[21]) * page));
        }
    }
    double fds = 0;
    if (DIR* dir = opendir("/proc/self/fd")) {
        while (const dirent* entry = readdir(dir))
            if (entry->d_name[0] != '.') fds += 1;
        closedir(dir);
        fds -= 1;  // the directory being read
    }
    out.push_back(family("process_open_fds", "Open file descriptors.", MetricType::Gauge, fds));
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0)
        out.push_back(family("process_max_fds", "Most file descriptors the process may open.", MetricType::Gauge,
                             static_cast<double>(limit.rlim_cur)));
    return out;
}

/// The core's counters as Prometheus families.
std::vector<prometheus::MetricFamily> statsFamilies(const server::Stats& s) {
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
    prometheus::MetricFamily errors;
    errors.name = "brolostack_errors_total";
    errors.help = "Error answers to clients, by protocol error code.";
    errors.type = MetricType::Counter;
    for (const auto& [code, count] : s.errorsByCode) {
        prometheus::ClientMetric m;
        m.label.push_back(prometheus::ClientMetric::Label{"code", code});
        m.counter.value = d(count);
        errors.metric.push_back(m);
    }
    families.push_back(errors);

    prometheus::MetricFamily tasks;
    tasks.name = "brolostack_task_duration_seconds";
    tasks.help = "How long completed ARGS tasks took, from start to completion.";
    tasks.type = MetricType::Histogram;
    prometheus::ClientMetric histogram;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < DurationHistogram::kBoundsMs.size(); ++i) {
        cumulative += s.taskDurations.inBucket[i];
        histogram.histogram.bucket.push_back({cumulative, DurationHistogram::kBoundsMs[i] / 1000.0});
    }
    histogram.histogram.bucket.push_back({s.taskDurations.count, std::numeric_limits<double>::infinity()});
    histogram.histogram.sample_count = s.taskDurations.count;
    histogram.histogram.sample_sum = s.taskDurations.sumMs / 1000.0;
    tasks.metric.push_back(histogram);
    families.push_back(tasks);
    return families;
}

prometheus::Histogram& latencyHistogram(prometheus::Registry& registry, const char* name, const char* help) {
    return prometheus::BuildHistogram().Name(name).Help(help).Register(registry).Add({}, kLatencyBuckets);
}

}  // namespace

ServerMetrics::ServerMetrics(const std::string& version)
    : registry_(std::make_shared<prometheus::Registry>()),
      publishDelivery_(latencyHistogram(*registry_, "brolostack_publish_delivery_seconds",
                                        "From a publish frame read to its deliveries handed to the sockets.")),
      httpRequests_(latencyHistogram(*registry_, "brolostack_http_request_duration_seconds",
                                     "From an HTTP request read to its answer handed to the socket.")),
      webhookCalls_(latencyHistogram(*registry_, "brolostack_webhook_duration_seconds",
                                     "From a webhook call made to its answer or failure.")),
      closes_(prometheus::BuildCounter()
                  .Name("brolostack_connection_closes_total")
                  .Help("WebSocket connections ended, by close code (1006: dropped).")
                  .Register(*registry_)) {
    prometheus::BuildGauge()
        .Name("brolostack_build_info")
        .Help("The server's version, as a label; always 1.")
        .Register(*registry_)
        .Add({{"version", version}})
        .Set(1);
}

void ServerMetrics::publishDelivered(double seconds) { publishDelivery_.Observe(seconds); }
void ServerMetrics::httpAnswered(double seconds) { httpRequests_.Observe(seconds); }
void ServerMetrics::webhookAnswered(double seconds) { webhookCalls_.Observe(seconds); }

void ServerMetrics::connectionClosed(int code) { closes_.Add({{"code", std::to_string(code)}}).Increment(); }

void ServerMetrics::shardConnections(std::size_t shard, std::uint64_t open) {
    // Registered by the first shard to post: a one-shard server shows no such family.
    std::call_once(shardsRegistered_, [this] {
        shardConnections_ = &prometheus::BuildGauge()
                                 .Name("brolostack_shard_connected_clients")
                                 .Help("Open WebSocket connections on each shard (SHARDS), as of its last count.")
                                 .Register(*registry_);
    });
    shardConnections_->Add({{"shard", std::to_string(shard)}}).Set(static_cast<double>(open));
}

std::string ServerMetrics::render(const server::Stats& stats) const {
    std::vector<prometheus::MetricFamily> families = statsFamilies(stats);
    for (auto& f : registry_->Collect()) families.push_back(std::move(f));
    for (auto& f : processFamilies()) families.push_back(std::move(f));
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    return out.str();
}

}  // namespace brolostack::native
