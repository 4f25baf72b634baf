// A latency histogram in the manner of HdrHistogram: a fixed array of
// log-linear buckets (64 per power of two, so about 1.5% precision from
// 128 ns up to ~18 minutes), exact below 128 ns. Recording is an index
// computation and an increment: no allocation per sample.
#pragma once

#include <array>
#include <cstdint>

namespace loadgen {

class Histogram {
public:
    void record(std::int64_t ns);
    void reset();
    void add(const Histogram& other);

    std::uint64_t count() const { return count_; }
    std::int64_t maxNs() const { return max_; }
    // The value at quantile q (0..1), in ms, taken as the upper edge of its
    // bucket (so never under-reported); 0 when empty.
    double quantileMs(double q) const;
    double meanMs() const { return count_ ? static_cast<double>(sum_) / count_ / 1e6 : 0.0; }

private:
    static constexpr int kSubBits = 6;
    static constexpr int kSub = 1 << kSubBits;   // buckets per octave
    static constexpr int kBuckets = kSub * 40;   // up to 2^40 ns

    static int bucketOf(std::uint64_t v);
    static std::uint64_t upperEdge(int bucket);

    std::array<std::uint64_t, kBuckets> counts_{};
    std::uint64_t count_ = 0;
    std::uint64_t sum_ = 0;
    std::int64_t max_ = 0;
};

}  // namespace loadgen
