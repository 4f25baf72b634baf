// The HTTP/1.1 upgrade that opens a WebSocket: the request a client sends
// and the check of the server's 101 answer, accept key included
// (SHA-1 + base64 from OpenSSL's libcrypto, done once per connection).
#pragma once

#include <cstddef>
#include <cstdint>

namespace loadgen {

struct UpgradeKey {
    char key[25];     // Sec-WebSocket-Key: base64 of 16 bytes
    char accept[29];  // the Sec-WebSocket-Accept the server must answer
};

void makeUpgradeKey(std::uint64_t seed, UpgradeKey& out);

// The request, into dst; returns its length (0 when cap is too small).
std::size_t writeUpgradeRequest(char* dst, std::size_t cap, const char* host, std::uint16_t port, const char* path,
                                const char* key, const char* subprotocol);

enum class UpgradeResult { Incomplete, Ok, Refused, Invalid };

// Reads the response head at buf[0..n). Once it is complete, headerLength
// is its size (WebSocket frames may follow in the same read) and status the
// HTTP status. Ok needs 101 and the expected accept key; Refused is any
// other status; Invalid a 101 with a wrong or missing key, or garbage.
UpgradeResult checkUpgradeResponse(const char* buf, std::size_t n, const char* expectedAccept, std::size_t& headerLength,
                                   int& status);

}  // namespace loadgen
