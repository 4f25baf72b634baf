#include "brolostack/server/auth.hpp"

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

AuthResult Authenticator::checkBearer(std::string_view credential) const {
    AuthResult result = checkApiKey(credential);
    if (result.outcome == AuthOutcome::Invalid) result.reason = "invalid credentials";
    return result;
}

}  // namespace brolostack::server
