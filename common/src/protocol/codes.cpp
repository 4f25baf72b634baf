#include "brolostack/protocol/codes.hpp"

#include <array>
#include <utility>

namespace brolostack::protocol {
namespace {

struct CodeInfo {
    ErrorCode code;
    std::string_view name;
    int httpStatus;
};

constexpr std::array<CodeInfo, 13> kCodes{{
    {ErrorCode::BadRequest, "bad_request", 400},
    {ErrorCode::UnknownOp, "unknown_op", 400},
    {ErrorCode::Unauthorized, "unauthorized", 401},
    {ErrorCode::Forbidden, "forbidden", 403},
    {ErrorCode::NotFound, "not_found", 404},
    {ErrorCode::Conflict, "conflict", 409},
    {ErrorCode::RateLimited, "rate_limited", 429},
    {ErrorCode::TooLarge, "too_large", 413},
    {ErrorCode::LimitExceeded, "limit_exceeded", 429},
    {ErrorCode::Expired, "expired", 400},
    {ErrorCode::Timeout, "timeout", 504},
    {ErrorCode::Unavailable, "unavailable", 503},
    {ErrorCode::Internal, "internal", 500},
}};

const CodeInfo& infoOf(ErrorCode code) {
    for (const auto& info : kCodes)
        if (info.code == code) return info;
    return kCodes.back();
}

}  // namespace

std::string_view errorCodeName(ErrorCode code) { return infoOf(code).name; }

std::optional<ErrorCode> errorCodeFromName(std::string_view name) {
    for (const auto& info : kCodes)
        if (info.name == name) return info.code;
    return std::nullopt;
}

int httpStatusFor(ErrorCode code) { return infoOf(code).httpStatus; }

bool mayReconnectAfter(std::uint16_t closeCode) {
    return closeCode != close_code::kProtocolError && closeCode != close_code::kUnauthorized &&
           closeCode != close_code::kForbidden;
}

}  // namespace brolostack::protocol
