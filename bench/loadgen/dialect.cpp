#include "dialect.hpp"

#include <cstring>

namespace loadgen {

std::unique_ptr<Dialect> makeDialect(const std::string& name) {
    if (name == "brolostack") return makeBrolostackDialect();
    if (name == "socketio") return makeSocketIoDialect();
    if (name == "ws") return makeWsDialect();
    return nullptr;
}

long long numberAfter(const char* text, std::size_t n, std::string_view key) {
    const void* hit = memmem(text, n, key.data(), key.size());
    if (!hit) return -1;
    const char* p = static_cast<const char*>(hit) + key.size();
    const char* end = text + n;
    if (p >= end || *p < '0' || *p > '9') return -1;
    long long v = 0;
    while (p < end && *p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
    return v;
}

bool contains(const char* text, std::size_t n, std::string_view needle) {
    return memmem(text, n, needle.data(), needle.size()) != nullptr;
}

}  // namespace loadgen
