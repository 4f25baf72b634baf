// Error codes and close codes of the wire protocol (PROTOCOL.md section 2),
// in one place, with what each tells a client about reconnecting.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace brolostack::protocol {

/// Protocol version spoken by this build (`v` in hello).
inline constexpr int kProtocolVersion = 1;
/// WebSocket subprotocol clients offer and the server selects.
inline constexpr std::string_view kSubprotocol = "brolostack.v1";

/// Error codes carried in `error.code`.
enum class ErrorCode {
    BadRequest,
    UnknownOp,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    RateLimited,
    TooLarge,
    LimitExceeded,
    Expired,
    Timeout,
    Unavailable,
    Internal,
};

/// Wire name of an error code, e.g. "bad_request".
std::string_view errorCodeName(ErrorCode code);
/// Error code for a wire name; nullopt for names this version does not know.
std::optional<ErrorCode> errorCodeFromName(std::string_view name);
/// HTTP status that matches an error code (HTTP API, section 8).
int httpStatusFor(ErrorCode code);

/// An error as a value: code, human message, and `details` as JSON object text.
struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;
    std::string detailsJson = "{}";

    bool operator==(const Error& o) const {
        return code == o.code && message == o.message && detailsJson == o.detailsJson;
    }
};

/// An Error with empty details.
inline Error makeError(ErrorCode code, std::string message) {
    Error e;
    e.code = code;
    e.message = std::move(message);
    return e;
}

/// WebSocket close codes the server uses.
namespace close_code {
inline constexpr std::uint16_t kNormal = 1000;
inline constexpr std::uint16_t kGoingAway = 1001;       // server shutting down
inline constexpr std::uint16_t kTooBig = 1009;          // over maxMessageBytes
inline constexpr std::uint16_t kInternal = 1011;
inline constexpr std::uint16_t kOverloaded = 1013;
inline constexpr std::uint16_t kProtocolError = 4000;   // too many errors, or no hello first
inline constexpr std::uint16_t kUnauthorized = 4001;
inline constexpr std::uint16_t kTokenExpired = 4002;
inline constexpr std::uint16_t kForbidden = 4003;
inline constexpr std::uint16_t kTimeout = 4008;         // no hello in time, or a silent peer
inline constexpr std::uint16_t kRateLimited = 4029;
inline constexpr std::uint16_t kSlowConsumer = 4090;
}  // namespace close_code

/// Whether a client may reconnect on its own after this close code:
/// never after 4000, 4001 and 4003 (they need new input from the application).
bool mayReconnectAfter(std::uint16_t closeCode);

}  // namespace brolostack::protocol
