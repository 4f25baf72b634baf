#include "brolostack/server/inbound_throttle.hpp"

#include <algorithm>
#include <cmath>

namespace brolostack::server {

InboundThrottle::InboundThrottle(std::size_t bytesPerSecond, std::size_t burstBytes, std::int64_t now)
    : perMs_(bytesPerSecond / 1000.0),
      capacity_(static_cast<double>(std::max(bytesPerSecond, burstBytes))),
      tokens_(capacity_),
      last_(now) {}

std::int64_t InboundThrottle::receive(std::size_t bytes, std::int64_t now) {
    if (perMs_ <= 0) return 0;
    if (now > last_) {
        tokens_ = std::min(capacity_, tokens_ + (now - last_) * perMs_);
        last_ = now;
    }
    tokens_ -= static_cast<double>(bytes);
    if (tokens_ >= 0) return 0;
    return static_cast<std::int64_t>(std::ceil(-tokens_ / perMs_));
}

}  // namespace brolostack::server
