#include "jwt_verifier.hpp"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <cstdio>
#include <memory>

namespace brolostack::native {
namespace {

using PKeyPtr = std::shared_ptr<EVP_PKEY>;

bool verifyHmac(const std::string& secret, std::string_view input, std::string_view signature) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int macLength = 0;
    if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
              reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &macLength))
        return false;
    return signature.size() == macLength && CRYPTO_memcmp(mac, signature.data(), macLength) == 0;
}

/// JOSE carries ECDSA signatures as r || s; OpenSSL wants DER.
std::optional<std::string> joseToDer(std::string_view raw) {
    if (raw.size() != 64) return std::nullopt;
    ECDSA_SIG* sig = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
    BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(sig);
        return std::nullopt;
    }
    unsigned char* der = nullptr;
    int length = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    if (length <= 0) return std::nullopt;
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
    OPENSSL_free(der);
    return out;
}

bool verifyPublicKey(const PKeyPtr& key, bool ecdsa, std::string_view input, std::string_view signature) {
    std::string der;
    if (ecdsa) {
        auto converted = joseToDer(signature);
        if (!converted) return false;
        der = std::move(*converted);
        signature = der;
    }
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) return false;
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                            reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

std::variant<PKeyPtr, std::string> loadPublicKey(const std::string& path, const std::string& algorithm) {
    std::unique_ptr<FILE, decltype(&std::fclose)> file(std::fopen(path.c_str(), "r"), std::fclose);
    if (!file) return "cannot read JWT_PUBLIC_KEY file '" + path + "'";
    EVP_PKEY* key = PEM_read_PUBKEY(file.get(), nullptr, nullptr, nullptr);
    if (!key) return "JWT_PUBLIC_KEY '" + path + "' is not a PEM public key";
    PKeyPtr owned(key, EVP_PKEY_free);
    int type = EVP_PKEY_base_id(key);
    if (algorithm == "RS256" && type != EVP_PKEY_RSA) return std::string("JWT_ALGORITHM RS256 needs an RSA public key");
    if (algorithm == "ES256" && type != EVP_PKEY_EC) return std::string("JWT_ALGORITHM ES256 needs an EC (P-256) public key");
    return owned;
}

}  // namespace

std::variant<std::optional<server::JwtSetup>, std::string> makeJwtSetup(const config::Settings& s) {
    if (!s.jwtEnabled()) return std::optional<server::JwtSetup>{};
    server::JwtSetup setup;
    setup.policy.algorithm = s.jwtAlgorithm;
    if (!s.jwtAudience.empty()) setup.policy.audience = s.jwtAudience;
    if (!s.jwtIssuer.empty()) setup.policy.issuer = s.jwtIssuer;
    setup.policy.requireExp = s.authRequired;
    if (s.jwtAlgorithm == "HS256") {
        setup.verifier = [secret = s.jwtSecret](std::string_view, std::string_view input, std::string_view sig) {
            return verifyHmac(secret, input, sig);
        };
    } else {
        auto key = loadPublicKey(s.jwtPublicKey, s.jwtAlgorithm);
        if (auto* error = std::get_if<std::string>(&key)) return *error;
        bool ecdsa = s.jwtAlgorithm == "ES256";
        setup.verifier = [key = std::get<PKeyPtr>(key), ecdsa](std::string_view, std::string_view input,
                                                               std::string_view sig) {
            return verifyPublicKey(key, ecdsa, input, sig);
        };
    }
    return std::optional<server::JwtSetup>(std::move(setup));
}

}  // namespace brolostack::native
