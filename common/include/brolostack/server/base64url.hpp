// base64url without padding (RFC 4648 section 5): JWT segments, and the
// bytes of a binary stream chunk inside the JSON nodes send each other.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace brolostack::server {

std::string base64UrlEncode(std::string_view bytes);
/// base64url without padding -> bytes; nullopt on bad input.
std::optional<std::string> base64UrlDecode(std::string_view text);

}  // namespace brolostack::server
