#include "brolostack/server/auth.hpp"

#include <algorithm>

namespace brolostack::server {

bool constantTimeEquals(std::string_view a, std::string_view b) {
    // Runs over the longer input whatever the contents, so the time taken
    // reveals the lengths only, never how many leading bytes matched.
    std::size_t n = a.size() > b.size() ? a.size() : b.size();
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < n; ++i) {
        unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        diff |= static_cast<unsigned char>(x ^ y);
    }
    return diff == 0;
}

AuthResult Authenticator::checkApiKey(std::string_view key) const {
    AuthResult result;
    const config::ApiKey* match = nullptr;
    for (const auto& candidate : keys_)
        if (constantTimeEquals(candidate.secret, key) && !match) match = &candidate;
    if (!match) {
        result.outcome = AuthOutcome::Invalid;
        result.reason = "invalid API key";
        return result;
    }
    result.outcome = AuthOutcome::Authenticated;
    result.identity.userId = "key:" + match->name;
    return result;
}

AuthResult Authenticator::checkToken(std::string_view token, std::int64_t nowMs) const {
    AuthResult result;
    result.outcome = AuthOutcome::Invalid;
    if (!jwt_) {
        result.reason = "this server does not accept JWTs";
        return result;
    }
    auto verified = verifyJwt(token, jwt_->policy, jwt_->verifier, nowMs);
    if (auto* reason = std::get_if<std::string>(&verified)) {
        result.reason = *reason;
        return result;
    }
    auto& claims = std::get<TokenClaims>(verified);
    result.outcome = AuthOutcome::Authenticated;
    result.identity.userId = std::move(claims.subject);
    result.identity.name = std::move(claims.name);
    result.identity.expiresAtMs = claims.expiresAtMs;
    result.identity.rooms = std::move(claims.rooms);
    result.identity.sessions = std::move(claims.sessions);
    result.identity.roles = std::move(claims.roles);
    return result;
}

AuthResult Authenticator::checkBearer(std::string_view credential, std::int64_t nowMs) const {
    bool looksLikeJwt = std::count(credential.begin(), credential.end(), '.') == 2;
    if (jwt_ && looksLikeJwt) return checkToken(credential, nowMs);
    AuthResult result = checkApiKey(credential);
    if (result.outcome == AuthOutcome::Invalid) result.reason = "invalid credentials";
    return result;
}

}  // namespace brolostack::server
