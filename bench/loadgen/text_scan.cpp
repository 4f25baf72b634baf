#include "text_scan.hpp"

namespace loadgen {

namespace {
long long digitsAt(const char* p, const char* end) {
    if (p >= end || *p < '0' || *p > '9') return -1;
    long long v = 0;
    while (p < end && *p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
    return v;
}
}  // namespace

long long numberAfter(const char* text, std::size_t n, std::string_view key) {
    const char* hit = findText(text, n, key);
    return hit ? digitsAt(hit + key.size(), text + n) : -1;
}

long long numberAfter(const char* text, std::size_t n, KeyFinder& key) {
    const char* hit = key.find(text, n);
    return hit ? digitsAt(hit + key.key().size(), text + n) : -1;
}

bool contains(const char* text, std::size_t n, std::string_view needle) {
    return findText(text, n, needle) != nullptr;
}

}  // namespace loadgen
