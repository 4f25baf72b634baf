// The event loop: epoll over non-blocking sockets, edge-triggered. Opens
// connections in batches (at most `connectBatch` handshakes at once,
// optionally from several loopback source addresses), performs the
// upgrade, reads frames in place and hands them to the dialect, and writes
// each connection's output once per loop turn however many frames it
// collected.
#pragma once

#include "clock.hpp"
#include "dialect.hpp"
#include "options.hpp"
#include "stats.hpp"

#include <sys/epoll.h>

#include <cstdint>
#include <vector>

namespace loadgen {

enum class Failure { Connect, Upgrade, Disconnect, Protocol, ServerClosed, Error };

class Net {
public:
    Net(const Options& options, Dialect& dialect, Sink& sink, Errors& errors, std::size_t maxConnections);
    ~Net();
    Net(const Net&) = delete;
    Net& operator=(const Net&) = delete;

    // Queues `count` connections with this role; they are opened from poll().
    // With ports, connection i of the batch goes to ports[i % size] (its
    // target is that index); without, to options.port. Returns the index of the first.
    std::uint32_t open(int count, std::uint8_t role, std::size_t outCapacity,
                       const std::vector<std::uint16_t>& ports = {});
    Connection& at(std::uint32_t i) { return conns_[i]; }
    std::size_t size() const { return conns_.size(); }

    // Waits at most timeoutNs for events, handles them, flushes output and
    // starts queued connections.
    void poll(std::int64_t timeoutNs);
    // poll() until done() or the deadline (monotonic ns); returns done().
    template <class Done>
    bool runUntil(Done done, std::int64_t deadlineNs);

    bool sendText(Connection& c, const char* text, std::size_t n);
    void markReady(Connection& c);
    void fail(Connection& c, Failure why);
    // Writes every connection's pending output now (poll() does it too).
    void flushDirty();
    // Counts an error answer from the server; the first one is kept for the report.
    void noteErrorFrame(const char* text, std::size_t n);

    int ready() const { return ready_; }          // connections that became ready
    int failed() const { return failed_; }        // connections that failed before
    int closed() const { return closed_; }        // ready ones that ended since
    int queued() const { return static_cast<int>(conns_.size()) - started_; }
    std::uint64_t framesIn() const { return framesIn_; }
    std::uint64_t bytesIn() const { return bytesIn_; }
    // When the bytes being handled were read: the arrival time of every
    // frame in them (one clock reading per read, not per frame).
    std::int64_t readAt() const { return readAt_; }
    unsigned bufferGrowths() const;

private:
    void startConnect(Connection& c);
    void onEvent(Connection& c, std::uint32_t events);
    void onWritable(Connection& c);
    void readAll(Connection& c);
    bool process(Connection& c);  // false once the connection is closed
    void dispatch(Connection& c, std::uint8_t opcode, const char* payload, std::size_t n);
    void sendFrame(Connection& c, std::uint8_t opcode, const char* payload, std::size_t n);
    void flush(Connection& c);
    void markDirty(Connection& c);
    void pumpConnects();

    const Options& options_;
    Dialect& dialect_;
    Sink& sink_;
    Errors& errors_;
    const char* path_;
    int epoll_ = -1;
    std::vector<Connection> conns_;
    std::vector<std::uint32_t> dirty_;
    std::vector<epoll_event> events_;
    int started_ = 0, handshaking_ = 0, ready_ = 0, failed_ = 0, closed_ = 0;
    std::uint64_t framesIn_ = 0, bytesIn_ = 0;
    std::int64_t readAt_ = 0;
    bool fragmentWarned_ = false;
};

template <class Done>
bool Net::runUntil(Done done, std::int64_t deadlineNs) {
    while (!done()) {
        std::int64_t left = deadlineNs - nowNs();
        if (left <= 0) return done();
        poll(left < 50000000 ? left : 50000000);
    }
    return true;
}

}  // namespace loadgen
