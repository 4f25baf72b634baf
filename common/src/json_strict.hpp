// The checks of json::parseStrict as a SAX filter, for code that reads a
// text's values as they are parsed instead of from a document: whatever
// parses through here was read exactly as parseStrict reads it (same
// RapidJSON flags, depth limit, number reading, lone-surrogate refusal).
#pragma once

#include "brolostack/json.hpp"

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace brolostack::json::detail {

/// Numbers arrive as text (kParseNumbersAsStringsFlag) and are read here:
/// integers exactly when they fit 64 bits, others by strtod, which rounds
/// correctly. RapidJSON's own fast path reads some long numbers one unit
/// off, so a value forwarded (re-encoded) changed in transit and again on
/// every hop; its full-precision path passes 0 to clz() for inputs like
/// 0e211. The fuzzer found both. The value goes to `target` as RapidJSON's
/// reader would send it (Int, Uint, Int64, Uint64 or Double); a number too
/// big for a double is refused, as RapidJSON does.
template <class Target>
bool forwardNumber(const char* s, rapidjson::SizeType n, Target& target) {
    // Up to 18 digits (what most numbers are): read here, exactly as strtoll
    // reads them (JSON integers have no '+', spaces or leading zeros), and
    // with no room to overflow 64 bits.
    bool negative = n > 0 && s[0] == '-';
    if (n - negative > 0 && n - negative <= 18) {
        std::uint64_t v = 0;
        rapidjson::SizeType i = negative;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; ++i) v = v * 10 + static_cast<unsigned>(s[i] - '0');
        if (i == n) {
            if (negative) {
                auto value = -static_cast<std::int64_t>(v);
                return value >= INT32_MIN ? target.Int(static_cast<int>(value)) : target.Int64(value);
            }
            if (v <= INT32_MAX) return target.Int(static_cast<int>(v));
            if (v <= UINT32_MAX) return target.Uint(static_cast<unsigned>(v));
            return target.Int64(static_cast<std::int64_t>(v));
        }
    }
    // NUL-terminated for strto*: on the stack unless the number is long.
    char local[64];
    std::string spill;
    const char* text = local;
    if (n < sizeof local) {
        std::memcpy(local, s, n);
        local[n] = '\0';
    } else {
        spill.assign(s, n);
        text = spill.c_str();
    }
    bool integer = std::string_view(s, n).find_first_of(".eE") == std::string_view::npos;
    if (integer) {
        errno = 0;
        char* end = nullptr;
        if (text[0] == '-') {
            long long v = std::strtoll(text, &end, 10);
            if (errno == 0 && *end == '\0') return v >= INT32_MIN ? target.Int(static_cast<int>(v)) : target.Int64(v);
        } else {
            unsigned long long v = std::strtoull(text, &end, 10);
            if (errno == 0 && *end == '\0') {
                if (v <= INT32_MAX) return target.Int(static_cast<int>(v));
                if (v <= UINT32_MAX) return target.Uint(static_cast<unsigned>(v));
                if (v <= static_cast<unsigned long long>(INT64_MAX)) return target.Int64(static_cast<std::int64_t>(v));
                return target.Uint64(v);
            }
        }
    }
    double d = std::strtod(text, nullptr);
    if (std::isinf(d)) return false;
    return target.Double(d);
}

/// Forwards SAX events to `target` (a Document, or any handler of the same
/// events) while counting nesting, so a hostile `[[[[...` is refused before
/// any recursive code (Accept, destructors) sees it.
template <class Target>
class StrictHandler {
public:
    StrictHandler(Target& target, unsigned maxDepth) : target_(target), maxDepth_(maxDepth) {}
    bool tooDeep() const { return tooDeep_; }
    bool loneSurrogate() const { return loneSurrogate_; }

    bool Null() { return target_.Null(); }
    bool Bool(bool b) { return target_.Bool(b); }
    bool Int(int i) { return target_.Int(i); }
    bool Uint(unsigned u) { return target_.Uint(u); }
    bool Int64(int64_t i) { return target_.Int64(i); }
    bool Uint64(uint64_t u) { return target_.Uint64(u); }
    bool Double(double d) { return target_.Double(d); }
    bool RawNumber(const char* s, rapidjson::SizeType n, bool) { return forwardNumber(s, n, target_); }
    bool String(const char* s, rapidjson::SizeType n, bool copy) { return validText(s, n) && target_.String(s, n, copy); }
    bool Key(const char* s, rapidjson::SizeType n, bool copy) { return validText(s, n) && target_.Key(s, n, copy); }
    bool StartObject() { return enter() && target_.StartObject(); }
    bool EndObject(rapidjson::SizeType n) { --depth_; return target_.EndObject(n); }
    bool StartArray() { return enter() && target_.StartArray(); }
    bool EndArray(rapidjson::SizeType n) { --depth_; return target_.EndArray(n); }

private:
    // RapidJSON 1.1.0 turns a lone low-surrogate escape ("\udc00") into
    // the bytes ED B0 80, which are not UTF-8; relayed, they make browsers
    // drop the connection. Surrogates encode as ED A0..BF in that form.
    bool validText(const char* s, rapidjson::SizeType n) {
        for (rapidjson::SizeType i = 0; i + 1 < n; ++i) {
            if (static_cast<unsigned char>(s[i]) == 0xED && (static_cast<unsigned char>(s[i + 1]) & 0xE0) == 0xA0) {
                loneSurrogate_ = true;
                return false;
            }
        }
        return true;
    }

    bool enter() {
        if (++depth_ > maxDepth_) { tooDeep_ = true; return false; }
        return true;
    }
    Target& target_;
    unsigned maxDepth_;
    unsigned depth_ = 0;
    bool tooDeep_ = false;
    bool loneSurrogate_ = false;
};

// Numbers as text: the handler reads them (see forwardNumber).
constexpr unsigned kStrictParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag | rapidjson::kParseNumbersAsStringsFlag;

/// The same flags for RapidJSON's recursive parser, which is faster. Only
/// for a StrictHandler, which stops the parse when a container would go
/// deeper than its limit, before the parser descends into it: the parser's
/// recursion stays within that limit (and the stack's size).
constexpr unsigned kStrictRecursiveParseFlags = kStrictParseFlags & ~rapidjson::kParseIterativeFlag;

/// Parses `stream` with the strict `Flags` into `handler`; `knownUtf8`
/// skips the encoding check. True when RapidJSON found no error.
template <unsigned Flags = kStrictParseFlags, class Handler>
bool readStrict(rapidjson::Reader& reader, rapidjson::MemoryStream& stream, Handler& handler, bool knownUtf8) {
    if (knownUtf8) reader.Parse<Flags & ~rapidjson::kParseValidateEncodingFlag>(stream, handler);
    else reader.Parse<Flags>(stream, handler);
    return !reader.HasParseError();
}

}  // namespace brolostack::json::detail
