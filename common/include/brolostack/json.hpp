// RapidJSON, configured once for the whole project, plus strict parsing of
// untrusted input. Every file that needs RapidJSON includes this header and
// never <rapidjson/...> directly, so the settings below hold everywhere.
#pragma once

#ifndef RAPIDJSON_HAS_STDSTRING
#define RAPIDJSON_HAS_STDSTRING 1
#endif
// RapidJSON asserts on misuse (e.g. GetInt() on a string). Our code checks
// types before every access, so an assert would be a bug of ours, never of the
// input; it must not abort a server that serves thousands of connections or
// a wasm module inside someone's page. Count it instead, for tests to see.
namespace brolostack::json { void noteInternalAssert(); }
#ifndef RAPIDJSON_ASSERT
#define RAPIDJSON_ASSERT(x) ((x) ? (void)0 : ::brolostack::json::noteInternalAssert())
#endif

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace brolostack::json {

using Document = rapidjson::Document;
using Value = rapidjson::Value;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

/// Why a text was refused by parseStrict.
enum class ParseFailure { None, TooLarge, TooDeep, Syntax, NotAnObject };

/// Outcome of parseStrict: failure kind, byte offset and a readable reason.
struct ParseResult {
    ParseFailure failure = ParseFailure::None;
    std::size_t offset = 0;
    std::string reason;
    bool ok() const { return failure == ParseFailure::None; }
};

/// Parses untrusted text into `doc`: valid UTF-8 only, at most `maxBytes`,
/// nesting at most `maxDepth` deep, iteratively (no recursion on the input).
/// With `requireObject`, a top-level value that is not an object fails too.
/// `knownUtf8`: the caller vouches for the encoding, which is then not
/// checked again (escapes are, as always).
ParseResult parseStrict(std::string_view text, Document& doc, std::size_t maxBytes,
                        unsigned maxDepth, bool requireObject, bool knownUtf8 = false);

/// A document for parsing a text that is read and then dropped (a frame
/// being decoded), whose memory stays with the thread between uses instead
/// of being allocated for every parse. One use at a time per thread: the
/// next call clears it.
Document& scratchDocument();

/// Compact JSON text of a value (the value was depth-checked on parse).
std::string toString(const Value& value);

/// How many internal asserts fired since start (zero unless we have a bug).
std::uint64_t internalAssertCount();

/// Writes `s` as a JSON string key/value without a temporary std::string.
inline void writeString(Writer& w, std::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
inline void writeKey(Writer& w, std::string_view s) {
    w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
/// Writes already-valid compact JSON text as a value.
inline void writeRaw(Writer& w, std::string_view rawJson) {
    w.RawValue(rawJson.data(), rawJson.size(), rapidjson::kObjectType);
}

/// One JSON object as text: `body(writer)` writes its members.
template <class Body>
std::string object(Body body) {
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    body(w);
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace brolostack::json
