// A scenario drives the connections (it is the Net's Sink) and returns its
// figures as JSON fields; main() wraps them with what every run reports.
#pragma once

#include "dialect.hpp"
#include "histogram.hpp"
#include "net.hpp"
#include "options.hpp"
#include "stats.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace loadgen {

class Scenario : public Sink {
public:
    Scenario(const Options& options, Dialect& dialect, Errors& errors)
        : options_(options), dialect_(dialect), errors_(errors) {}
    virtual std::size_t maxConnections() const = 0;
    // Runs the scenario; returns JSON fields ("name":value,...) without braces.
    virtual std::string run(Net& net) = 0;

    void onReady(Connection&) override {}
    void onReply(Connection&, std::uint32_t, bool) override {}
    void onDelivery(Connection&, const char*, std::size_t) override {}

protected:
    const Options& options_;
    Dialect& dialect_;
    Errors& errors_;
    Net* net_ = nullptr;
};

// Members of one room: each connection joins options.room once ready.
// Subclasses get the replies that are not join answers through onAnswer.
class RoomScenario : public Scenario {
public:
    using Scenario::Scenario;
    void onReady(Connection& c) final;
    void onReply(Connection& c, std::uint32_t ref, bool ok) final;
    void onClosed(Connection& c) override;

protected:
    virtual void onAnswer(Connection&, std::uint32_t, bool) {}
    // Opens count connections with this role and waits until each has
    // joined or failed; false (and a timeout counted) past the setup timeout.
    // With ports, the connections are spread over them (Net::open).
    bool openMembers(int count, std::uint8_t role, std::size_t outCapacity,
                     const std::vector<std::uint16_t>& ports = {});
    // Waits until no frame has arrived for quietMs (presence announcements
    // of the joins may still be on their way), at most maxSeconds; returns
    // the seconds waited.
    double quiesce(int quietMs, double maxSeconds);

    int joined_ = 0;
    int settled_ = 0;  // joined, or failed before joining
};

std::string latencyJson(const Histogram& h);

std::unique_ptr<Scenario> makeFanout(const Options&, Dialect&, Errors&);
std::unique_ptr<Scenario> makeEcho(const Options&, Dialect&, Errors&);
std::unique_ptr<Scenario> makeIdle(const Options&, Dialect&, Errors&);
std::unique_ptr<Scenario> makeArgs(const Options&, Dialect&, Errors&);
// nullptr for an unknown name.
std::unique_ptr<Scenario> makeScenario(const Options&, Dialect&, Errors&);

}  // namespace loadgen
