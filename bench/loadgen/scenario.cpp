#include "scenario.hpp"

#include "clock.hpp"

#include <cstdio>

namespace loadgen {

void RoomScenario::onReady(Connection& c) {
    c.joinRef = dialect_.join(c, *net_, options_.room);
    if (c.joinRef == 0) {  // no answer comes (ws): joined as soon as connected
        c.joined = true;
        ++joined_;
        ++settled_;
    }
}

void RoomScenario::onReply(Connection& c, std::uint32_t ref, bool ok) {
    if (!c.joined && c.joinRef != 0 && ref == c.joinRef) {
        ++settled_;
        if (ok) {
            c.joined = true;
            ++joined_;
        } else {
            net_->fail(c, Failure::Error);
        }
        return;
    }
    onAnswer(c, ref, ok);
}

void RoomScenario::onClosed(Connection& c) {
    if (!c.joined) ++settled_;
}

bool RoomScenario::openMembers(int count, std::uint8_t role, std::size_t outCapacity,
                               const std::vector<std::uint16_t>& ports) {
    int target = settled_ + count;
    net_->open(count, role, outCapacity, ports);
    bool done = net_->runUntil([&] { return settled_ >= target; }, nowNs() + secondsToNs(options_.setupTimeout));
    if (!done) ++errors_.timeouts;
    return done;
}

double RoomScenario::quiesce(int quietMs, double maxSeconds) {
    std::int64_t start = nowNs();
    std::int64_t end = start + secondsToNs(maxSeconds);
    std::uint64_t frames = net_->framesIn();
    std::int64_t lastChange = start;
    for (;;) {
        std::int64_t now = nowNs();
        if (net_->framesIn() != frames) {
            frames = net_->framesIn();
            lastChange = now;
        }
        if (now - lastChange >= static_cast<std::int64_t>(quietMs) * 1000000 || now >= end) break;
        net_->poll(10000000);
    }
    return static_cast<double>(nowNs() - start) / 1e9;
}

std::string latencyJson(const Histogram& h) {
    char b[256];
    std::snprintf(b, sizeof b, "{\"p50\":%s,\"p99\":%s,\"p999\":%s,\"max\":%s,\"mean\":%s,\"samples\":%llu}",
                  jsonNumber(h.quantileMs(0.5)).c_str(), jsonNumber(h.quantileMs(0.99)).c_str(),
                  jsonNumber(h.quantileMs(0.999)).c_str(), jsonNumber(static_cast<double>(h.maxNs()) / 1e6).c_str(),
                  jsonNumber(h.meanMs()).c_str(), static_cast<unsigned long long>(h.count()));
    return b;
}

std::unique_ptr<Scenario> makeScenario(const Options& o, Dialect& d, Errors& e) {
    if (o.scenario == "fanout") return makeFanout(o, d, e);
    if (o.scenario == "echo") return makeEcho(o, d, e);
    if (o.scenario == "idle") return makeIdle(o, d, e);
    if (o.scenario == "args") return makeArgs(o, d, e);
    return nullptr;
}

}  // namespace loadgen
