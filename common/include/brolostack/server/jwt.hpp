// JSON Web Token checks (PROTOCOL.md section 4): structure, algorithm,
// time claims, audience and issuer, and the claims we use. The signature
// itself is checked by an injected verifier, so the core stays free of
// crypto libraries (the native server plugs OpenSSL in).
#pragma once

#include "brolostack/server/base64url.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace brolostack::server {

struct JwtPolicy {
    std::string algorithm = "HS256";      // the only alg accepted; "none" never is
    std::optional<std::string> audience;  // checked against `aud` when set
    std::optional<std::string> issuer;    // checked against `iss` when set
    bool requireExp = false;              // where authentication is required
    std::int64_t skewMs = 30000;
};

/// The claims a verified token grants.
struct TokenClaims {
    std::string subject;                    // `sub`: the user id
    std::optional<std::string> name;
    std::optional<std::int64_t> expiresAtMs;
    std::optional<std::vector<std::string>> rooms;     // allowed room patterns
    std::optional<std::vector<std::string>> sessions;  // allowed ARGS session patterns
    std::vector<std::string> roles;
};

/// Checks `signature` (raw bytes) over `signingInput` ("header.payload")
/// for algorithm `alg`.
using SignatureVerifier =
    std::function<bool(std::string_view alg, std::string_view signingInput, std::string_view signature)>;

/// The claims of a valid token, or why it is not valid.
std::variant<TokenClaims, std::string> verifyJwt(std::string_view token, const JwtPolicy& policy,
                                                 const SignatureVerifier& verifySignature, std::int64_t nowMs);


/// Whether `id` matches one of `patterns` ("doc-*": trailing wildcard).
bool matchesAnyPattern(std::string_view id, const std::vector<std::string>& patterns);

}  // namespace brolostack::server
