// What one connection may bring in: INBOUND_BYTES_PER_SECOND, as a bucket of
// one second's worth (never less than one message of MAX_MESSAGE_BYTES) that
// a frame may overdraw. A frame is always taken whole; a connection in debt
// is not read from until the debt is paid. The frame limit (RATE_LIMIT_RPM)
// refuses frames; this one slows a connection down instead, so one client
// sending megabytes cannot take the server's loop from everyone else, and
// TCP pushes the wait back to it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace brolostack::server {

class InboundThrottle {
public:
    InboundThrottle() = default;
    /// `bytesPerSecond` 0: no limit.
    InboundThrottle(std::size_t bytesPerSecond, std::size_t burstBytes, std::int64_t now);

    /// Counts a frame of `bytes` received at `now`; how many milliseconds to
    /// stop reading from the connection (0: read on).
    std::int64_t receive(std::size_t bytes, std::int64_t now);

private:
    double perMs_ = 0;
    double capacity_ = 0;
    double tokens_ = 0;
    std::int64_t last_ = 0;
};

}  // namespace brolostack::server
