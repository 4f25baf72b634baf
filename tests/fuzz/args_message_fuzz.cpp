// libFuzzer target: the ARGS message decoder (envelope, type, metadata,
// ttl). Accepted messages re-encode to text that decodes again.
#include "brolostack/args/message.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace args = brolostack::args;
    constexpr std::int64_t kNow = 1'700'000'000'000;
    std::string text(reinterpret_cast<const char*>(data), size);
    auto decoded = args::decodeMessage(text, kNow, 32);
    auto* msg = std::get_if<args::Message>(&decoded);
    if (!msg) return 0;
    auto again = args::decodeMessage(args::encodeMessage(*msg), kNow, 32);
    if (!std::holds_alternative<args::Message>(again)) std::abort();
    return 0;
}
