// The published payload: "@ts=" + the send time (CLOCK_MONOTONIC ns, 19
// digits) + "#" + padding to the configured size. Only characters that need
// no escaping in JSON, so every dialect carries it as a plain string and
// every delivery can be timed by finding "@ts=" in the frame.
#pragma once

#include "text_scan.hpp"

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

// Reads the send time a delivery carries (-1 when it has none), one stream
// of frames at a time: it remembers where the stamp was in the last frame.
class StampReader {
public:
    StampReader();
    std::int64_t read(const char* text, std::size_t n);

private:
    KeyFinder mark_;
};

}  // namespace loadgen
