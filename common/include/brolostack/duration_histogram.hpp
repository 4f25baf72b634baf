// Durations counted into fixed buckets, with their sum: what a Prometheus
// histogram exposes, kept by the core without a metrics library (the I/O
// layer renders it; native-server/src/metrics.cpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace brolostack {

struct DurationHistogram {
    /// Upper bounds in milliseconds, from 10 ms to an hour.
    static constexpr std::array<double, 13> kBoundsMs{10,    50,    100,    500,    1000,    5000,   10000,
                                                      30000, 60000, 300000, 600000, 1800000, 3600000};
    std::array<std::uint64_t, kBoundsMs.size()> inBucket{};  // observations in each bucket (not cumulative)
    std::uint64_t count = 0;                                  // all observations, those past the last bound too
    double sumMs = 0;

    void observe(double ms) {
        ++count;
        sumMs += ms;
        for (std::size_t i = 0; i < kBoundsMs.size(); ++i) {
            if (ms <= kBoundsMs[i]) {
                ++inBucket[i];
                return;
            }
        }
    }
};

}  // namespace brolostack
