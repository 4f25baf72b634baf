// idle: N connections that open (upgrade, then hello / Socket.IO connect)
// and stay idle. Reports the connect rate and, with --server-pid, the
// server's resident memory per connection: VmRSS before the first connect
// and after all of them have idled for --hold seconds.
#include "clock.hpp"
#include "scenario.hpp"

#include <cstdio>

namespace loadgen {

namespace {

class Idle final : public Scenario {
public:
    using Scenario::Scenario;

    std::size_t maxConnections() const override { return static_cast<std::size_t>(options_.connections); }

    std::string run(Net& net) override {
        net_ = &net;
        std::int64_t rssBefore = rssBytes(options_.serverPid);
        double serverCpu0 = cpuSecondsOf(options_.serverPid);
        std::int64_t start = nowNs();
        net.open(options_.connections, 0, 1024);
        bool done = net.runUntil([&] { return net.ready() + net.failed() >= options_.connections; },
                                 start + secondsToNs(options_.setupTimeout));
        if (!done) ++errors_.timeouts;
        double connectSeconds = static_cast<double>(nowNs() - start) / 1e9;
        double serverCpu = cpuSecondsOf(options_.serverPid) - serverCpu0;
        std::int64_t holdEnd = nowNs() + secondsToNs(options_.hold);
        while (nowNs() < holdEnd) net.poll(holdEnd - nowNs());
        std::int64_t rssAfter = rssBytes(options_.serverPid);
        int open = net.ready() - net.closed();
        double perConnection = open > 0 && rssBefore > 0 ? static_cast<double>(rssAfter - rssBefore) / open : 0;
        char b[512];
        std::snprintf(b, sizeof b,
                      "\"connections\":%d,\"ready\":%d,\"open_after_hold\":%d,\"connect_s\":%s,"
                      "\"connects_per_s\":%s,\"server_cpu_connect_s\":%s,\"server_rss_before\":%lld,"
                      "\"server_rss_after\":%lld,\"rss_per_connection\":%s",
                      options_.connections, net.ready(), open, jsonNumber(connectSeconds).c_str(),
                      jsonNumber(connectSeconds > 0 ? net.ready() / connectSeconds : 0).c_str(),
                      jsonNumber(serverCpu).c_str(), static_cast<long long>(rssBefore),
                      static_cast<long long>(rssAfter), jsonNumber(perConnection).c_str());
        return b;
    }
};

}  // namespace

std::unique_ptr<Scenario> makeIdle(const Options& o, Dialect& d, Errors& e) { return std::make_unique<Idle>(o, d, e); }

}  // namespace loadgen
