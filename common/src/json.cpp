#include "brolostack/json.hpp"

#include "json_strict.hpp"

#include <atomic>
#include <cstdint>
#include <string>

namespace brolostack::json {
namespace {

std::atomic<std::uint64_t> g_asserts{0};

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
        detail::StrictHandler<Document> handler(target, maxDepth);
        bool ok = detail::readStrict(reader, stream, handler, knownUtf8);
        tooDeep = handler.tooDeep();
        loneSurrogate = handler.loneSurrogate();
        return ok;
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
