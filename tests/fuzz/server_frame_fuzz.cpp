// libFuzzer target: the decoder of server frames (what clients parse),
// with the same round-trip property as the client-frame target.
#include "brolostack/protocol/codec.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace bp = brolostack::protocol;
    std::string text(reinterpret_cast<const char*>(data), size);
    auto decoded = bp::decodeServerFrame(text);
    if (!decoded.frame) return 0;
    std::string canonical = bp::encodeServerFrame(*decoded.frame);
    auto again = bp::decodeServerFrame(canonical);
    if (!again.frame || bp::encodeServerFrame(*again.frame) != canonical) std::abort();
    return 0;
}
