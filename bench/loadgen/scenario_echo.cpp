// echo: latency at light load. Two members of one room play ping-pong with
// one message in flight: A publishes, B receives it (one latency sample)
// and publishes the next, which A receives, and so on. Each hop is a
// publish through the server to the one other member: the same path in
// every dialect (the ws servers forward to every other client, which is the
// other member; Socket.IO's `to(room)` and our `echo:false` skip the sender).
#include "clock.hpp"
#include "payload.hpp"
#include "scenario.hpp"

#include <cstdio>

namespace loadgen {

namespace {

class Echo final : public RoomScenario {
public:
    Echo(const Options& o, Dialect& d, Errors& e) : RoomScenario(o, d, e), payload_(o.payloadBytes) {}

    std::size_t maxConnections() const override { return 2; }

    std::string run(Net& net) override {
        net_ = &net;
        openMembers(1, 0, 16384);
        openMembers(1, 1, 16384);
        quiesce(100, 5);
        if (joined_ < 2) {
            ++errors_.timeouts;
            return "\"deliveries_per_s\":0,\"latency_ms\":null";
        }
        runPhase(options_.warmup, false);
        double serverCpu0 = cpuSecondsOf(options_.serverPid);
        double seconds = runPhase(options_.duration, true);
        double serverCpu = cpuSecondsOf(options_.serverPid) - serverCpu0;
        char b[256];
        std::snprintf(b, sizeof b, "\"payload_bytes\":%d,\"seconds\":%s,\"deliveries_per_s\":%s,\"server_cpu_s\":%s,",
                      options_.payloadBytes, jsonNumber(seconds).c_str(),
                      jsonNumber(seconds > 0 ? hops_ / seconds : 0).c_str(), jsonNumber(serverCpu).c_str());
        return std::string(b) + "\"latency_ms\":" + latencyJson(latency_);
    }

    void onDelivery(Connection& c, const char* t, std::size_t n) override {
        std::int64_t now = net_->readAt();  // when it arrived, as in fanout
        std::int64_t sent = stamps_.read(t, n);
        if (measuring_ && sent > 0) {
            latency_.record(now - sent);
            ++hops_;
        }
        lastDelivery_ = now;
        if (running_) send(c);
    }

private:
    void send(Connection& from) { dialect_.publish(from, *net_, options_.room, payload_.stamp(nowNs())); }

    double runPhase(double seconds, bool measure) {
        measuring_ = measure;
        running_ = true;
        std::int64_t start = nowNs(), end = start + secondsToNs(seconds);
        lastDelivery_ = start;
        send(net_->at(0));
        net_->flushDirty();
        while (nowNs() < end) {
            net_->poll(std::min<std::int64_t>(10000000, end - nowNs()));
            if (nowNs() - lastDelivery_ > kNsPerSecond) {  // a lost message: start again
                ++errors_.timeouts;
                lastDelivery_ = nowNs();
                send(net_->at(0));
                net_->flushDirty();
            }
        }
        running_ = false;
        measuring_ = false;
        double elapsed = static_cast<double>(nowNs() - start) / 1e9;
        // The message still in flight arrives and is not answered.
        std::int64_t drain = nowNs() + 200000000;
        while (nowNs() < drain) net_->poll(drain - nowNs());
        return elapsed;
    }

    Payload payload_;
    StampReader stamps_;
    Histogram latency_;
    std::uint64_t hops_ = 0;
    std::int64_t lastDelivery_ = 0;
    bool measuring_ = false, running_ = false;
};

}  // namespace

std::unique_ptr<Scenario> makeEcho(const Options& o, Dialect& d, Errors& e) { return std::make_unique<Echo>(o, d, e); }

}  // namespace loadgen
