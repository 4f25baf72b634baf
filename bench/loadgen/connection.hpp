// One client connection: its socket, its buffers (allocated once, at setup)
// and the little state the dialects and scenarios keep per connection.
#pragma once

#include "buffer.hpp"
#include "upgrade.hpp"

#include <cstdint>

namespace loadgen {

enum class ConnState : std::uint8_t { Queued, Connecting, Upgrading, Open, Closed };

struct Connection {
    int fd = -1;
    std::uint32_t index = 0;
    ConnState state = ConnState::Queued;
    std::uint8_t role = 0;        // the scenario's (subscriber, publisher, agent...)
    std::uint8_t stage = 0;       // the dialect's handshake step
    bool ready = false;           // protocol handshake done (hello answered, Socket.IO connected)
    bool joined = false;          // the scenario's room join answered
    bool dirty = false;           // has output waiting for the end-of-poll flush
    std::uint32_t nextRef = 1;    // request refs / Socket.IO ack ids
    std::uint32_t joinRef = 0;
    std::uint32_t mask = 0;       // xorshift state for frame masks
    std::size_t need = 0;         // size of the incomplete frame at the head of `in`
    std::size_t outCapacity = 0;
    std::uint64_t deliveries = 0; // deliveries this connection received
    int tag = 0;                  // the scenario's (agent number...)
    std::uint16_t port = 0;       // the server port it connects to (0: options.port)
    std::uint8_t target = 0;      // index of that port in the list given to Net::open
    Buffer in;
    Buffer out;
    UpgradeKey key;
};

}  // namespace loadgen
