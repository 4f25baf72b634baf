// Delays between reconnection attempts: doubling from a first delay up to a
// cap, each one drawn at random from the upper half of its step ("equal
// jitter"). The doubling keeps a node from hammering a Redis that is down;
// the jitter keeps the nodes and shards that lost the same Redis at the
// same moment from all coming back at the same moment; the lower half-step
// bound keeps the delay growing.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace brolostack::native::redis {

class Backoff {
public:
    Backoff(std::chrono::milliseconds first, std::chrono::milliseconds cap, std::uint64_t seed);

    /// The delay before the next attempt: in [step/2, step], where step is
    /// first * 2^attempts, at most cap.
    std::chrono::milliseconds next();
    /// A connection succeeded: the next failure starts again from `first`.
    void reset() { attempts_ = 0; }
    unsigned attempts() const { return attempts_; }

private:
    std::chrono::milliseconds first_;
    std::chrono::milliseconds cap_;
    unsigned attempts_ = 0;
    std::mt19937_64 random_;
};

}  // namespace brolostack::native::redis
