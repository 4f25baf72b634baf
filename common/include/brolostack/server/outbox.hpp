// What the server core asks its I/O layer to do. The core never touches a
// socket: it appends actions here and the I/O layer performs them in order.
#pragma once

#include "brolostack/server/broker.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace brolostack::server {

/// The I/O layer's handle for one WebSocket connection; never 0.
using ConnId = std::uint64_t;
/// One serialized frame; a broadcast shares one instance across recipients.
using SharedFrame = std::shared_ptr<const std::string>;

struct Action {
    enum class Kind { Send, Close, Ping, Webhook, PauseReading, Broker };
    Kind kind = Kind::Send;
    ConnId conn = 0;          // Send: the first receiver
    SharedFrame frame;        // Send
    std::uint16_t code = 0;   // Close
    std::string reason;       // Close
    bool binary = false;      // Send: a binary frame (ARGS stream chunk)
    bool droppable = false;   // Send: may be skipped for a receiver over the slow-consumer mark
    std::uint64_t ref = 0;    // Webhook: the request to answer (0: none); `frame` holds the body
    std::int64_t delayMs = 0; // PauseReading: read nothing more from the connection for this long
    std::shared_ptr<const BrokerRequest> broker = nullptr;  // Broker
    /// Send: the further receivers of the same frame, in order. A broadcast is
    /// one action, not one per receiver: a room of 1,000 costs one frame
    /// pointer and 1,000 ids here, not 1,000 actions.
    std::vector<ConnId> alsoTo;

    /// Whether the action is about the connection (sends it a frame, closes it...).
    bool concerns(ConnId c) const {
        return conn == c || std::find(alsoTo.begin(), alsoTo.end(), c) != alsoTo.end();
    }
    bool sendsTo(ConnId c) const { return kind == Kind::Send && concerns(c); }
    /// How many connections a Send reaches.
    std::size_t receivers() const { return 1 + alsoTo.size(); }
    /// Calls `f` with each receiver of a Send, in order.
    template <class F>
    void forEachReceiver(F&& f) const {
        f(conn);
        for (ConnId c : alsoTo) f(c);
    }
};

using Outbox = std::vector<Action>;

}  // namespace brolostack::server
