// args (our protocol only, PROTOCOL.md section 7): A agents register in one
// ARGS session with the capability "work", --agents-per-connection of them
// on each connection (1: one connection per agent; more: worker processes
// hosting several agents each, as a Node or Python backend does); one submitter
// joins the session and starts tasks that need it, at most --window
// unfinished at a time. Every agent answers its own TASK_ASSIGN with
// task-complete at once. Reports completed tasks/s, the assignment latency
// (start-task sent -> TASK_ASSIGN at the chosen agent) and the task latency
// (start-task sent -> TASK_COMPLETE announced to the submitter).
//
// Session announcements reach every member connection, so each connection
// reads every TASK_ASSIGN and answers those for its own agents (by agentId).
// With --agents-leave-session, each agent connection leaves the session's
// room once its agents are registered: the server then sends it only its
// agents' assignments and cancels, directly (the shape of workers that do
// not watch the session), and the announcements reach the submitter alone.
#include "clock.hpp"
#include "scenario.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <vector>

namespace loadgen {

namespace {

enum Role : std::uint8_t { kAgent = 0, kSubmitter = 1 };
constexpr std::size_t kRing = 1 << 16;  // start times by task number; more than any window

class Args final : public Scenario {
public:
    using Scenario::Scenario;

    std::size_t maxConnections() const override { return static_cast<std::size_t>(agentConnections()) + 1; }

    std::string run(Net& net) override {
        net_ = &net;
        if (std::string(dialect_.name()) != "brolostack") {
            ++errors_.protocol;
            errors_.firstError = "the args scenario needs the brolostack dialect";
            return "\"tasks_per_s\":0";
        }
        std::int64_t t0 = nowNs();
        const int connections = agentConnections();
        unanswered_.assign(static_cast<std::size_t>(connections) + 1, 0);
        leaveRef_.assign(static_cast<std::size_t>(connections) + 1, 0);
        net.open(connections, kAgent, 64 * 1024);
        net.open(1, kSubmitter, 256 * 1024);
        submitter_ = static_cast<std::uint32_t>(net.size() - 1);
        bool ok = net.runUntil([&] { return settled_ >= connections + 1; },
                               t0 + secondsToNs(options_.setupTimeout));
        if (!ok) ++errors_.timeouts;
        double setup = static_cast<double>(nowNs() - t0) / 1e9;
        if (registered_ < options_.agents || !net.at(submitter_).joined) {
            ++errors_.timeouts;
            return "\"agents\":" + std::to_string(options_.agents) + ",\"registered\":" + std::to_string(registered_) +
                   ",\"tasks_per_s\":0";
        }
        std::uint64_t window = options_.window > 0 ? static_cast<std::uint64_t>(options_.window)
                                                   : static_cast<std::uint64_t>(options_.agents * options_.agentCapacity);
        runPhase(options_.warmup, window, false);
        double serverCpu0 = cpuSecondsOf(options_.serverPid), loaderCpu0 = ownCpuSeconds();
        std::uint64_t done0 = completed_;
        double seconds = runPhase(options_.duration, window, true);
        double serverCpu = cpuSecondsOf(options_.serverPid) - serverCpu0;
        double loaderCpu = ownCpuSeconds() - loaderCpu0;
        double rate = seconds > 0 ? static_cast<double>(completed_ - done0) / seconds : 0;
        char b[512];
        std::snprintf(b, sizeof b,
                      "\"agents\":%d,\"agent_connections\":%d,\"agent_capacity\":%d,\"agents_leave_session\":%s,"
                      "\"window\":%llu,\"setup_s\":%s,"
                      "\"seconds\":%s,\"tasks_per_s\":%s,\"server_cpu_s\":%s,\"phase_loader_cpu_s\":%s,",
                      options_.agents, connections, options_.agentCapacity, options_.agentsLeaveSession ? "true" : "false",
                      static_cast<unsigned long long>(window),
                      jsonNumber(setup).c_str(), jsonNumber(seconds).c_str(), jsonNumber(rate).c_str(),
                      jsonNumber(serverCpu).c_str(), jsonNumber(loaderCpu).c_str());
        return std::string(b) + "\"assign_latency_ms\":" + latencyJson(assign_) +
               ",\"latency_ms\":" + latencyJson(complete_);
    }

    void onReady(Connection& c) override {
        if (c.role == kSubmitter) {
            int n = std::snprintf(buf_, sizeof buf_,
                                  "{\"op\":\"send\",\"ref\":%u,\"event\":\"join-session\",\"data\":\"%s\"}",
                                  c.nextRef, options_.room.c_str());
            c.joinRef = c.nextRef++;
            unanswered_[c.index] = 1;
            net_->sendText(c, buf_, static_cast<std::size_t>(n));
            return;
        }
        // Agents tag .. tag + agentsOn(c) - 1, registered with consecutive refs from joinRef.
        c.tag = static_cast<int>(c.index) * options_.agentsPerConnection;
        c.joinRef = c.nextRef;
        unanswered_[c.index] = agentsOn(c);
        for (int agent = c.tag; agent < c.tag + agentsOn(c); ++agent) {
            int n = std::snprintf(buf_, sizeof buf_,
                                  "{\"op\":\"send\",\"ref\":%u,\"event\":\"register-agent\",\"data\":{\"sessionId\":\"%s\","
                                  "\"id\":\"agent-%d\",\"type\":\"worker\",\"capabilities\":[\"work\"],"
                                  "\"metadata\":{\"maxConcurrentTasks\":%d}}}",
                                  c.nextRef++, options_.room.c_str(), agent, options_.agentCapacity);
            net_->sendText(c, buf_, static_cast<std::size_t>(n));
        }
    }

    void onReply(Connection& c, std::uint32_t ref, bool ok) override {
        if (c.joined) return;
        // First the registrations (or the submitter's join), then, with
        // --agents-leave-session, the agent connection's leave-session.
        const bool leaving = leaveRef_[c.index] != 0;
        const bool expected = leaving ? ref == leaveRef_[c.index]
                                      : ref >= c.joinRef && ref < c.joinRef + static_cast<std::uint32_t>(std::max(1, agentsOn(c)));
        if (!expected) return;
        if (!ok) {
            net_->fail(c, Failure::Error);  // settled by onClosed
            return;
        }
        if (!leaving && --unanswered_[c.index] > 0) return;
        if (!leaving && c.role == kAgent && options_.agentsLeaveSession) {
            leaveRef_[c.index] = c.nextRef++;
            int n = std::snprintf(buf_, sizeof buf_,
                                  "{\"op\":\"send\",\"ref\":%u,\"event\":\"leave-session\",\"data\":\"%s\"}",
                                  leaveRef_[c.index], options_.room.c_str());
            net_->sendText(c, buf_, static_cast<std::size_t>(n));
            return;
        }
        ++settled_;
        c.joined = true;
        if (c.role == kAgent) registered_ += agentsOn(c);
    }

    void onClosed(Connection& c) override {
        if (!c.joined) ++settled_;
    }

    void onOther(Connection& c, const char* t, std::size_t n) override {
        if (n < 40 || std::memcmp(t, "{\"op\":\"args\"", 12) != 0) return;
        std::size_t head = n < 200 ? n : 200;
        if (c.role == kAgent && contains(t, head, "\"type\":\"TASK_ASSIGN\"")) {
            long long agent = numberAfter(t, n, "\"agentId\":\"agent-");
            if (agent < c.tag || agent >= c.tag + agentsOn(c)) return;
            long long task = numberAfter(t, n, "\"taskId\":\"t");
            if (task < 0) return;
            if (measuring_) assign_.record(nowNs() - startedAt_[static_cast<std::size_t>(task) % kRing]);
            int len = std::snprintf(buf_, sizeof buf_,
                                    "{\"op\":\"send\",\"event\":\"task-complete\",\"data\":{\"sessionId\":\"%s\","
                                    "\"taskId\":\"t%lld\",\"agentId\":\"agent-%lld\",\"result\":1}}",
                                    options_.room.c_str(), task, agent);
            net_->sendText(c, buf_, static_cast<std::size_t>(len));
        } else if (c.role == kSubmitter && contains(t, head, "\"type\":\"TASK_COMPLETE\"")) {
            long long task = numberAfter(t, n, "\"taskId\":\"t");
            if (task < 0) return;
            ++completed_;
            if (measuring_) complete_.record(nowNs() - startedAt_[static_cast<std::size_t>(task) % kRing]);
        }
    }

private:
    int agentConnections() const {
        return (options_.agents + options_.agentsPerConnection - 1) / options_.agentsPerConnection;
    }
    // The agents connection c registers (the last one may have fewer).
    int agentsOn(const Connection& c) const {
        if (c.role != kAgent) return 1;
        return std::min(options_.agentsPerConnection, options_.agents - c.tag);
    }

    void startTask() {
        Connection& s = net_->at(submitter_);
        std::uint64_t task = started_++;
        startedAt_[task % kRing] = nowNs();
        int n = std::snprintf(buf_, sizeof buf_,
                              "{\"op\":\"send\",\"event\":\"start-task\",\"data\":{\"sessionId\":\"%s\",\"id\":\"t%llu\","
                              "\"type\":\"bench\",\"requirements\":{\"capabilities\":[\"work\"]}}}",
                              options_.room.c_str(), static_cast<unsigned long long>(task));
        net_->sendText(s, buf_, static_cast<std::size_t>(n));
    }

    double runPhase(double seconds, std::uint64_t window, bool measure) {
        measuring_ = measure;
        std::int64_t start = nowNs(), end = start + secondsToNs(seconds);
        std::int64_t lastProgress = start;
        std::uint64_t lastDone = completed_;
        while (nowNs() < end) {
            while (started_ - completed_ < window && net_->at(submitter_).state == ConnState::Open) startTask();
            net_->flushDirty();
            net_->poll(std::min<std::int64_t>(5000000, end - nowNs()));
            if (completed_ != lastDone) {
                lastDone = completed_;
                lastProgress = nowNs();
            } else if (nowNs() - lastProgress > 5 * kNsPerSecond) {
                ++errors_.timeouts;
                if (errors_.firstError.empty()) errors_.firstError = "ARGS tasks stalled: none completed for 5 s";
                break;
            }
        }
        measuring_ = false;
        return static_cast<double>(nowNs() - start) / 1e9;
    }

    std::uint32_t submitter_ = 0;
    int settled_ = 0, registered_ = 0;  // connections whose registrations (or join) were answered; agents registered
    std::vector<int> unanswered_;       // by connection: registrations (or the join) not answered yet
    std::vector<std::uint32_t> leaveRef_;  // by connection: its leave-session's ref, once sent
    std::uint64_t started_ = 0, completed_ = 0;
    bool measuring_ = false;
    Histogram assign_, complete_;
    std::array<std::int64_t, kRing> startedAt_{};
    char buf_[2048];
};

}  // namespace

std::unique_ptr<Scenario> makeArgs(const Options& o, Dialect& d, Errors& e) { return std::make_unique<Args>(o, d, e); }

}  // namespace loadgen
