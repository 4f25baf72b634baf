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
    /// Since when the connection has been sending over its limit: set at the
    /// first refusal, cleared once a whole token interval passes without one
    /// (-1 when not limited). A flooder that gets a frame through now and
    /// then stays limited.
    std::int64_t limitedSince() const { return limitedSince_; }

private:
    void refill(std::int64_t now);
    std::uint32_t perMinute_ = 0;
    double tokens_ = 0;
    double capacity_ = 0;
    std::int64_t last_ = 0;
    std::int64_t limitedSince_ = -1;
    std::int64_t lastRefused_ = 0;
};

}  // namespace brolostack::server
