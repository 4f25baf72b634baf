// Strict parsing of untrusted JSON text (json.hpp): size cap, depth cap,
// UTF-8 validation, iterative parsing, and compact output.
#include "brolostack/json.hpp"

#include <gtest/gtest.h>

#include <string>

namespace json = brolostack::json;

namespace {

constexpr std::size_t kBig = 1 << 20;
constexpr unsigned kDepth = 32;

json::ParseResult parse(std::string_view text, bool requireObject = true, std::size_t maxBytes = kBig,
                        unsigned maxDepth = kDepth) {
    json::Document doc;
    return json::parseStrict(text, doc, maxBytes, maxDepth, requireObject);
}

// `depth` nested arrays: "[[...]]".
std::string nestedArrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// An object whose innermost value sits `depth` levels deep (the object counts as one).
std::string objectOfDepth(std::size_t depth) {
    return "{\"a\":" + nestedArrays(depth - 1) + "}";
}

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool isValidUtf8(const std::string& s) {
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = 0;
        unsigned cp = 0;
        if (c < 0x80) { ++i; continue; }
        if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
        else return false;
        for (std::size_t k = 1; k <= n; ++k) {
            if (i + k >= s.size()) return false;
            auto t = static_cast<unsigned char>(s[i + k]);
            if ((t & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (t & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF) return false;
        if (cp >= 0xD800 && cp <= 0xDFFF) return false;
        i += n + 1;
    }
    return true;
}

}  // namespace

TEST(JsonParseStrict, AcceptsAnObjectAndFillsTheDocument) {
    json::Document doc;
    auto r = json::parseStrict(R"({"op":"ping","ts":1})", doc, kBig, kDepth, true);
    ASSERT_TRUE(r.ok()) << r.reason;
    EXPECT_EQ(r.failure, json::ParseFailure::None);
    ASSERT_TRUE(doc.IsObject());
    EXPECT_STREQ(doc["op"].GetString(), "ping");
    EXPECT_EQ(doc["ts"].GetInt(), 1);
}

// Integers are held exactly, in the smallest of RapidJSON's kinds that
// holds them, on both sides of the 18 digits read without strtoll; other
// numbers are doubles, and those too big for one are refused.
TEST(JsonParseStrict, NumbersAreReadExactly) {
    json::Document doc;
    ASSERT_TRUE(json::parseStrict("[0,-0,7,-7,2147483647,2147483648,-2147483648,-2147483649,4294967295,4294967296,"
                                  "999999999999999999,-999999999999999999,1000000000000000000,-1000000000000000000,"
                                  "9223372036854775807,9223372036854775808,-9223372036854775808,18446744073709551615,"
                                  "18446744073709551616,-9223372036854775809,1.5,1e2,-0.0]",
                                  doc, kBig, kDepth, false)
                    .ok());
    const auto& a = doc.GetArray();
    ASSERT_EQ(a.Size(), 23u);
    EXPECT_TRUE(a[0].IsInt() && a[0].GetInt() == 0);
    EXPECT_TRUE(a[1].IsInt() && a[1].GetInt() == 0);
    EXPECT_TRUE(a[2].IsInt() && a[2].GetInt() == 7);
    EXPECT_TRUE(a[3].IsInt() && a[3].GetInt() == -7);
    EXPECT_TRUE(a[4].IsInt() && a[4].GetInt() == 2147483647);
    EXPECT_TRUE(!a[5].IsInt() && a[5].IsUint() && a[5].GetUint() == 2147483648u);
    EXPECT_TRUE(a[6].IsInt() && a[6].GetInt() == INT32_MIN);
    EXPECT_TRUE(!a[7].IsInt() && a[7].IsInt64() && a[7].GetInt64() == -2147483649LL);
    EXPECT_TRUE(a[8].IsUint() && a[8].GetUint() == 4294967295u);
    EXPECT_TRUE(!a[9].IsUint() && a[9].IsInt64() && a[9].GetInt64() == 4294967296LL);
    EXPECT_TRUE(a[10].IsInt64() && a[10].GetInt64() == 999999999999999999LL);
    EXPECT_TRUE(a[11].IsInt64() && a[11].GetInt64() == -999999999999999999LL);
    EXPECT_TRUE(a[12].IsInt64() && a[12].GetInt64() == 1000000000000000000LL);
    EXPECT_TRUE(a[13].IsInt64() && a[13].GetInt64() == -1000000000000000000LL);
    EXPECT_TRUE(a[14].IsInt64() && a[14].GetInt64() == INT64_MAX);
    EXPECT_TRUE(!a[15].IsInt64() && a[15].IsUint64() && a[15].GetUint64() == 9223372036854775808ULL);
    EXPECT_TRUE(a[16].IsInt64() && a[16].GetInt64() == INT64_MIN);
    EXPECT_TRUE(a[17].IsUint64() && a[17].GetUint64() == UINT64_MAX);
    EXPECT_TRUE(a[18].IsDouble() && a[18].GetDouble() == 18446744073709551616.0);
    EXPECT_TRUE(a[19].IsDouble() && a[19].GetDouble() == -9223372036854775809.0);
    EXPECT_TRUE(a[20].IsDouble() && a[20].GetDouble() == 1.5);
    EXPECT_TRUE(a[21].IsDouble() && a[21].GetDouble() == 100.0);
    EXPECT_TRUE(a[22].IsDouble() && a[22].GetDouble() == 0.0);
    EXPECT_EQ(json::toString(doc), "[0,0,7,-7,2147483647,2147483648,-2147483648,-2147483649,4294967295,4294967296,"
                                   "999999999999999999,-999999999999999999,1000000000000000000,-1000000000000000000,"
                                   "9223372036854775807,9223372036854775808,-9223372036854775808,18446744073709551615,"
                                   "18446744073709553000.0,-9223372036854776000.0,1.5,100.0,-0.0]");
    EXPECT_FALSE(json::parseStrict("[1e400]", doc, kBig, kDepth, false).ok());
    EXPECT_FALSE(json::parseStrict("[-" + std::string(400, '9') + "]", doc, kBig, kDepth, false).ok());
}

// A frame is one JSON object (PROTOCOL.md section 1); other values are refused.
TEST(JsonParseStrict, NonObjectTopLevelFailsWhenAnObjectIsRequired) {
    for (const char* text : {"[]", "[1,2]", "\"text\"", "42", "-1.5", "null", "true", "false"}) {
        SCOPED_TRACE(text);
        auto r = parse(text, true);
        EXPECT_EQ(r.failure, json::ParseFailure::NotAnObject);
        EXPECT_FALSE(r.ok());
        EXPECT_FALSE(r.reason.empty());
    }
}

TEST(JsonParseStrict, NonObjectTopLevelIsFineWhenNotRequired) {
    for (const char* text : {"[]", "\"text\"", "42", "null", "true"}) {
        SCOPED_TRACE(text);
        EXPECT_TRUE(parse(text, false).ok());
    }
}

TEST(JsonParseStrict, TextLargerThanMaxBytesIsTooLarge) {
    std::string text = R"({"a":")" + std::string(100, 'x') + "\"}";
    auto r = parse(text, true, text.size() - 1);
    EXPECT_EQ(r.failure, json::ParseFailure::TooLarge);
    EXPECT_NE(r.reason.find(std::to_string(text.size() - 1)), std::string::npos) << r.reason;
}

TEST(JsonParseStrict, TextOfExactlyMaxBytesIsAccepted) {
    std::string text = R"({"a":")" + std::string(100, 'x') + "\"}";
    EXPECT_TRUE(parse(text, true, text.size()).ok());
}

// The size cap is checked before any parsing: an oversized text is too large
// even when it is not JSON at all.
TEST(JsonParseStrict, SizeIsCheckedBeforeSyntax) {
    EXPECT_EQ(parse("not json at all", true, 4).failure, json::ParseFailure::TooLarge);
}

TEST(JsonParseStrict, NestingUpToMaxDepthIsAccepted) {
    EXPECT_TRUE(parse(objectOfDepth(kDepth)).ok());
    EXPECT_TRUE(parse(nestedArrays(kDepth), false).ok());
}

TEST(JsonParseStrict, NestingOneDeeperThanMaxDepthIsTooDeep) {
    auto r = parse(objectOfDepth(kDepth + 1));
    EXPECT_EQ(r.failure, json::ParseFailure::TooDeep);
    EXPECT_NE(r.reason.find("32"), std::string::npos) << r.reason;
    EXPECT_EQ(parse(nestedArrays(kDepth + 1), false).failure, json::ParseFailure::TooDeep);
}

// Hostile nesting must never reach recursive code (parse, Accept, destructors).
TEST(JsonParseStrict, HundredThousandOpenBracketsFailWithoutCrashing) {
    std::string text(100000, '[');
    EXPECT_EQ(parse(text, false).failure, json::ParseFailure::TooDeep);
    EXPECT_EQ(parse(text, true).failure, json::ParseFailure::TooDeep);
    EXPECT_EQ(parse(nestedArrays(100000), false).failure, json::ParseFailure::TooDeep);
    std::string objects;
    for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
    EXPECT_EQ(parse(objects).failure, json::ParseFailure::TooDeep);
}

TEST(JsonParseStrict, DepthIsCountedPerPathNotPerValue) {
    // Many siblings at depth 2 are fine: depth goes back down after each.
    std::string text = "{\"a\":[";
    for (int i = 0; i < 1000; ++i) text += (i ? ",[]" : "[]");
    text += "]}";
    EXPECT_TRUE(parse(text, true, kBig, 3).ok());
    EXPECT_EQ(parse(text, true, kBig, 2).failure, json::ParseFailure::TooDeep);
}

TEST(JsonParseStrict, SyntaxErrorsReportAnOffsetAndAReason) {
    auto r = parse(R"({"a":1,})");
    EXPECT_EQ(r.failure, json::ParseFailure::Syntax);
    EXPECT_EQ(r.offset, 7u);
    EXPECT_NE(r.reason.find("at byte 7"), std::string::npos) << r.reason;
}

TEST(JsonParseStrict, RejectsWhatStrictJsonForbids) {
    const char* bad[] = {
        "",                       // empty
        "   ",                    // whitespace only
        "{",                      // truncated
        R"({"a":1,})",            // trailing comma
        R"({'a':1})",             // single quotes
        R"({"a":01})",            // leading zero
        R"({"a":NaN})",           // not a JSON number
        R"({"a":Infinity})",      //
        R"({"a":1e400})",         // number too big
        R"({/*c*/"a":1})",        // comments
        R"({"a":"\x"})",          // bad escape
        "{\"a\":\"line\nbreak\"}", // raw control character in a string
        R"({"a":1}{"b":2})",      // two values
        R"({"a":1} x)",           // trailing garbage
        R"({"a":tru})",           // broken literal
        R"({"a":"\ud800"})",      // lone high surrogate escape
        R"({"a":"\ud800\u0041"})", // high surrogate followed by a non-surrogate
    };
    for (const char* text : bad) {
        SCOPED_TRACE(text);
        auto r = parse(text);
        EXPECT_EQ(r.failure, json::ParseFailure::Syntax) << r.reason;
    }
}

TEST(JsonParseStrict, TrailingWhitespaceIsAccepted) {
    EXPECT_TRUE(parse("  {\"a\":1} \r\n\t").ok());
}

// "A text frame holds exactly one UTF-8 JSON object" (PROTOCOL.md section 1):
// bytes after the object are not allowed, even behind a NUL byte.
TEST(JsonParseStrict, BytesAfterANulFollowingTheObjectAreRejected) {
    using namespace std::string_literals;
    auto r = parse("{\"a\":1}\0garbage"s);
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(parse("{\"a\":1}\0"s).ok());
}

TEST(JsonParseStrict, NulByteInsideTheObjectIsRejected) {
    using namespace std::string_literals;
    EXPECT_EQ(parse("{\"a\":\0 1}"s).failure, json::ParseFailure::Syntax);
    EXPECT_EQ(parse("{\"a\":\"x\0y\"}"s).failure, json::ParseFailure::Syntax);
    EXPECT_FALSE(parse("\0{\"a\":1}"s).ok());
}

TEST(JsonParseStrict, InvalidUtf8BytesAreRejected) {
    const std::string bad[] = {
        "{\"a\":\"\xff\"}",              // never valid
        "{\"a\":\"\xc3\"}",              // truncated 2-byte sequence
        "{\"a\":\"\xe2\x82\"}",          // truncated 3-byte sequence
        "{\"a\":\"\x80\"}",              // lone continuation byte
        "{\"a\":\"\xc0\x80\"}",          // overlong NUL
        "{\"a\":\"\xe0\x80\xaf\"}",      // overlong '/'
        "{\"a\":\"\xed\xa0\x80\"}",      // UTF-16 surrogate encoded in UTF-8
        "{\"a\":\"\xf4\x90\x80\x80\"}",  // above U+10FFFF
        "{\"a\":\"\xf5\x80\x80\x80\"}",  // invalid lead byte
        "{\"\xff\":1}",                  // in a key
    };
    for (const auto& text : bad) {
        SCOPED_TRACE(::testing::PrintToString(text));
        EXPECT_EQ(parse(text).failure, json::ParseFailure::Syntax);
    }
}

TEST(JsonParseStrict, ValidMultiByteUtf8IsAccepted) {
    json::Document doc;
    std::string text = "{\"a\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\",\"b\":\"\\ud83d\\ude00\"}";
    ASSERT_TRUE(json::parseStrict(text, doc, kBig, kDepth, true).ok());
    EXPECT_EQ(std::string(doc["a"].GetString()), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    EXPECT_EQ(std::string(doc["b"].GetString()), "\xf0\x9f\x98\x80");  // escaped pair decodes to U+1F600
}

// parseStrict promises "valid UTF-8 only": a `\udc00` escape (a lone low
// surrogate) has no UTF-8 form, so it must be refused rather than stored as
// the invalid bytes ED B0 80 that would later be sent in a text frame.
TEST(JsonParseStrict, LoneLowSurrogateEscapeIsRejected) {
    json::Document doc;
    auto r = json::parseStrict(R"({"a":"x\udc00y"})", doc, kBig, kDepth, true);
    if (r.ok()) {
        ASSERT_TRUE(doc["a"].IsString());
        std::string decoded(doc["a"].GetString(), doc["a"].GetStringLength());
        EXPECT_TRUE(isValidUtf8(decoded)) << "decoded to invalid UTF-8: " << ::testing::PrintToString(decoded);
        EXPECT_TRUE(isValidUtf8(json::toString(doc)));
    }
    EXPECT_EQ(r.failure, json::ParseFailure::Syntax);
}

TEST(JsonParseStrict, FailureLeavesTheDocumentNull) {
    json::Document doc;
    doc.SetObject();
    auto r = json::parseStrict(R"({"a":[1,2,)", doc, kBig, kDepth, true);
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(doc.IsNull());
}

TEST(JsonParseStrict, MalformedInputNeverTripsAnInternalAssert) {
    auto before = json::internalAssertCount();
    const char* texts[] = {"", "{", "[", "}", "]", "{\"a\"", "{\"a\":", "{\"a\":[}", "[{]", "{1:2}", "nul"};
    for (const char* text : texts) {
        parse(text);
        parse(text, false);
    }
    parse(std::string(5000, '['), false);
    parse(std::string(5000, '{'), false);
    EXPECT_EQ(json::internalAssertCount(), before);
}

TEST(JsonToString, WritesCompactJsonInMemberOrder) {
    json::Document doc;
    ASSERT_TRUE(json::parseStrict("{ \"z\" : [1, 2.5, true, null],\n \"a\" : {\"k\" : \"v\"} }", doc, kBig, kDepth,
                                  true)
                    .ok());
    EXPECT_EQ(json::toString(doc), R"({"z":[1,2.5,true,null],"a":{"k":"v"}})");
}

TEST(JsonToString, EscapesWhatJsonRequiresAndKeepsUtf8) {
    json::Document doc;
    ASSERT_TRUE(json::parseStrict("{\"s\":\"q\\\" b\\\\ nl\\n tab\\t ctl\\u0001 caf\xc3\xa9\"}", doc, kBig, kDepth,
                                  true)
                    .ok());
    EXPECT_EQ(json::toString(doc), "{\"s\":\"q\\\" b\\\\ nl\\n tab\\t ctl\\u0001 caf\xc3\xa9\"}");
}

TEST(JsonToString, OutputParsesBackToTheSameText) {
    const char* text = R"({"a":{"b":[{"c":-1},{"d":"e"}]},"f":1732550000000,"g":-9007199254740991})";
    json::Document doc;
    ASSERT_TRUE(json::parseStrict(text, doc, kBig, kDepth, true).ok());
    std::string once = json::toString(doc);
    EXPECT_EQ(once, text);
    json::Document again;
    ASSERT_TRUE(json::parseStrict(once, again, kBig, kDepth, true).ok());
    EXPECT_EQ(json::toString(again), once);
}

TEST(JsonWriteHelpers, WriteStringKeyAndRaw) {
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    json::writeKey(w, std::string_view("key\"x", 5));
    json::writeString(w, std::string_view("a\0b", 3));
    json::writeKey(w, "raw");
    json::writeRaw(w, R"({"n":1})");
    w.EndObject();
    EXPECT_EQ(std::string(buffer.GetString(), buffer.GetSize()), R"({"key\"x":"a\u0000b","raw":{"n":1}})");
}
