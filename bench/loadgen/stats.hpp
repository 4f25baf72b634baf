// Counters of what went wrong, and the few readings the report needs from
// outside the loader: its own CPU (getrusage), the server's RSS and CPU
// (/proc/<pid>). Fixed-size: nothing here allocates while counting.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace loadgen {

// Counts per code (HTTP statuses, close codes) in a small fixed table.
class CodeCounts {
public:
    void add(int code) {
        for (auto& s : slots_) {
            if (s.count == 0 || s.code == code) {
                s.code = code;
                ++s.count;
                return;
            }
        }
        ++overflow_;
    }
    std::string json() const;

private:
    struct Slot {
        int code = 0;
        std::uint64_t count = 0;
    };
    std::array<Slot, 16> slots_{};
    std::uint64_t overflow_ = 0;
};

struct Errors {
    std::uint64_t connect = 0;      // socket/connect failed (refused, no port left, ...)
    std::uint64_t upgrade = 0;      // the HTTP upgrade was refused or invalid
    std::uint64_t disconnects = 0;  // an open connection ended without us asking
    std::uint64_t errorFrames = 0;  // error answers: ok:false replies, error frames, Socket.IO errors
    std::uint64_t protocol = 0;     // frames the loader could not read
    std::uint64_t timeouts = 0;     // setup steps that did not finish in time
    CodeCounts httpStatus;          // statuses of refused upgrades
    CodeCounts closeCodes;          // close codes the server sent
    std::string firstError;         // the first error frame's text, for the report

    std::uint64_t total() const { return connect + upgrade + disconnects + errorFrames + protocol + timeouts; }
    std::string json() const;
};

double ownCpuSeconds();
// 0 when pid is 0 or unreadable.
std::int64_t rssBytes(int pid);
double cpuSecondsOf(int pid);
// Busy CPU seconds of the whole machine, all cores (/proc/stat: user, nice,
// system, irq, softirq, steal); 0 when unreadable.
double machineBusySeconds();

// JSON helpers for the final report.
std::string jsonNumber(double v);

}  // namespace loadgen
