// The JS boundary of the core: low-level functions on plain strings. The
// idiomatic API lives in js/, on top of these.
#include "brolostack/protocol/codec.hpp"

#include <emscripten/bind.h>

#include <string>

namespace {

using namespace brolostack::protocol;

/// What a codec call returns to JS: canonical text, or an error code and message.
struct CodecResult {
    bool ok = false;
    std::string text;
    std::string errorCode;
    std::string errorMessage;
};

CodecResult failure(const Error& e) {
    return CodecResult{false, {}, std::string(errorCodeName(e.code)), e.message};
}

/// Decodes a client frame and encodes it again: the canonical bytes.
CodecResult canonicalClientFrame(const std::string& text) {
    auto decoded = decodeClientFrame(text);
    if (!decoded.frame) return failure(*decoded.error);
    return CodecResult{true, encodeClientFrame(*decoded.frame), {}, {}};
}

/// The same for server frames.
CodecResult canonicalServerFrame(const std::string& text) {
    auto decoded = decodeServerFrame(text);
    if (!decoded.frame) return failure(*decoded.error);
    return CodecResult{true, encodeServerFrame(*decoded.frame), {}, {}};
}

}  // namespace

EMSCRIPTEN_BINDINGS(brolostack_core) {
    emscripten::value_object<CodecResult>("CodecResult")
        .field("ok", &CodecResult::ok)
        .field("text", &CodecResult::text)
        .field("errorCode", &CodecResult::errorCode)
        .field("errorMessage", &CodecResult::errorMessage);
    emscripten::function("canonicalClientFrame", &canonicalClientFrame);
    emscripten::function("canonicalServerFrame", &canonicalServerFrame);
    emscripten::constant("protocolVersion", kProtocolVersion);
}
