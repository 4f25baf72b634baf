// Encoding and strict decoding of every frame in frames.hpp. Pure functions:
// text in, typed frame or Error out, nothing else touched.
#pragma once

#include "brolostack/protocol/frames.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace brolostack::protocol {

/// Limits applied while decoding untrusted text.
struct DecodeLimits {
    std::size_t maxMessageBytes = 1024 * 1024;  // larger texts are `too_large`
    unsigned maxJsonDepth = 32;                 // deeper nesting is `bad_request`
    /// The text is known to be UTF-8 (a WebSocket text frame, which the
    /// WebSocket layer checked, RFC 6455 section 8.1): not checked again.
    bool knownUtf8 = false;
};

/// A decoded client frame, or the error to answer with. `op` and `ref` are
/// filled in as far as they could be read, so a failure can still be
/// answered as a reply to `ref`.
struct DecodedClientFrame {
    std::optional<ClientFrame> frame;
    std::optional<Error> error;
    std::string op;
    std::uint64_t ref = 0;
};

struct DecodedServerFrame {
    std::optional<ServerFrame> frame;
    std::optional<Error> error;
};

DecodedClientFrame decodeClientFrame(std::string_view text, const DecodeLimits& limits = {});
DecodedServerFrame decodeServerFrame(std::string_view text, const DecodeLimits& limits = {});

/// The `message` frame decodeServerFrame would decode from `text`, read
/// without building a document (a client's hot path); nullopt for any
/// other op and for any text decodeServerFrame refuses (ask it why). With
/// `withData` false, `dataJson` is left empty instead of holding `data`
/// written out again: for callers that take `data` from the text itself.
std::optional<MessageFrame> decodeMessageFrame(std::string_view text, const DecodeLimits& limits = {},
                                               bool withData = true);

std::string encodeClientFrame(const ClientFrame& frame);
std::string encodeServerFrame(const ServerFrame& frame);

/// A message frame without its position (offset and epoch), for a broker
/// that assigns positions (cluster mode): one JSON object, the frame minus
/// those two fields.
std::string encodeUnplacedMessage(const MessageFrame& frame);
/// The message frame once the broker gave the unplaced message its
/// position; none when `unplaced` is not a JSON object's text or the
/// position is not one (an epoch of other than [A-Za-z0-9_-], 1-64 bytes).
std::optional<std::string> placeMessage(std::string_view unplaced, std::uint64_t offset, std::string_view epoch);

/// A member object as frames carry it ({sid, user, info}); none when it is
/// not one (the checks of a presence frame's `member`).
std::optional<MemberView> decodeMember(std::string_view text);

/// The wire `op` of a frame, e.g. "publish".
std::string_view opName(const ClientFrame& frame);
std::string_view opName(const ServerFrame& frame);

/// Largest integer a JavaScript client can hold exactly (refs, offsets).
inline constexpr std::uint64_t kMaxSafeInteger = (1ull << 53) - 1;

}  // namespace brolostack::protocol
