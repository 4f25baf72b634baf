#include "histogram.hpp"

#include <algorithm>

namespace loadgen {

// Values below 2*kSub are their own bucket. Above, a value whose highest
// set bit is msb keeps its top kSubBits+1 bits: e = msb - kSubBits,
// bucket = kSub*e + (v >> e), where (v >> e) is in [kSub, 2*kSub).
int Histogram::bucketOf(std::uint64_t v) {
    if (v < 2 * kSub) return static_cast<int>(v);
    int msb = 63 - __builtin_clzll(v);
    int e = msb - kSubBits;
    int b = kSub * e + static_cast<int>(v >> e);
    return std::min(b, kBuckets - 1);
}

std::uint64_t Histogram::upperEdge(int bucket) {
    if (bucket < 2 * kSub) return static_cast<std::uint64_t>(bucket);
    int e = bucket / kSub - 1;
    std::uint64_t m = static_cast<std::uint64_t>(bucket - kSub * e);
    return ((m + 1) << e) - 1;
}

void Histogram::record(std::int64_t ns) {
    if (ns < 0) ns = 0;
    ++counts_[bucketOf(static_cast<std::uint64_t>(ns))];
    ++count_;
    sum_ += static_cast<std::uint64_t>(ns);
    max_ = std::max(max_, ns);
}

void Histogram::reset() {
    counts_.fill(0);
    count_ = 0;
    sum_ = 0;
    max_ = 0;
}

void Histogram::add(const Histogram& other) {
    for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    max_ = std::max(max_, other.max_);
}

double Histogram::quantileMs(double q) const {
    if (count_ == 0) return 0.0;
    std::uint64_t rank = static_cast<std::uint64_t>(q * static_cast<double>(count_));
    if (rank >= count_) rank = count_ - 1;
    std::uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
        seen += counts_[i];
        if (seen > rank) {
            std::uint64_t edge = std::min<std::uint64_t>(upperEdge(i), static_cast<std::uint64_t>(max_));
            return static_cast<double>(edge) / 1e6;
        }
    }
    return static_cast<double>(max_) / 1e6;
}

}  // namespace loadgen
