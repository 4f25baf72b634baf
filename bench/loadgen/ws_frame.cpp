#include "ws_frame.hpp"

#include <cstring>

namespace loadgen {

std::size_t writeClientFrame(char* dst, std::uint8_t opcode, const char* payload, std::size_t len,
                             std::uint32_t maskKey) {
    auto* out = reinterpret_cast<unsigned char*>(dst);
    std::size_t pos = 0;
    out[pos++] = static_cast<unsigned char>(0x80 | opcode);
    if (len < 126) {
        out[pos++] = static_cast<unsigned char>(0x80 | len);
    } else if (len < 65536) {
        out[pos++] = 0x80 | 126;
        out[pos++] = static_cast<unsigned char>(len >> 8);
        out[pos++] = static_cast<unsigned char>(len);
    } else {
        out[pos++] = 0x80 | 127;
        for (int i = 7; i >= 0; --i) out[pos++] = static_cast<unsigned char>(static_cast<std::uint64_t>(len) >> (8 * i));
    }
    unsigned char mask[4];
    std::memcpy(mask, &maskKey, 4);
    std::memcpy(out + pos, mask, 4);
    pos += 4;
    const auto* in = reinterpret_cast<const unsigned char*>(payload);
    // Eight bytes at a time, then the tail.
    std::uint64_t mask8;
    unsigned char m8[8] = {mask[0], mask[1], mask[2], mask[3], mask[0], mask[1], mask[2], mask[3]};
    std::memcpy(&mask8, m8, 8);
    std::size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, in + i, 8);
        w ^= mask8;
        std::memcpy(out + pos + i, &w, 8);
    }
    for (; i < len; ++i) out[pos + i] = in[i] ^ mask[i & 3];
    return pos + len;
}

Parse parseServerFrame(const char* buf, std::size_t n, FrameView& frame, std::size_t& consumed, std::size_t& need) {
    need = 0;
    if (n < 2) return Parse::NeedMore;
    const auto* b = reinterpret_cast<const unsigned char*>(buf);
    if ((b[0] & 0x70) != 0 || (b[1] & 0x80) != 0) return Parse::Invalid;
    std::uint64_t len = b[1] & 0x7F;
    std::size_t header = 2;
    if (len == 126) {
        if (n < 4) return Parse::NeedMore;
        len = (static_cast<std::uint64_t>(b[2]) << 8) | b[3];
        header = 4;
    } else if (len == 127) {
        if (n < 10) return Parse::NeedMore;
        len = 0;
        for (int i = 0; i < 8; ++i) len = (len << 8) | b[2 + i];
        header = 10;
        if (len > (1ULL << 40)) return Parse::Invalid;
    }
    std::size_t total = header + static_cast<std::size_t>(len);
    if (n < total) {
        need = total;
        return Parse::NeedMore;
    }
    frame.opcode = b[0] & 0x0F;
    frame.fin = (b[0] & 0x80) != 0;
    frame.payload = buf + header;
    frame.length = static_cast<std::size_t>(len);
    consumed = total;
    return Parse::Frame;
}

}  // namespace loadgen
