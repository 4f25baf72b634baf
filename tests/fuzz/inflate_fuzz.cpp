// libFuzzer target: permessage-deflate data as a client sends it (deflate.hpp),
// fed in two chunks with the tail the receiver appends, inflated within a
// 64 KiB limit; and any input compressed by the server's deflater inflates
// back to itself. Nothing may crash, leak, or produce past the limit.
#include "deflate.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using brolostack::native::MessageDeflater;
    using brolostack::native::MessageInflater;
    constexpr std::size_t kLimit = 64 * 1024;
    const std::uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};

    MessageInflater in(size > 0 ? 8 + data[0] % 8 : 15);
    std::string out;
    std::size_t half = size / 2;
    auto r = in.inflate(data, half, out, kLimit);
    if (r == MessageInflater::Result::Ok) r = in.inflate(data + half, size - half, out, kLimit);
    if (r == MessageInflater::Result::Ok) r = in.inflate(tail, 4, out, kLimit);
    if (out.size() > kLimit) std::abort();

    MessageDeflater deflater;
    std::string text(reinterpret_cast<const char*>(data), size);
    if (auto compressed = deflater.deflate(text)) {
        MessageInflater back(15);
        std::string again;
        auto ok = back.inflate(reinterpret_cast<const std::uint8_t*>(compressed->data()), compressed->size(), again,
                               size);
        if (ok == MessageInflater::Result::Ok) ok = back.inflate(tail, 4, again, size);
        if (ok != MessageInflater::Result::Ok || again != text) std::abort();
    }
    return 0;
}
