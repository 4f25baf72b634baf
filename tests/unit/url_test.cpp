// Request targets: percent-decoding and query strings (the HTTP API's URLs).
#include "url.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace {

using brolostack::native::parseTarget;
using brolostack::native::percentDecode;

TEST(PercentDecode, DecodesEscapesOfEitherCase) {
    EXPECT_EQ(percentDecode("a%20b", false), "a b");
    EXPECT_EQ(percentDecode("%24session%3Aabc", false), "$session:abc");
    EXPECT_EQ(percentDecode("%24session%3aabc", false), "$session:abc");
    EXPECT_EQ(percentDecode("%C3%A9", false), "\xC3\xA9");
    EXPECT_EQ(percentDecode("", false), "");
    EXPECT_EQ(percentDecode("plain", false), "plain");
}

TEST(PercentDecode, EscapeAtTheVeryEndIsDecoded) {
    EXPECT_EQ(percentDecode("ab%41", false), "abA");
    EXPECT_EQ(percentDecode("%41", false), "A");
}

TEST(PercentDecode, EncodedNulIsKept) {
    auto decoded = percentDecode("a%00b", false);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, std::string("a\0b", 3));
}

TEST(PercentDecode, MalformedEscapesAreRefused) {
    for (const char* bad : {"%", "%4", "a%", "a%4", "%zz", "%4g", "%g4", "100%", "%%41"})
        EXPECT_FALSE(percentDecode(bad, false)) << bad;
}

// The input is a view: bytes beyond its end must never complete an escape.
TEST(PercentDecode, EscapeCutByTheEndOfTheViewIsRefused) {
    const std::string buffer = "a%41";
    EXPECT_FALSE(percentDecode(std::string_view(buffer).substr(0, 3), false));
    EXPECT_FALSE(percentDecode(std::string_view(buffer).substr(0, 2), false));
    EXPECT_EQ(percentDecode(std::string_view(buffer), false), "aA");
    EXPECT_FALSE(parseTarget(std::string_view("/x?k=%41", 7)));
}

TEST(PercentDecode, PlusIsASpaceOnlyWhenAsked) {
    EXPECT_EQ(percentDecode("a+b", true), "a b");
    EXPECT_EQ(percentDecode("a+b", false), "a+b");
    EXPECT_EQ(percentDecode("a%2Bb", true), "a+b");
}

TEST(PercentDecode, DecodedPercentIsNotDecodedAgain) {
    EXPECT_EQ(percentDecode("%2541", false), "%41");
}

TEST(ParseTarget, SplitsPathAndQuery) {
    auto t = parseTarget("/api/v1/rooms/general/history?sinceOffset=4&epoch=e1&limit=10");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->path, "/api/v1/rooms/general/history");
    EXPECT_EQ(t->query.size(), 3u);
    EXPECT_EQ(t->query.at("sinceOffset"), "4");
    EXPECT_EQ(t->query.at("epoch"), "e1");
    EXPECT_EQ(t->query.at("limit"), "10");
}

TEST(ParseTarget, PathWithoutQuery) {
    auto t = parseTarget("/healthz");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->path, "/healthz");
    EXPECT_TRUE(t->query.empty());
    auto empty = parseTarget("/healthz?");
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->path, "/healthz");
    EXPECT_TRUE(empty->query.empty());
}

TEST(ParseTarget, PathIsPercentDecodedButPlusStaysPlus) {
    auto t = parseTarget("/rooms/%24session%3Aa+b");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->path, "/rooms/$session:a+b");
}

TEST(ParseTarget, EncodedQuestionMarkStaysInThePath) {
    auto t = parseTarget("/a%3Fb?c=d");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->path, "/a?b");
    EXPECT_EQ(t->query.at("c"), "d");
}

TEST(ParseTarget, QueryDecodesPlusAndEscapes) {
    auto t = parseTarget("/x?name=two+words&sym=%26%3D%2B&k%20ey=v");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->query.at("name"), "two words");
    EXPECT_EQ(t->query.at("sym"), "&=+");
    EXPECT_EQ(t->query.at("k ey"), "v");
}

TEST(ParseTarget, RepeatedKeysKeepTheLastValue) {
    auto t = parseTarget("/x?limit=1&limit=2&limit=3");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->query.at("limit"), "3");
    EXPECT_EQ(t->query.size(), 1u);
}

TEST(ParseTarget, EmptyPairsAndBareKeys) {
    auto t = parseTarget("/x?&&a&b=&=c&");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->query.at("a"), "");
    EXPECT_EQ(t->query.at("b"), "");
    EXPECT_EQ(t->query.at(""), "c");
}

TEST(ParseTarget, ValueMayHoldEqualsSigns) {
    auto t = parseTarget("/x?token=a=b==");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->query.at("token"), "a=b==");
}

TEST(ParseTarget, MalformedEscapesAnywhereAreRefused) {
    EXPECT_FALSE(parseTarget("/a%zz"));
    EXPECT_FALSE(parseTarget("/a?x=%"));
    EXPECT_FALSE(parseTarget("/a?x%2=1"));
    EXPECT_FALSE(parseTarget("/a?ok=1&bad=%G0"));
}

}  // namespace
