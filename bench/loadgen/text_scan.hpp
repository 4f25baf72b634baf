// Scanning frames for short keys and the numbers after them, the loader's
// most frequent operation (up to three times per delivery). glibc's memmem
// prepares a shift table on every call, which for these 50-100-byte windows
// cost more than the scan itself (a fifth of the loader's CPU at 1,000
// subscribers); memchr on one of the key's bytes and an inlined compare do
// not, and KeyFinder mostly skips the scan.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

namespace loadgen {

inline bool startsWith(const char* p, std::string_view key) {
    for (std::size_t i = 0; i < key.size(); ++i)
        if (p[i] != key[i]) return false;
    return true;
}

// The byte of `key` to look for first: its first that is not JSON
// punctuation, which would stop the scan at nearly every field.
inline std::size_t anchorOf(std::string_view key) {
    for (std::size_t i = 0; i < key.size(); ++i)
        if (key[i] != '\0' && !std::strchr("\"{}[]:,", key[i])) return i;
    return 0;
}

inline const char* findText(const char* text, std::size_t n, std::string_view key) {
    if (key.empty()) return text;
    if (n < key.size()) return nullptr;
    const std::size_t anchor = anchorOf(key);
    const char* p = text + anchor;
    const char* last = text + (n - key.size()) + anchor;  // the anchor's last possible place
    while (p <= last) {
        auto* hit = static_cast<const char*>(std::memchr(p, key[anchor], static_cast<std::size_t>(last - p) + 1));
        if (!hit) return nullptr;
        if (startsWith(hit - anchor, key)) return hit - anchor;
        p = hit + 1;
    }
    return nullptr;
}

// findText for a key that occurs once per frame, remembering where it was:
// the frames of one stream share their layout, so the key is usually at the
// same place in the next one, and that place is checked first.
class KeyFinder {
public:
    explicit KeyFinder(std::string_view key) : key_(key) {}
    std::string_view key() const { return key_; }

    const char* find(const char* text, std::size_t n) {
        if (last_ + key_.size() <= n && startsWith(text + last_, key_)) return text + last_;
        const char* hit = findText(text, n, key_);
        if (hit) last_ = static_cast<std::size_t>(hit - text);
        return hit;
    }

private:
    std::string_view key_;
    std::size_t last_ = 0;
};

// The unsigned integer right after `key` in text (e.g. key "\"ref\":"), or -1.
long long numberAfter(const char* text, std::size_t n, std::string_view key);
long long numberAfter(const char* text, std::size_t n, KeyFinder& key);
bool contains(const char* text, std::size_t n, std::string_view needle);

}  // namespace loadgen
