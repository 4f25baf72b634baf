// fanout: S subscribers in one room, one publisher. The publisher sends
// stamped payloads either flat out, with at most W publishes in flight, or
// paced at R publishes/s; every delivery to a subscriber is one latency
// sample (now - the stamp). A publish stops being "in flight" once it is
// answered (when the dialect answers publishes) and the tracker, the last
// subscriber to join (served last by every server measured), has it.
//
// Phases: setup (connect, join, wait for the joins' announcements to
// settle), warmup (unmeasured), the main phase (flat out unless --rate),
// then one paced phase per --paced fraction of the main phase's peak.
#include "clock.hpp"
#include "payload.hpp"
#include "scenario.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace loadgen {

namespace {

enum Role : std::uint8_t { kSubscriber = 0, kPublisher = 1 };

struct Phase {
    const char* mode = "flat";
    double fraction = 0;       // of the peak, for paced phases
    double targetRate = 0;     // publishes/s, 0 = flat out
    double seconds = 0;
    std::uint64_t publishes = 0;
    std::uint64_t deliveries = 0;
    std::uint64_t stalls = 0;  // loop turns where the window held a due publish back
    double serverCpu = 0, loaderCpu = 0;
    Histogram latency;

    double deliveriesPerSecond() const { return seconds > 0 ? deliveries / seconds : 0; }
    double publishesPerSecond() const { return seconds > 0 ? publishes / seconds : 0; }
};

class Fanout final : public RoomScenario {
public:
    Fanout(const Options& o, Dialect& d, Errors& e) : RoomScenario(o, d, e), payload_(o.payloadBytes) {}

    std::size_t maxConnections() const override { return static_cast<std::size_t>(options_.subscribers) + 1; }

    std::string run(Net& net) override {
        net_ = &net;
        std::int64_t t0 = nowNs();
        openMembers(options_.subscribers, kSubscriber, 4096);
        double connectSeconds = static_cast<double>(nowNs() - t0) / 1e9;
        int subscribers = joined_;
        openMembers(1, kPublisher, 256 * 1024);
        publisher_ = static_cast<std::uint32_t>(net.size() - 1);
        double quietSeconds = quiesce(300, 60);
        pickTracker();

        char head[512];
        std::snprintf(head, sizeof head,
                      "\"subscribers\":%d,\"subscribers_joined\":%d,\"window\":%d,\"payload_bytes\":%d,"
                      "\"setup_s\":%s,\"quiesce_s\":%s,",
                      options_.subscribers, subscribers, options_.window, options_.payloadBytes,
                      jsonNumber(connectSeconds).c_str(), jsonNumber(quietSeconds).c_str());
        std::string out = head;

        if (!net.at(publisher_).joined || tracker_ == kNone) {
            ++errors_.timeouts;
            return out + "\"deliveries_per_s\":0,\"latency_ms\":null,\"phases\":[]";
        }

        Phase warm;
        runPhase(warm, options_.warmup, options_.rate, false);

        std::vector<Phase> phases(1 + options_.pacedFractions.size());
        Phase& main = phases[0];
        if (options_.rate > 0) main.mode = "paced";
        runPhase(main, options_.duration, options_.rate, true);
        // The peak in publishes/s: deliveries over the subscribers that had them.
        double peak = main.deliveriesPerSecond() / std::max(1, activeSubscribers());
        for (std::size_t i = 0; i < options_.pacedFractions.size(); ++i) {
            Phase& p = phases[i + 1];
            p.mode = "paced";
            p.fraction = options_.pacedFractions[i];
            settle();
            double rate = std::max(1.0, peak * p.fraction);
            Phase warmPaced;
            runPhase(warmPaced, std::min(options_.warmup, 0.5), rate, false);
            runPhase(p, options_.duration, rate, true);
        }

        out += "\"deliveries_per_s\":" + jsonNumber(main.deliveriesPerSecond()) +
               ",\"publishes_per_s\":" + jsonNumber(main.publishesPerSecond()) +
               ",\"latency_ms\":" + latencyJson(main.latency) + ",\"server_cpu_s\":" + jsonNumber(main.serverCpu) +
               ",\"phases\":[";
        for (std::size_t i = 0; i < phases.size(); ++i) {
            const Phase& p = phases[i];
            char b[512];
            std::snprintf(b, sizeof b,
                          "%s{\"mode\":\"%s\",\"fraction\":%s,\"target_publishes_per_s\":%s,\"seconds\":%s,"
                          "\"publishes_per_s\":%s,\"deliveries_per_s\":%s,\"stalls\":%llu,\"server_cpu_s\":%s,"
                          "\"loader_cpu_s\":%s,\"latency_ms\":",
                          i ? "," : "", p.mode, jsonNumber(p.fraction).c_str(), jsonNumber(p.targetRate).c_str(),
                          jsonNumber(p.seconds).c_str(), jsonNumber(p.publishesPerSecond()).c_str(),
                          jsonNumber(p.deliveriesPerSecond()).c_str(), static_cast<unsigned long long>(p.stalls),
                          jsonNumber(p.serverCpu).c_str(), jsonNumber(p.loaderCpu).c_str());
            out += b + latencyJson(p.latency) + "}";
        }
        return out + "]";
    }

    void onDelivery(Connection& c, const char* t, std::size_t n) override {
        ++c.deliveries;
        if (c.index == tracker_) ++trackerSeen_;
        if (!measuring_) return;
        ++phaseDeliveries_;
        std::int64_t sent = readStamp(t, n);
        if (sent > 0) current_->latency.record(nowNs() - sent);
    }

    void onClosed(Connection& c) override {
        RoomScenario::onClosed(c);
        if (c.index == tracker_) {
            // Lost the tracker (e.g. closed as a slow consumer): count what
            // was sent as seen and follow another subscriber.
            trackerSeen_ = sent_;
            pickTracker();
        }
    }

protected:
    void onAnswer(Connection& c, std::uint32_t, bool) override {
        if (c.role == kPublisher) ++acked_;
    }

private:
    static constexpr std::uint32_t kNone = 0xFFFFFFFFu;

    void pickTracker() {
        tracker_ = kNone;
        for (std::uint32_t i = publisher_; i-- > 0;) {
            Connection& c = net_->at(i);
            if (c.role == kSubscriber && c.joined && c.state == ConnState::Open) {
                tracker_ = i;
                return;
            }
        }
    }

    int activeSubscribers() const {
        int n = 0;
        for (std::uint32_t i = 0; i < publisher_; ++i)
            if (net_->at(i).joined && net_->at(i).state == ConnState::Open) ++n;
        return n;
    }

    std::uint64_t completed() const {
        return dialect_.acksPublishes() ? std::min(acked_, trackerSeen_) : trackerSeen_;
    }

    // Publishes what is due: as much as the window allows when flat out,
    // the schedule's count when paced.
    void topUp(std::int64_t now, double rate, std::int64_t phaseStart, std::uint64_t sentAtStart, Phase& phase) {
        Connection& pub = net_->at(publisher_);
        std::uint64_t window = static_cast<std::uint64_t>(rate > 0 ? options_.pacedWindow : options_.window);
        for (;;) {
            if (pub.state != ConnState::Open) return;
            if (rate > 0) {
                auto due = static_cast<std::uint64_t>(static_cast<double>(now - phaseStart) / 1e9 * rate) + 1;
                if (sent_ - sentAtStart >= due) return;
                if (sent_ - completed() >= window) {
                    ++phase.stalls;
                    return;
                }
            } else if (sent_ - completed() >= window) {
                return;
            }
            dialect_.publish(pub, *net_, options_.room, payload_.stamp(nowNs()));
            ++sent_;
        }
    }

    void runPhase(Phase& phase, double seconds, double rate, bool measure) {
        current_ = &phase;
        phase.targetRate = rate;
        measuring_ = measure;
        phaseDeliveries_ = 0;
        double serverCpu0 = cpuSecondsOf(options_.serverPid), loaderCpu0 = ownCpuSeconds();
        std::uint64_t sentAtStart = sent_;
        std::int64_t start = nowNs(), end = start + secondsToNs(seconds);
        std::int64_t lastProgress = start;
        std::uint64_t lastSeen = trackerSeen_ + acked_;
        std::int64_t now = start;
        while (now < end) {
            topUp(now, rate, start, sentAtStart, phase);
            net_->flushDirty();
            std::int64_t wait = 5000000;
            if (rate > 0) {
                auto next = start + static_cast<std::int64_t>(static_cast<double>(sent_ - sentAtStart) / rate * 1e9);
                wait = std::clamp<std::int64_t>(next - now, 0, wait);
            }
            net_->poll(std::min(wait, end - now));
            now = nowNs();
            if (trackerSeen_ + acked_ != lastSeen) {
                lastSeen = trackerSeen_ + acked_;
                lastProgress = now;
            } else if (now - lastProgress > 5 * kNsPerSecond) {
                ++errors_.timeouts;  // nothing answered or delivered for 5 s
                if (errors_.firstError.empty()) errors_.firstError = "fan-out stalled: nothing delivered for 5 s";
                break;
            }
        }
        measuring_ = false;
        phase.seconds = static_cast<double>(nowNs() - start) / 1e9;
        phase.publishes = sent_ - sentAtStart;
        phase.deliveries = phaseDeliveries_;
        phase.serverCpu = cpuSecondsOf(options_.serverPid) - serverCpu0;
        phase.loaderCpu = ownCpuSeconds() - loaderCpu0;
    }

    // Between phases: lets what is in flight arrive.
    void settle() {
        std::int64_t end = nowNs() + secondsToNs(options_.settle);
        while (nowNs() < end && completed() < sent_) net_->poll(5000000);
        while (nowNs() < end) net_->poll(end - nowNs());
    }

    Payload payload_;
    std::uint32_t publisher_ = 0;
    std::uint32_t tracker_ = kNone;
    std::uint64_t sent_ = 0, acked_ = 0, trackerSeen_ = 0;
    bool measuring_ = false;
    std::uint64_t phaseDeliveries_ = 0;
    Phase* current_ = nullptr;
};

}  // namespace

std::unique_ptr<Scenario> makeFanout(const Options& o, Dialect& d, Errors& e) {
    return std::make_unique<Fanout>(o, d, e);
}

}  // namespace loadgen
