// The core's clock: milliseconds since the Unix epoch, as hub steps,
// stored records and wire timestamps count time.
#pragma once

#include <chrono>
#include <cstdint>

namespace brolostack::native {

inline std::int64_t nowMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace brolostack::native
