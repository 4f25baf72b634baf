// JWT signature checks with OpenSSL: HS256 with a shared secret, RS256 and
// ES256 with a PEM public key.
#pragma once

#include "brolostack/config/settings.hpp"
#include "brolostack/server/auth.hpp"

#include <optional>
#include <string>
#include <variant>

namespace brolostack::native {

/// The JWT setup the settings ask for: nullopt when JWTs are off, or an
/// error message (e.g. an unreadable key file).
std::variant<std::optional<server::JwtSetup>, std::string> makeJwtSetup(const config::Settings& settings);

}  // namespace brolostack::native
