// libFuzzer target: the JWT parser (segments, base64url, header and claims
// JSON, time and pattern claims) in front of signature checking. The
// verifier accepts every signature, so the fuzzer reaches the claims.
#include "brolostack/server/jwt.hpp"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace server = brolostack::server;
    std::string token(reinterpret_cast<const char*>(data), size);
    server::JwtPolicy policy;
    policy.audience = "brolostack";
    auto anySignature = [](std::string_view, std::string_view, std::string_view) { return true; };
    auto result = server::verifyJwt(token, policy, anySignature, 1'700'000'000'000);
    if (auto* claims = std::get_if<server::TokenClaims>(&result); claims && claims->rooms)
        server::matchesAnyPattern("general", *claims->rooms);
    return 0;
}
