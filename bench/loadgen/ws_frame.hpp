// The client side of RFC 6455 framing, and nothing more: writing masked
// frames and reading the server's unmasked ones in place. A load generator
// must cost less than the server it loads, so it does not use a general
// WebSocket library (websocketpp, as the server does, would put the same
// per-message work on both sides of the comparison); this is a few dozen
// lines over the bytes already in the connection's buffer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace loadgen {

enum Opcode : std::uint8_t {
    kContinuation = 0x0,
    kText = 0x1,
    kBinary = 0x2,
    kClose = 0x8,
    kPing = 0x9,
    kPong = 0xA,
};

// Bytes a masked client frame with this payload takes.
inline std::size_t clientFrameSize(std::size_t payload) {
    return payload + 4 + (payload < 126 ? 2 : payload < 65536 ? 4 : 10);
}

// Writes a final (FIN) masked frame into dst, which must hold
// clientFrameSize(len) bytes. Returns the bytes written.
std::size_t writeClientFrame(char* dst, std::uint8_t opcode, const char* payload, std::size_t len,
                             std::uint32_t maskKey);

struct FrameView {
    std::uint8_t opcode = 0;
    bool fin = true;
    const char* payload = nullptr;
    std::size_t length = 0;
};

enum class Parse { Frame, NeedMore, Invalid };

// Reads one server frame from buf[0..n). Frame: `frame` points into buf and
// `consumed` is its size on the wire. NeedMore: `need` is the total frame
// size when the header is complete (else 0). Invalid: a masked server frame
// or reserved bits set (no extension is ever negotiated).
Parse parseServerFrame(const char* buf, std::size_t n, FrameView& frame, std::size_t& consumed, std::size_t& need);

}  // namespace loadgen
