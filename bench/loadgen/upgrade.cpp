#include "upgrade.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <strings.h>

namespace loadgen {

namespace {

constexpr char kGuid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// Case-insensitive search for a header name at the start of a line; returns
// a pointer to its value (spaces skipped) or nullptr.
const char* findHeader(const char* head, std::size_t n, const char* name) {
    std::size_t len = std::strlen(name);
    for (std::size_t i = 0; i + len + 1 < n; ++i) {
        if (i != 0 && head[i - 1] != '\n') continue;
        if (strncasecmp(head + i, name, len) != 0 || head[i + len] != ':') continue;
        const char* v = head + i + len + 1;
        while (v < head + n && (*v == ' ' || *v == '\t')) ++v;
        return v;
    }
    return nullptr;
}

}  // namespace

void makeUpgradeKey(std::uint64_t seed, UpgradeKey& out) {
    unsigned char raw[16];
    std::uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
    for (int i = 0; i < 16; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        raw[i] = static_cast<unsigned char>(x >> 24);
    }
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.key), raw, 16);  // 24 chars + NUL
    char joined[24 + sizeof(kGuid)];
    std::memcpy(joined, out.key, 24);
    std::memcpy(joined + 24, kGuid, sizeof(kGuid) - 1);
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(joined), 24 + sizeof(kGuid) - 1, digest);
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.accept), digest, SHA_DIGEST_LENGTH);  // 28 chars + NUL
}

std::size_t writeUpgradeRequest(char* dst, std::size_t cap, const char* host, std::uint16_t port, const char* path,
                                const char* key, const char* subprotocol) {
    char protocolLine[128] = "";
    if (subprotocol && *subprotocol)
        std::snprintf(protocolLine, sizeof protocolLine, "Sec-WebSocket-Protocol: %s\r\n", subprotocol);
    int n = std::snprintf(dst, cap,
                          "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
                          path, host, static_cast<unsigned>(port), key, protocolLine);
    return (n > 0 && static_cast<std::size_t>(n) < cap) ? static_cast<std::size_t>(n) : 0;
}

UpgradeResult checkUpgradeResponse(const char* buf, std::size_t n, const char* expectedAccept, std::size_t& headerLength,
                                   int& status) {
    const char* end = nullptr;
    for (std::size_t i = 3; i < n; ++i) {
        if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
            end = buf + i + 1;
            break;
        }
    }
    if (!end) return UpgradeResult::Incomplete;
    headerLength = static_cast<std::size_t>(end - buf);
    if (headerLength < 12 || std::strncmp(buf, "HTTP/1.1 ", 9) != 0) return UpgradeResult::Invalid;
    status = std::atoi(buf + 9);
    if (status != 101) return UpgradeResult::Refused;
    const char* accept = findHeader(buf, headerLength, "Sec-WebSocket-Accept");
    if (!accept || std::strncmp(accept, expectedAccept, 28) != 0) return UpgradeResult::Invalid;
    return UpgradeResult::Ok;
}

}  // namespace loadgen
