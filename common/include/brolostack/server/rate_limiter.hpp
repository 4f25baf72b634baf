// Token bucket for one connection: `perMinute` frames a minute, bursts of
// up to ten seconds' worth (PROTOCOL.md section 4).
#pragma once

#include <cstdint>

namespace brolostack::server {

class RateLimiter {
public:
    RateLimiter() = default;
    RateLimiter(std::uint32_t perMinute, std::int64_t now);

    bool enabled() const { return perMinute_ > 0; }
    /// Takes one token; false when the bucket is empty.
    bool take(std::int64_t now);
    /// Milliseconds until one token is back.
    std::int64_t retryAfterMs(std::int64_t now) const;
    /// Since when frames have been refused without a success in between
    /// (-1 when the last frame went through).
    std::int64_t limitedSince() const { return limitedSince_; }

private:
    void refill(std::int64_t now);
    std::uint32_t perMinute_ = 0;
    double tokens_ = 0;
    double capacity_ = 0;
    std::int64_t last_ = 0;
    std::int64_t limitedSince_ = -1;
};

}  // namespace brolostack::server
