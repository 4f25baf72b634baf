// The published payload: "@ts=" + the send time (CLOCK_MONOTONIC ns, 19
// digits) + "#" + padding to the configured size. Only characters that need
// no escaping in JSON, so every dialect carries it as a plain string and
// every delivery can be timed by finding "@ts=" in the frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace loadgen {

class Payload {
public:
    explicit Payload(int bytes);
    // The payload stamped with `ns`; valid until the next call.
    std::string_view stamp(std::int64_t ns);

private:
    std::string text_;
};

// The send time carried by a delivery, or -1.
std::int64_t readStamp(const char* text, std::size_t n);

}  // namespace loadgen
