// Monotonic time in nanoseconds: what every timestamp in the loader uses
// (send stamps in payloads, phase clocks, pacing).
#pragma once

#include <cstdint>
#include <ctime>

namespace loadgen {

inline std::int64_t nowNs() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

constexpr std::int64_t kNsPerSecond = 1000000000LL;

inline std::int64_t secondsToNs(double s) { return static_cast<std::int64_t>(s * 1e9); }

}  // namespace loadgen
