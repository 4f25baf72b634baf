#include "brolostack/json.hpp"

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace brolostack::json {
namespace {

std::atomic<std::uint64_t> g_asserts{0};

// Forwards SAX events to the Document while counting nesting, so a hostile
// `[[[[...` is refused before any recursive code (Accept, destructors) sees it.
class DepthLimitedHandler {
public:
    DepthLimitedHandler(Document& doc, unsigned maxDepth) : doc_(doc), maxDepth_(maxDepth) {}
    bool tooDeep() const { return tooDeep_; }

    bool Null() { return doc_.Null(); }
    bool Bool(bool b) { return doc_.Bool(b); }
    bool Int(int i) { return doc_.Int(i); }
    bool Uint(unsigned u) { return doc_.Uint(u); }
    bool Int64(int64_t i) { return doc_.Int64(i); }
    bool Uint64(uint64_t u) { return doc_.Uint64(u); }
    bool Double(double d) { return doc_.Double(d); }
    /// Numbers arrive as text (kParseNumbersAsStringsFlag) and are read
    /// here: integers exactly when they fit 64 bits, others by strtod,
    /// which rounds correctly. RapidJSON's own fast path reads some long
    /// numbers one unit off, so a value forwarded (re-encoded) changed in
    /// transit and again on every hop; its full-precision path passes 0 to
    /// clz() for inputs like 0e211. The fuzzer found both.
    bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
        std::string text(s, n);
        bool integer = text.find_first_of(".eE") == std::string::npos;
        if (integer) {
            errno = 0;
            char* end = nullptr;
            if (text.front() == '-') {
                long long v = std::strtoll(text.c_str(), &end, 10);
                if (errno == 0 && *end == '\0') return v >= INT32_MIN ? doc_.Int(static_cast<int>(v)) : doc_.Int64(v);
            } else {
                unsigned long long v = std::strtoull(text.c_str(), &end, 10);
                if (errno == 0 && *end == '\0') {
                    if (v <= INT32_MAX) return doc_.Int(static_cast<int>(v));
                    if (v <= UINT32_MAX) return doc_.Uint(static_cast<unsigned>(v));
                    if (v <= static_cast<unsigned long long>(INT64_MAX)) return doc_.Int64(static_cast<std::int64_t>(v));
                    return doc_.Uint64(v);
                }
            }
        }
        double d = std::strtod(text.c_str(), nullptr);
        if (std::isinf(d)) return false;  // too big for a double: refused, as RapidJSON does
        return doc_.Double(d);
    }
    bool String(const char* s, rapidjson::SizeType n, bool copy) { return validText(s, n) && doc_.String(s, n, copy); }
    bool Key(const char* s, rapidjson::SizeType n, bool copy) { return validText(s, n) && doc_.Key(s, n, copy); }
    bool loneSurrogate() const { return loneSurrogate_; }
    bool StartObject() { return enter() && doc_.StartObject(); }
    bool EndObject(rapidjson::SizeType n) { --depth_; return doc_.EndObject(n); }
    bool StartArray() { return enter() && doc_.StartArray(); }
    bool EndArray(rapidjson::SizeType n) { --depth_; return doc_.EndArray(n); }

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
    Document& doc_;
    unsigned maxDepth_;
    unsigned depth_ = 0;
    bool tooDeep_ = false;
    bool loneSurrogate_ = false;
};

// Numbers as text: the handler reads them (see RawNumber).
constexpr unsigned kParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag | rapidjson::kParseNumbersAsStringsFlag;

}  // namespace

void noteInternalAssert() { g_asserts.fetch_add(1, std::memory_order_relaxed); }
std::uint64_t internalAssertCount() { return g_asserts.load(std::memory_order_relaxed); }

ParseResult parseStrict(std::string_view text, Document& doc, std::size_t maxBytes, unsigned maxDepth,
                        bool requireObject, bool knownUtf8) {
    ParseResult result;
    if (text.size() > maxBytes) {
        result.failure = ParseFailure::TooLarge;
        result.reason = "message larger than " + std::to_string(maxBytes) + " bytes";
        return result;
    }
    rapidjson::MemoryStream stream(text.data(), text.size());
    // Kept per thread: its stack's memory serves every parse after the first.
    thread_local rapidjson::Reader reader;
    bool tooDeep = false;
    bool loneSurrogate = false;
    auto generator = [&](Document& target) {
        DepthLimitedHandler handler(target, maxDepth);
        if (knownUtf8) reader.Parse<kParseFlags & ~rapidjson::kParseValidateEncodingFlag>(stream, handler);
        else reader.Parse<kParseFlags>(stream, handler);
        tooDeep = handler.tooDeep();
        loneSurrogate = handler.loneSurrogate();
        return !reader.HasParseError();
    };
    doc.Populate(generator);
    if (!reader.HasParseError() && stream.Tell() != text.size()) {
        // RapidJSON stops at a NUL byte as if the input ended there.
        result.failure = ParseFailure::Syntax;
        result.offset = stream.Tell();
        result.reason = "unexpected bytes after the JSON value at byte " + std::to_string(result.offset);
        doc.SetNull();
        return result;
    }
    if (reader.HasParseError()) {
        result.offset = reader.GetErrorOffset();
        if (loneSurrogate) {
            result.failure = ParseFailure::Syntax;
            result.reason = "invalid JSON: a \\u escape encodes a lone surrogate";
        } else if (tooDeep) {
            result.failure = ParseFailure::TooDeep;
            result.reason = "JSON nested deeper than " + std::to_string(maxDepth) + " levels";
        } else {
            result.failure = ParseFailure::Syntax;
            result.reason = std::string("invalid JSON: ") + rapidjson::GetParseError_En(reader.GetParseErrorCode()) +
                            " at byte " + std::to_string(result.offset);
        }
        doc.SetNull();
        return result;
    }
    if (requireObject && !doc.IsObject()) {
        result.failure = ParseFailure::NotAnObject;
        result.reason = "a frame must be a JSON object";
    }
    return result;
}

std::string toString(const Value& value) {
    // Kept per thread, as the reader: a frame's values are written out one
    // at a time, each into memory the previous one already had.
    thread_local rapidjson::StringBuffer buffer;
    thread_local Writer writer(buffer);
    buffer.Clear();
    writer.Reset(buffer);
    value.Accept(writer);
    return std::string(buffer.GetString(), buffer.GetSize());
}

Document& scratchDocument() {
    // Most frames' DOM fits here; a larger one spills into chunks that the
    // next use frees.
    thread_local char buffer[16 * 1024];
    thread_local rapidjson::MemoryPoolAllocator<> pool(buffer, sizeof buffer);
    thread_local Document doc(&pool);
    doc.SetNull();
    pool.Clear();
    return doc;
}

}  // namespace brolostack::json
