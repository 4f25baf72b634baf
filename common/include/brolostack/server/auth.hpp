// Who a connection is: API-key authentication (PROTOCOL.md section 4).
#pragma once

#include "brolostack/config/settings.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace brolostack::server {

struct Identity {
    std::string userId;          // e.g. "key:web"
    std::optional<std::string> name;
};

enum class AuthOutcome { Anonymous, Authenticated, Invalid };

struct AuthResult {
    AuthOutcome outcome = AuthOutcome::Anonymous;
    Identity identity;
    std::string reason;  // for Invalid
};

class Authenticator {
public:
    explicit Authenticator(std::vector<config::ApiKey> keys) : keys_(std::move(keys)) {}

    /// Checks an API key in constant time against every configured key.
    AuthResult checkApiKey(std::string_view key) const;
    /// Checks a bearer credential: an API key (JWTs are not verified by this
    /// version, so a token that is not a configured key is invalid).
    AuthResult checkBearer(std::string_view credential) const;

private:
    std::vector<config::ApiKey> keys_;
};

/// Compares two strings in time that depends only on their lengths.
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace brolostack::server
