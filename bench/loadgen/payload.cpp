#include "payload.hpp"

#include <algorithm>
#include <cstring>

namespace loadgen {

namespace {
constexpr char kMark[] = "@ts=";
constexpr std::size_t kMarkLength = sizeof(kMark) - 1;
constexpr std::size_t kDigits = 19;
}  // namespace

Payload::Payload(int bytes) {
    std::size_t size = std::max<std::size_t>(static_cast<std::size_t>(bytes), kMarkLength + kDigits + 1);
    text_.assign(size, 'x');
    std::memcpy(&text_[0], kMark, kMarkLength);
    text_[kMarkLength + kDigits] = '#';
}

std::string_view Payload::stamp(std::int64_t ns) {
    auto v = static_cast<std::uint64_t>(ns);
    for (std::size_t i = 0; i < kDigits; ++i) {
        text_[kMarkLength + kDigits - 1 - i] = static_cast<char>('0' + v % 10);
        v /= 10;
    }
    return text_;
}

StampReader::StampReader() : mark_({kMark, kMarkLength}) {}

std::int64_t StampReader::read(const char* text, std::size_t n) {
    const char* hit = mark_.find(text, n);
    if (!hit) return -1;
    const char* p = hit + kMarkLength;
    if (static_cast<std::size_t>(text + n - p) < kDigits) return -1;
    std::int64_t v = 0;
    for (std::size_t i = 0; i < kDigits; ++i) {
        if (p[i] < '0' || p[i] > '9') return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

}  // namespace loadgen
