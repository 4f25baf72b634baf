// Timing of a Redis link (RedisConnection, RedisSubscriber): how long one
// connection attempt may take and how retries are spaced after a drop.
#pragma once

#include <chrono>

namespace brolostack::native::redis {

struct RedisOptions {
    /// Resolve + TCP connect + handshake (SELECT, PING) of one attempt. A
    /// SYN to a host that is gone would otherwise wait for the kernel's
    /// retries (minutes) while commands fail as unavailable.
    std::chrono::milliseconds connectTimeout{std::chrono::seconds(5)};
    /// Retry delays grow from `reconnectMin` to `reconnectMax` (doubling,
    /// with jitter: backoff.hpp).
    std::chrono::milliseconds reconnectMin{100};
    std::chrono::milliseconds reconnectMax{std::chrono::seconds(5)};
    /// TCP keepalive interval: finds a peer that vanished without a FIN
    /// (a partition, a dead host) on an otherwise idle connection, such as
    /// a subscriber waiting for messages. 0 leaves keepalive off.
    int keepAliveSeconds = 15;
    /// A command connection whose oldest command has had no reply for this
    /// long is dropped (its commands fail as Lost) and connects again: a
    /// Redis that stopped answering (stopped, swapping, a partition that
    /// drops packets) must not leave publishes waiting for ever. Redis
    /// answers within milliseconds when it answers at all. 0: never.
    std::chrono::milliseconds commandTimeout{std::chrono::seconds(3)};
};

}  // namespace brolostack::native::redis
