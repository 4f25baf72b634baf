// libFuzzer target: the strict decoder of client frames. Whatever the bytes,
// decoding never crashes and a frame it accepts encodes to text that
// decodes to the same frame.
#include "brolostack/json.hpp"
#include "brolostack/protocol/codec.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace bp = brolostack::protocol;
    std::string text(reinterpret_cast<const char*>(data), size);
    auto decoded = bp::decodeClientFrame(text, bp::DecodeLimits{});
    if (!decoded.frame) return 0;
    std::string canonical = bp::encodeClientFrame(*decoded.frame);
    auto again = bp::decodeClientFrame(canonical, bp::DecodeLimits{});
    if (!again.frame || bp::encodeClientFrame(*again.frame) != canonical) std::abort();
    return 0;
}
