#include "brolostack/server/jwt.hpp"

#include "brolostack/json.hpp"

#include <cmath>

namespace brolostack::server {
namespace {

constexpr std::size_t kMaxTokenBytes = 8192;
constexpr unsigned kMaxClaimDepth = 8;

/// A NumericDate claim (seconds, possibly fractional) in milliseconds.
std::optional<std::int64_t> numericDateMs(const json::Value& obj, const char* name, bool& malformed) {
    auto it = obj.FindMember(name);
    if (it == obj.MemberEnd()) return std::nullopt;
    if (!it->value.IsNumber() || !std::isfinite(it->value.GetDouble()) || std::fabs(it->value.GetDouble()) > 1e13) {
        malformed = true;
        return std::nullopt;
    }
    return static_cast<std::int64_t>(it->value.GetDouble() * 1000.0);
}

/// A claim that must be an array of strings, when present.
bool stringList(const json::Value& obj, const char* name, std::optional<std::vector<std::string>>& out) {
    auto it = obj.FindMember(name);
    if (it == obj.MemberEnd()) return true;
    if (!it->value.IsArray()) return false;
    std::vector<std::string> items;
    for (const auto& v : it->value.GetArray()) {
        if (!v.IsString()) return false;
        items.emplace_back(v.GetString(), v.GetStringLength());
    }
    out = std::move(items);
    return true;
}

bool audienceMatches(const json::Value& payload, const std::string& audience) {
    auto it = payload.FindMember("aud");
    if (it == payload.MemberEnd()) return false;
    if (it->value.IsString()) return audience == it->value.GetString();
    if (!it->value.IsArray()) return false;
    for (const auto& v : it->value.GetArray())
        if (v.IsString() && audience == v.GetString()) return true;
    return false;
}

}  // namespace

bool matchesAnyPattern(std::string_view id, const std::vector<std::string>& patterns) {
    for (const auto& p : patterns) {
        if (!p.empty() && p.back() == '*') {
            std::string_view prefix(p.data(), p.size() - 1);
            if (id.substr(0, prefix.size()) == prefix) return true;
        } else if (id == p) {
            return true;
        }
    }
    return false;
}

std::variant<TokenClaims, std::string> verifyJwt(std::string_view token, const JwtPolicy& policy,
                                                 const SignatureVerifier& verifySignature, std::int64_t nowMs) {
    if (token.size() > kMaxTokenBytes) return std::string("token too long");
    auto dot1 = token.find('.');
    auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
        return std::string("not a JWT: expected header.payload.signature");
    auto headerText = base64UrlDecode(token.substr(0, dot1));
    auto payloadText = base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1));
    auto signature = base64UrlDecode(token.substr(dot2 + 1));
    if (!headerText || !payloadText || !signature) return std::string("malformed JWT encoding");

    json::Document header, payload;
    if (!json::parseStrict(*headerText, header, kMaxTokenBytes, kMaxClaimDepth, true).ok() ||
        !json::parseStrict(*payloadText, payload, kMaxTokenBytes, kMaxClaimDepth, true).ok())
        return std::string("malformed JWT JSON");
    auto alg = header.FindMember("alg");
    if (alg == header.MemberEnd() || !alg->value.IsString()) return std::string("JWT header has no alg");
    std::string_view algName(alg->value.GetString(), alg->value.GetStringLength());
    // The configured algorithm only: a token cannot choose how it is checked.
    if (algName != policy.algorithm) return "JWT alg must be " + policy.algorithm;
    if (!verifySignature(algName, token.substr(0, dot2), *signature)) return std::string("invalid JWT signature");

    TokenClaims claims;
    auto sub = payload.FindMember("sub");
    if (sub == payload.MemberEnd() || !sub->value.IsString() || sub->value.GetStringLength() == 0 ||
        sub->value.GetStringLength() > 256)
        return std::string("JWT needs a sub claim");
    claims.subject.assign(sub->value.GetString(), sub->value.GetStringLength());

    bool malformed = false;
    auto exp = numericDateMs(payload, "exp", malformed);
    auto nbf = numericDateMs(payload, "nbf", malformed);
    auto iat = numericDateMs(payload, "iat", malformed);
    if (malformed) return std::string("JWT time claims must be numbers");
    if (!exp && policy.requireExp) return std::string("JWT needs an exp claim");
    if (exp && nowMs >= *exp + policy.skewMs) return std::string("JWT expired");
    if (nbf && nowMs + policy.skewMs < *nbf) return std::string("JWT not valid yet");
    if (iat && nowMs + policy.skewMs < *iat) return std::string("JWT issued in the future");
    claims.expiresAtMs = exp;

    if (policy.audience && !audienceMatches(payload, *policy.audience)) return std::string("JWT audience mismatch");
    if (policy.issuer) {
        auto iss = payload.FindMember("iss");
        if (iss == payload.MemberEnd() || !iss->value.IsString() || *policy.issuer != iss->value.GetString())
            return std::string("JWT issuer mismatch");
    }
    auto name = payload.FindMember("name");
    if (name != payload.MemberEnd() && name->value.IsString())
        claims.name = std::string(name->value.GetString(), name->value.GetStringLength());
    std::optional<std::vector<std::string>> roles;
    if (!stringList(payload, "rooms", claims.rooms) || !stringList(payload, "sessions", claims.sessions) ||
        !stringList(payload, "roles", roles))
        return std::string("JWT rooms, sessions and roles claims must be arrays of strings");
    claims.roles = roles.value_or(std::vector<std::string>{});
    return claims;
}

}  // namespace brolostack::server
