#include "brolostack/server/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace brolostack::server {

RateLimiter::RateLimiter(std::uint32_t perMinute, std::int64_t now)
    : perMinute_(perMinute), tokens_(perMinute / 6.0), capacity_(perMinute / 6.0), last_(now) {
    // A bucket smaller than one frame would refuse everything.
    capacity_ = std::max(capacity_, 1.0);
    tokens_ = capacity_;
}

void RateLimiter::refill(std::int64_t now) {
    if (now <= last_) return;
    tokens_ = std::min(capacity_, tokens_ + (now - last_) * (perMinute_ / 60000.0));
    last_ = now;
}

bool RateLimiter::take(std::int64_t now) {
    if (!enabled()) return true;
    refill(now);
    if (tokens_ >= 1.0) {
        tokens_ -= 1.0;
        double tokenIntervalMs = 60000.0 / perMinute_;
        if (limitedSince_ >= 0 && static_cast<double>(now - lastRefused_) >= tokenIntervalMs) limitedSince_ = -1;
        return true;
    }
    if (limitedSince_ < 0) limitedSince_ = now;
    lastRefused_ = now;
    return false;
}

std::int64_t RateLimiter::retryAfterMs(std::int64_t now) const {
    if (!enabled()) return 0;
    double tokens = std::min(capacity_, tokens_ + std::max<std::int64_t>(0, now - last_) * (perMinute_ / 60000.0));
    double missing = 1.0 - tokens;
    return missing <= 0 ? 0 : static_cast<std::int64_t>(std::ceil(missing * 60000.0 / perMinute_));
}

}  // namespace brolostack::server
