// Who a connection is: API keys and JWTs (PROTOCOL.md section 4).
#pragma once

#include "brolostack/config/settings.hpp"
#include "brolostack/server/jwt.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace brolostack::server {

struct Identity {
    std::string userId;  // "key:<name>" for API keys, `sub` for JWTs
    std::optional<std::string> name;
    std::optional<std::int64_t> expiresAtMs;           // JWT exp
    std::optional<std::vector<std::string>> rooms;     // JWT rooms claim
    std::optional<std::vector<std::string>> sessions;  // JWT sessions claim
    std::vector<std::string> roles;
};

enum class AuthOutcome { Anonymous, Authenticated, Invalid };

struct AuthResult {
    AuthOutcome outcome = AuthOutcome::Anonymous;
    Identity identity;
    std::string reason;  // for Invalid
};

/// JWT checking as configured: the policy and the signature verifier.
struct JwtSetup {
    JwtPolicy policy;
    SignatureVerifier verifier;
};

class Authenticator {
public:
    explicit Authenticator(std::vector<config::ApiKey> keys, std::optional<JwtSetup> jwt = std::nullopt)
        : keys_(std::move(keys)), jwt_(std::move(jwt)) {}

    /// Checks an API key in constant time against every configured key.
    AuthResult checkApiKey(std::string_view key) const;
    /// Checks a JWT at time `nowMs`.
    AuthResult checkToken(std::string_view token, std::int64_t nowMs) const;
    /// Checks a bearer credential: a JWT when it has the shape of one and
    /// JWTs are configured, else an API key.
    AuthResult checkBearer(std::string_view credential, std::int64_t nowMs) const;
    bool jwtEnabled() const { return jwt_.has_value(); }

private:
    std::vector<config::ApiKey> keys_;
    std::optional<JwtSetup> jwt_;
};

/// Compares two strings in time that depends only on their lengths.
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace brolostack::server
