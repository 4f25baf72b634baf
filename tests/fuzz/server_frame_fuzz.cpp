// libFuzzer target: the decoder of server frames (what clients parse),
// with the same round-trip property as the client-frame target; and the
// client's path for `message` frames (decodeMessageFrame), which must read
// exactly the frame the general decoder reads and decline everything else.
#include "brolostack/protocol/codec.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace bp = brolostack::protocol;
    std::string text(reinterpret_cast<const char*>(data), size);
    for (bool knownUtf8 : {false, true}) {
        bp::DecodeLimits limits;
        limits.knownUtf8 = knownUtf8;
        auto general = bp::decodeServerFrame(text, limits);
        const bp::MessageFrame* want = general.frame ? std::get_if<bp::MessageFrame>(&*general.frame) : nullptr;
        auto fast = bp::decodeMessageFrame(text, limits);
        auto lean = bp::decodeMessageFrame(text, limits, false);
        if (fast.has_value() != (want != nullptr) || lean.has_value() != (want != nullptr)) std::abort();
        if (!want) continue;
        if (!(*fast == *want) || !lean->dataJson.empty()) std::abort();
        lean->dataJson = want->dataJson;
        if (!(*lean == *want)) std::abort();
    }
    auto decoded = bp::decodeServerFrame(text);
    if (!decoded.frame) return 0;
    std::string canonical = bp::encodeServerFrame(*decoded.frame);
    auto again = bp::decodeServerFrame(canonical);
    if (!again.frame || bp::encodeServerFrame(*again.frame) != canonical) std::abort();
    return 0;
}
