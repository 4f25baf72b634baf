// JWT structure, algorithm and claim checks (PROTOCOL.md section 4), with a
// fake signature verifier: the crypto itself is OpenSSL's, tested in the
// integration suite with real keys.
#include "brolostack/server/auth.hpp"
#include "brolostack/server/jwt.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using brolostack::server::base64UrlDecode;
using brolostack::server::JwtPolicy;
using brolostack::server::matchesAnyPattern;
using brolostack::server::TokenClaims;
using brolostack::server::verifyJwt;

constexpr std::int64_t kNow = 1'732'550'000'000;  // ms
constexpr std::int64_t kNowSeconds = kNow / 1000;

std::string base64Url(const std::string& bytes) { return brolostack::server::base64UrlEncode(bytes); }

/// A token whose signature is the literal text "good" (or anything else).
std::string token(const std::string& payloadJson, const std::string& alg = "HS256",
                  const std::string& signature = "good") {
    return base64Url("{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}") + "." + base64Url(payloadJson) + "." +
           base64Url(signature);
}

bool fakeVerifier(std::string_view, std::string_view, std::string_view signature) { return signature == "good"; }

std::variant<TokenClaims, std::string> check(const std::string& t, JwtPolicy policy = {}) {
    return verifyJwt(t, policy, fakeVerifier, kNow);
}

std::string errorOf(const std::variant<TokenClaims, std::string>& r) {
    return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : std::string("<valid>");
}

TEST(Jwt, ValidTokenGivesItsClaims) {
    auto r = check(token(R"({"sub":"u1","name":"Ada","exp":)" + std::to_string(kNowSeconds + 600) +
                         R"(,"rooms":["general","doc-*"],"sessions":["ai-*"],"roles":["agent"]})"));
    ASSERT_TRUE(std::holds_alternative<TokenClaims>(r)) << errorOf(r);
    const auto& claims = std::get<TokenClaims>(r);
    EXPECT_EQ(claims.subject, "u1");
    EXPECT_EQ(claims.name, "Ada");
    EXPECT_EQ(claims.expiresAtMs, (kNowSeconds + 600) * 1000);
    ASSERT_TRUE(claims.rooms.has_value());
    EXPECT_EQ(claims.rooms->size(), 2u);
    ASSERT_TRUE(claims.sessions.has_value());
    EXPECT_EQ(claims.roles, std::vector<std::string>{"agent"});
}

TEST(Jwt, BadSignatureIsRefused) {
    EXPECT_EQ(errorOf(check(token(R"({"sub":"u1"})", "HS256", "bad"))), "invalid JWT signature");
}

TEST(Jwt, OnlyTheConfiguredAlgorithmIsAccepted) {
    EXPECT_EQ(errorOf(check(token(R"({"sub":"u1"})", "none", ""))), "JWT alg must be HS256");
    EXPECT_EQ(errorOf(check(token(R"({"sub":"u1"})", "RS256"))), "JWT alg must be HS256");
    JwtPolicy rs;
    rs.algorithm = "RS256";
    EXPECT_EQ(errorOf(check(token(R"({"sub":"u1"})", "HS256"), rs)), "JWT alg must be RS256");
}

TEST(Jwt, SubIsRequired) {
    EXPECT_EQ(errorOf(check(token(R"({"name":"x"})"))), "JWT needs a sub claim");
    EXPECT_EQ(errorOf(check(token(R"({"sub":""})"))), "JWT needs a sub claim");
    EXPECT_EQ(errorOf(check(token(R"({"sub":7})"))), "JWT needs a sub claim");
}

TEST(Jwt, ExpIsRequiredOnlyWhereThePolicySays) {
    EXPECT_TRUE(std::holds_alternative<TokenClaims>(check(token(R"({"sub":"u1"})"))));
    JwtPolicy strict;
    strict.requireExp = true;
    EXPECT_EQ(errorOf(check(token(R"({"sub":"u1"})"), strict)), "JWT needs an exp claim");
}

TEST(Jwt, TimeClaimsAllowThirtySecondsOfSkew) {
    auto withExp = [](std::int64_t exp) { return token(R"({"sub":"u1","exp":)" + std::to_string(exp) + "}"); };
    EXPECT_TRUE(std::holds_alternative<TokenClaims>(check(withExp(kNowSeconds - 29))));
    EXPECT_EQ(errorOf(check(withExp(kNowSeconds - 30))), "JWT expired");
    auto withNbf = [](std::int64_t nbf) { return token(R"({"sub":"u1","nbf":)" + std::to_string(nbf) + "}"); };
    EXPECT_TRUE(std::holds_alternative<TokenClaims>(check(withNbf(kNowSeconds + 30))));
    EXPECT_EQ(errorOf(check(withNbf(kNowSeconds + 31))), "JWT not valid yet");
    auto withIat = [](std::int64_t iat) { return token(R"({"sub":"u1","iat":)" + std::to_string(iat) + "}"); };
    EXPECT_EQ(errorOf(check(withIat(kNowSeconds + 31))), "JWT issued in the future");
    EXPECT_EQ(errorOf(check(token(R"({"sub":"u1","exp":"tomorrow"})"))), "JWT time claims must be numbers");
}

TEST(Jwt, AudienceAndIssuerAreCheckedWhenConfigured) {
    JwtPolicy policy;
    policy.audience = "brolostack";
    policy.issuer = "https://auth.example";
    EXPECT_TRUE(std::holds_alternative<TokenClaims>(
        check(token(R"({"sub":"u1","aud":["x","brolostack"],"iss":"https://auth.example"})"), policy)));
    EXPECT_EQ(errorOf(check(token(R"({"sub":"u1","aud":"other","iss":"https://auth.example"})"), policy)),
              "JWT audience mismatch");
    EXPECT_EQ(errorOf(check(token(R"({"sub":"u1","aud":"brolostack"})"), policy)), "JWT issuer mismatch");
}

TEST(Jwt, MalformedTokensAreRefusedWithoutCrashing) {
    const std::vector<std::string> malformed{"", "abc", "a.b", "a.b.c.d", "!!.??.**", token("not json"), token("[1]"),
                                  token(R"({"sub":"u1","rooms":"general"})"), std::string(9000, 'a')};
    for (const auto& bad : malformed) {
        EXPECT_TRUE(std::holds_alternative<std::string>(check(bad))) << bad;
    }
    // Nesting in claims is capped like every other untrusted JSON.
    EXPECT_TRUE(std::holds_alternative<std::string>(check(token(R"({"sub":"u1","x":[[[[[[[[[[1]]]]]]]]]]})"))));
}

TEST(Jwt, Base64UrlDecodesWithoutPadding) {
    EXPECT_EQ(base64UrlDecode("aGk"), "hi");
    EXPECT_EQ(base64UrlDecode("-_8"), std::string("\xfb\xff", 2));
    EXPECT_FALSE(base64UrlDecode("aGk=").has_value());
    EXPECT_FALSE(base64UrlDecode("a").has_value());
    // Every byte value, at every length's padding, comes back as it went.
    std::string bytes;
    for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
    for (std::size_t n : {0u, 1u, 2u, 3u, 4u, 255u, 256u})
        EXPECT_EQ(base64UrlDecode(brolostack::server::base64UrlEncode(bytes.substr(0, n))), bytes.substr(0, n)) << n;
    EXPECT_EQ(brolostack::server::base64UrlEncode("hi"), "aGk");
}

TEST(Jwt, RoomPatternsHaveATrailingWildcard) {
    std::vector<std::string> patterns{"general", "doc-*"};
    EXPECT_TRUE(matchesAnyPattern("general", patterns));
    EXPECT_TRUE(matchesAnyPattern("doc-", patterns));
    EXPECT_TRUE(matchesAnyPattern("doc-123", patterns));
    EXPECT_FALSE(matchesAnyPattern("general2", patterns));
    EXPECT_FALSE(matchesAnyPattern("docs", patterns));
    EXPECT_TRUE(matchesAnyPattern("anything", {"*"}));
    EXPECT_FALSE(matchesAnyPattern("x", {}));
}

// Near misses of a pattern: only the trailing `*` is a wildcard, and only
// at the end; everything else compares whole and by case.
TEST(Jwt, RoomPatternsRefuseNearMisses) {
    std::vector<std::string> patterns{"general", "doc-*"};
    for (const char* room : {"General", "GENERAL", "general ", " general", "genera", "generall", "xgeneral", "Doc-1",
                             "doc", "do", "xdoc-1", "doc_1", "$doc-1"}) {
        EXPECT_FALSE(matchesAnyPattern(room, patterns)) << room;
    }
    EXPECT_FALSE(matchesAnyPattern("a-b", {"a*b"})) << "a * inside a pattern is a literal";
    EXPECT_TRUE(matchesAnyPattern("a*b", {"a*b"}));
    EXPECT_FALSE(matchesAnyPattern("doc-1", {"*doc-1"}));
}

// Near misses of a key: a prefix, an extension, another case, padding.
TEST(Jwt, ApiKeysMustMatchWhole) {
    brolostack::server::Authenticator auth(std::vector<brolostack::config::ApiKey>{{"web", "s3cr3t-key"}});
    for (const char* key : {"s3cr3t-ke", "s3cr3t-key2", "S3CR3T-KEY", " s3cr3t-key", "s3cr3t-key ", "s3cr3t-key\n", "",
                            "xs3cr3t-key"}) {
        EXPECT_EQ(auth.checkApiKey(key).outcome, brolostack::server::AuthOutcome::Invalid) << "'" << key << "'";
    }
    EXPECT_EQ(auth.checkApiKey(std::string("s3cr3t-key\0", 11)).outcome, brolostack::server::AuthOutcome::Invalid);
    EXPECT_EQ(auth.checkApiKey("s3cr3t-key").outcome, brolostack::server::AuthOutcome::Authenticated);
}

// Near misses of claims: audience and issuer compare whole, by case, with
// no trailing slash forgiven; sub must be a string.
TEST(Jwt, AudienceIssuerAndSubRefuseNearMisses) {
    JwtPolicy policy;
    policy.audience = "brolostack";
    policy.issuer = "https://auth.example";
    const std::string iss = R"("iss":"https://auth.example")";
    for (const char* aud : {R"("Brolostack")", R"("brolostack ")", R"("brolostack2")", R"("brolo")", R"(["brolostackx"])", R"([])", "null"}) {
        EXPECT_TRUE(std::holds_alternative<std::string>(check(token(std::string(R"({"sub":"u1","aud":)") + aud + "," + iss + "}"), policy)))
            << aud;
    }
    for (const char* issuer : {"https://auth.example/", "http://auth.example", "https://auth.example.evil", "https://AUTH.example"}) {
        EXPECT_TRUE(std::holds_alternative<std::string>(
            check(token(std::string(R"({"sub":"u1","aud":"brolostack","iss":")") + issuer + "\"}"), policy)))
            << issuer;
    }
    for (const char* sub : {R"("")", "1", "null", R"(["u1"])"}) {
        EXPECT_TRUE(std::holds_alternative<std::string>(check(token(std::string(R"({"sub":)") + sub + "}")))) << sub;
    }
}

TEST(Jwt, AuthenticatorTellsJwtsFromApiKeys) {
    brolostack::server::JwtSetup setup{JwtPolicy{}, fakeVerifier};
    brolostack::server::Authenticator auth(std::vector<brolostack::config::ApiKey>{{"web", "k1"}}, setup);
    auto viaJwt = auth.checkBearer(token(R"({"sub":"u9"})"), kNow);
    EXPECT_EQ(viaJwt.outcome, brolostack::server::AuthOutcome::Authenticated);
    EXPECT_EQ(viaJwt.identity.userId, "u9");
    auto viaKey = auth.checkBearer("k1", kNow);
    EXPECT_EQ(viaKey.identity.userId, "key:web");
    EXPECT_EQ(auth.checkBearer("k2", kNow).outcome, brolostack::server::AuthOutcome::Invalid);
    brolostack::server::Authenticator keysOnly(std::vector<brolostack::config::ApiKey>{{"web", "k1"}});
    EXPECT_EQ(keysOnly.checkToken(token(R"({"sub":"u9"})"), kNow).outcome,
              brolostack::server::AuthOutcome::Invalid);
}

}  // namespace
