// The client address behind proxies (trusted_proxies.hpp): X-Forwarded-For
// is believed only as far as trusted hops vouch for it.
#include "trusted_proxies.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace {

using brolostack::native::TrustedProxies;

TrustedProxies proxies(std::vector<std::string> cidrs) {
    auto parsed = TrustedProxies::parse(cidrs);
    EXPECT_TRUE(std::holds_alternative<TrustedProxies>(parsed)) << std::get<std::string>(parsed);
    return std::get<TrustedProxies>(parsed);
}

TEST(TrustedProxies, WithoutTrustedProxiesThePeerIsTheClientWhateverTheHeaderSays) {
    auto none = proxies({});
    EXPECT_EQ(none.clientAddress("203.0.113.9", "1.2.3.4"), "203.0.113.9");
}

TEST(TrustedProxies, ATrustedPeerNamesTheClientAndAnUntrustedOneDoesNot) {
    auto p = proxies({"10.0.0.0/8", "::1"});
    EXPECT_EQ(p.clientAddress("10.1.2.3", "198.51.100.7"), "198.51.100.7");
    EXPECT_EQ(p.clientAddress("::1", "198.51.100.7"), "198.51.100.7");
    EXPECT_EQ(p.clientAddress("::ffff:10.0.0.5", "198.51.100.7"), "198.51.100.7") << "IPv4 seen through IPv6";
    EXPECT_EQ(p.clientAddress("11.0.0.1", "198.51.100.7"), "11.0.0.1") << "not a trusted peer: the header is ignored";
    EXPECT_EQ(p.clientAddress("10.1.2.3", std::nullopt), "10.1.2.3");
}

TEST(TrustedProxies, TheChainIsReadFromTheRightPastTrustedHopsOnly) {
    auto p = proxies({"10.0.0.0/8"});
    // A client forging "1.1.1.1" in front of its real address gains nothing.
    EXPECT_EQ(p.clientAddress("10.0.0.1", "1.1.1.1, 198.51.100.7"), "198.51.100.7");
    EXPECT_EQ(p.clientAddress("10.0.0.1", "198.51.100.7, 10.0.0.2, 10.0.0.3"), "198.51.100.7");
    EXPECT_EQ(p.clientAddress("10.0.0.1", "10.0.0.9"), "10.0.0.9") << "every hop trusted: the leftmost";
    EXPECT_EQ(p.clientAddress("10.0.0.1", "not-an-ip, 198.51.100.7"), "198.51.100.7");
    EXPECT_EQ(p.clientAddress("10.0.0.1", "198.51.100.7, garbage"), "10.0.0.1") << "garbage ends the chain at the last vouched address";
}

TEST(TrustedProxies, NearMissesAreNotTrusted) {
    auto p = proxies({"10.0.0.0/8", "192.168.1.0/24"});
    EXPECT_TRUE(p.trusts("192.168.1.255"));
    EXPECT_FALSE(p.trusts("192.168.2.1"));
    EXPECT_FALSE(p.trusts("11.0.0.0"));
    EXPECT_FALSE(p.trusts("10.0.0.1.evil"));
    EXPECT_FALSE(p.trusts(""));
}

TEST(TrustedProxies, ABadEntryIsNamed) {
    for (const char* bad : {"10.0.0.0/33", "not-a-net", "10.0.0/8", "::1/129"}) {
        auto parsed = TrustedProxies::parse({"10.0.0.0/8", bad});
        ASSERT_TRUE(std::holds_alternative<std::string>(parsed)) << bad;
        EXPECT_NE(std::get<std::string>(parsed).find(bad), std::string::npos);
    }
}

}  // namespace
