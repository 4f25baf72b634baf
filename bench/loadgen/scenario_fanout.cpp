// fanout: S subscribers in one room, one publisher. The publisher sends
// stamped payloads either flat out, with at most W publishes in flight, or
// paced at R publishes/s; every delivery to a subscriber is one latency
// sample (now - the stamp), and every answer to a publish one sample of the
// publish round trip (the stamp - the answer). A publish stops being "in
// flight" once it is answered (when the dialect answers publishes) and the
// trackers have it: the last subscriber to join on each target port (served
// last by every server measured).
//
// Targets: with --subscriber-ports the subscribers are spread round-robin
// over several ports (the nodes of a cluster sharing the room; the
// publisher stays on --port), and deliveries and latency are also reported
// per target.
//
// Phases: setup (connect, join, wait for the joins' announcements to
// settle), warmup (unmeasured), the main phase (flat out unless --rate),
// then one paced phase per --paced fraction of the main phase's peak.
//
// Integrity, after the last phase (once what is in flight arrived, or 5 s):
// every subscriber still open should have had every publish answered ok,
// once, in the order sent (stamps are strictly increasing) and, when the
// frames carry offsets, with offsets following each other without gaps.
#include "clock.hpp"
#include "payload.hpp"
#include "scenario.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace loadgen {

namespace {

enum Role : std::uint8_t { kSubscriber = 0, kPublisher = 1 };

constexpr std::size_t kMaxTargets = 16;
// Send times of the publishes in flight, by ref (more than any window).
constexpr std::size_t kSentRing = 1u << 18;
// Between phases, the longest wait for the last phase's deliveries.
constexpr double kMaxDrainSeconds = 5;

struct Phase {
    const char* mode = "flat";
    double fraction = 0;       // of the peak, for paced phases
    double targetRate = 0;     // publishes/s, 0 = flat out
    double seconds = 0;
    std::uint64_t publishes = 0;
    std::uint64_t deliveries = 0;
    std::uint64_t stalls = 0;  // loop turns where the window held a due publish back
    double serverCpu = 0, loaderCpu = 0;
    double machineBusy = 0;  // every process's, all cores
    Histogram latency;
    Histogram publishRtt;  // publish -> its answer
    std::array<std::uint64_t, kMaxTargets> targetDeliveries{};
    std::vector<Histogram> targetLatency;  // one per target
    std::vector<double> watchCpu;          // CPU seconds of each --watch-pids process

    double deliveriesPerSecond() const { return seconds > 0 ? deliveries / seconds : 0; }
    double publishesPerSecond() const { return seconds > 0 ? publishes / seconds : 0; }
};

class Fanout final : public RoomScenario {
public:
    Fanout(const Options& o, Dialect& d, Errors& e)
        : RoomScenario(o, d, e), payload_(o.payloadBytes), sentAt_(kSentRing, 0) {
        if (o.subscriberPorts.size() > kMaxTargets) throw std::runtime_error("at most 16 subscriber ports");
        targets_ = std::max<std::size_t>(1, o.subscriberPorts.size());
        trackers_.fill(kNone);
    }

    std::size_t maxConnections() const override { return static_cast<std::size_t>(options_.subscribers) + 1; }

    std::string run(Net& net) override {
        net_ = &net;
        std::int64_t t0 = nowNs();
        openMembers(options_.subscribers, kSubscriber, 4096, options_.subscriberPorts);
        double connectSeconds = static_cast<double>(nowNs() - t0) / 1e9;
        int subscribers = joined_;
        openMembers(1, kPublisher, 256 * 1024);
        publisher_ = static_cast<std::uint32_t>(net.size() - 1);
        lastStamp_.assign(net.size(), 0);
        lastOffset_.assign(net.size(), -1);
        double quietSeconds = quiesce(300, 60);
        for (std::size_t t = 0; t < targets_; ++t) pickTracker(t);

        char head[512];
        std::snprintf(head, sizeof head,
                      "\"subscribers\":%d,\"subscribers_joined\":%d,\"window\":%d,\"payload_bytes\":%d,"
                      "\"setup_s\":%s,\"quiesce_s\":%s,",
                      options_.subscribers, subscribers, options_.window, options_.payloadBytes,
                      jsonNumber(connectSeconds).c_str(), jsonNumber(quietSeconds).c_str());
        std::string out = head;

        bool tracked = false;
        for (std::size_t t = 0; t < targets_; ++t) tracked = tracked || trackers_[t] != kNone;
        if (!net.at(publisher_).joined || !tracked) {
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

        std::string integrity = checkIntegrity();

        out += "\"deliveries_per_s\":" + jsonNumber(main.deliveriesPerSecond()) +
               ",\"publishes_per_s\":" + jsonNumber(main.publishesPerSecond()) +
               ",\"latency_ms\":" + latencyJson(main.latency) + ",\"publish_rtt_ms\":" + latencyJson(main.publishRtt) +
               ",\"server_cpu_s\":" + jsonNumber(main.serverCpu) + ",\"integrity\":" + integrity +
               ",\"subscriber_ports\":" + portsJson() + ",\"phases\":[";
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
            out += b + latencyJson(p.latency) + ",\"publish_rtt_ms\":" + latencyJson(p.publishRtt) + ",\"targets\":[";
            for (std::size_t t = 0; t < targets_; ++t) {
                out += std::string(t ? "," : "") + "{\"deliveries_per_s\":" +
                       jsonNumber(p.seconds > 0 ? p.targetDeliveries[t] / p.seconds : 0) +
                       ",\"latency_ms\":" + latencyJson(p.targetLatency[t]) + "}";
            }
            out += "],\"machine_busy_s\":" + jsonNumber(p.machineBusy) + ",\"watch_cpu_s\":[";
            for (std::size_t w = 0; w < p.watchCpu.size(); ++w) out += (w ? "," : "") + jsonNumber(p.watchCpu[w]);
            out += "]}";
        }
        return out + "]";
    }

    void onDelivery(Connection& c, const char* t, std::size_t n) override {
        ++c.deliveries;
        if (c.index == trackers_[c.target]) ++trackerSeen_[c.target];
        std::int64_t sent = stamps_.read(t, n);
        if (c.index >= lastStamp_.size()) return;  // before setup ended: not ours to time
        if (sent > 0) {
            if (sent <= lastStamp_[c.index]) ++outOfOrder_;
            lastStamp_[c.index] = sent;
        }
        // Our protocol's frames end with ,"offset":N,"epoch":"...".
        std::size_t tail = n < 96 ? n : 96;
        long long offset = numberAfter(t + n - tail, tail, offsetKey_);
        if (offset >= 0) {
            ++offsetsSeen_;
            if (lastOffset_[c.index] >= 0 && offset != lastOffset_[c.index] + 1) ++offsetGaps_;
            lastOffset_[c.index] = offset;
        }
        if (!measuring_) return;
        ++phaseDeliveries_;
        ++current_->targetDeliveries[c.target];
        if (sent > 0) {
            std::int64_t ns = net_->readAt() - sent;
            current_->latency.record(ns);
            current_->targetLatency[c.target].record(ns);
        }
    }

    void onClosed(Connection& c) override {
        RoomScenario::onClosed(c);
        if (c.role == kSubscriber && c.index == trackers_[c.target]) {
            // Lost the tracker (e.g. closed as a slow consumer): count what
            // was sent as seen and follow another subscriber.
            trackerSeen_[c.target] = sent_;
            pickTracker(c.target);
        }
    }

protected:
    void onAnswer(Connection& c, std::uint32_t ref, bool ok) override {
        if (c.role != kPublisher) return;
        ++acked_;
        if (ok) ++ackedOk_;
        if (measuring_ && ref != 0) {
            std::int64_t sent = sentAt_[ref % kSentRing];
            if (sent > 0) current_->publishRtt.record(nowNs() - sent);
        }
    }

private:
    static constexpr std::uint32_t kNone = 0xFFFFFFFFu;

    void pickTracker(std::size_t target) {
        trackers_[target] = kNone;
        for (std::uint32_t i = publisher_; i-- > 0;) {
            Connection& c = net_->at(i);
            if (c.role == kSubscriber && c.target == target && c.joined && c.state == ConnState::Open) {
                trackers_[target] = i;
                return;
            }
        }
    }

    std::string portsJson() const {
        std::string out = "[";
        for (std::size_t t = 0; t < options_.subscriberPorts.size(); ++t)
            out += (t ? "," : "") + std::to_string(options_.subscriberPorts[t]);
        return out + "]";
    }

    // Waits (5 s at most) for what is in flight, then counts per open
    // subscriber what it lacks or has twice.
    std::string checkIntegrity() {
        std::int64_t start = nowNs(), end = start + 5 * kNsPerSecond;
        auto expected = [&] { return dialect_.acksPublishes() ? ackedOk_ : sent_; };
        auto done = [&] {
            if (dialect_.acksPublishes() && acked_ < sent_) return false;
            for (std::uint32_t i = 0; i < publisher_; ++i) {
                const Connection& c = net_->at(i);
                if (c.joined && c.state == ConnState::Open && c.deliveries < expected()) return false;
            }
            return true;
        };
        while (!done() && nowNs() < end) net_->poll(5000000);
        net_->poll(0);
        std::uint64_t missing = 0, extra = 0, checked = 0, lost = 0;
        for (std::uint32_t i = 0; i < publisher_; ++i) {
            const Connection& c = net_->at(i);
            if (!c.joined) continue;
            if (c.state != ConnState::Open) {
                ++lost;
                continue;
            }
            ++checked;
            if (c.deliveries < expected()) missing += expected() - c.deliveries;
            else extra += c.deliveries - expected();
        }
        char b[512];
        std::snprintf(b, sizeof b,
                      "{\"published\":%llu,\"answered_ok\":%llu,\"rejected\":%llu,\"unanswered\":%llu,"
                      "\"subscribers_checked\":%llu,\"subscribers_closed\":%llu,\"expected_deliveries\":%llu,"
                      "\"missing\":%llu,\"extra\":%llu,\"out_of_order\":%llu,\"offsets_seen\":%llu,"
                      "\"offset_gaps\":%llu,\"drain_s\":%s}",
                      static_cast<unsigned long long>(sent_), static_cast<unsigned long long>(ackedOk_),
                      static_cast<unsigned long long>(acked_ - ackedOk_),
                      static_cast<unsigned long long>(dialect_.acksPublishes() ? sent_ - acked_ : 0),
                      static_cast<unsigned long long>(checked), static_cast<unsigned long long>(lost),
                      static_cast<unsigned long long>(expected() * checked), static_cast<unsigned long long>(missing),
                      static_cast<unsigned long long>(extra), static_cast<unsigned long long>(outOfOrder_),
                      static_cast<unsigned long long>(offsetsSeen_), static_cast<unsigned long long>(offsetGaps_),
                      jsonNumber(static_cast<double>(nowNs() - start) / 1e9).c_str());
        return b;
    }

    int activeSubscribers() const {
        int n = 0;
        for (std::uint32_t i = 0; i < publisher_; ++i)
            if (net_->at(i).joined && net_->at(i).state == ConnState::Open) ++n;
        return n;
    }

    std::uint64_t completed() const {
        std::uint64_t seen = sent_;
        for (std::size_t t = 0; t < targets_; ++t)
            if (trackers_[t] != kNone) seen = std::min(seen, trackerSeen_[t]);
        return dialect_.acksPublishes() ? std::min(acked_, seen) : seen;
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
            // Stamps strictly increase: the order check relies on it.
            std::int64_t stamp = std::max(nowNs(), lastSent_ + 1);
            lastSent_ = stamp;
            std::uint32_t ref = dialect_.publish(pub, *net_, options_.room, payload_.stamp(stamp));
            if (ref != 0) sentAt_[ref % kSentRing] = stamp;
            ++sent_;
        }
    }

    void runPhase(Phase& phase, double seconds, double rate, bool measure) {
        current_ = &phase;
        phase.targetRate = rate;
        measuring_ = measure;
        phaseDeliveries_ = 0;
        phase.targetLatency.resize(targets_);
        phase.watchCpu.resize(options_.watchPids.size());
        for (std::size_t w = 0; w < options_.watchPids.size(); ++w) phase.watchCpu[w] = -cpuSecondsOf(options_.watchPids[w]);
        double serverCpu0 = cpuSecondsOf(options_.serverPid), loaderCpu0 = ownCpuSeconds();
        double machine0 = machineBusySeconds();
        std::uint64_t sentAtStart = sent_;
        std::int64_t start = nowNs(), end = start + secondsToNs(seconds);
        std::int64_t lastProgress = start;
        std::uint64_t lastSeen = progress();
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
            if (progress() != lastSeen) {
                lastSeen = progress();
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
        phase.machineBusy = machineBusySeconds() - machine0;
        for (std::size_t w = 0; w < options_.watchPids.size(); ++w) phase.watchCpu[w] += cpuSecondsOf(options_.watchPids[w]);
    }

    std::uint64_t progress() const {
        std::uint64_t n = acked_;
        for (std::size_t t = 0; t < targets_; ++t) n += trackerSeen_[t];
        return n;
    }

    // Between phases: what is in flight arrives first (a server that queued
    // a second of deliveries flat out would otherwise hand its backlog to the
    // next, lightly loaded phase), then a pause of --settle seconds.
    void settle() {
        std::int64_t drainEnd = nowNs() + secondsToNs(std::max(options_.settle, kMaxDrainSeconds));
        while (nowNs() < drainEnd && completed() < sent_) net_->poll(5000000);
        std::int64_t end = nowNs() + secondsToNs(options_.settle);
        while (nowNs() < end) net_->poll(end - nowNs());
    }

    Payload payload_;
    StampReader stamps_;
    KeyFinder offsetKey_{"\"offset\":"};
    std::vector<std::int64_t> sentAt_;  // by ref % kSentRing
    std::size_t targets_ = 1;
    std::uint32_t publisher_ = 0;
    std::array<std::uint32_t, kMaxTargets> trackers_{};
    std::array<std::uint64_t, kMaxTargets> trackerSeen_{};
    std::uint64_t sent_ = 0, acked_ = 0, ackedOk_ = 0;
    std::int64_t lastSent_ = 0;
    // Order checks, per connection index.
    std::vector<std::int64_t> lastStamp_;
    std::vector<long long> lastOffset_;
    std::uint64_t outOfOrder_ = 0, offsetsSeen_ = 0, offsetGaps_ = 0;
    bool measuring_ = false;
    std::uint64_t phaseDeliveries_ = 0;
    Phase* current_ = nullptr;
};

}  // namespace

std::unique_ptr<Scenario> makeFanout(const Options& o, Dialect& d, Errors& e) {
    return std::make_unique<Fanout>(o, d, e);
}

}  // namespace loadgen
