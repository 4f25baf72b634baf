// decodeMessageFrame (the client's path for `message` frames, no document)
// against decodeServerFrame: the same frame for every text the general
// decoder takes as a message, and nothing for every text it refuses.
#include "brolostack/protocol/codec.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bp = brolostack::protocol;

namespace {

const bp::DecodeLimits kWebSocketText{1024 * 1024, 32, true};

/// Both paths, under default limits and as WebSocket text (knownUtf8).
::testing::AssertionResult sameAsGeneral(const std::string& text, bool expectMessage) {
    for (const bp::DecodeLimits& limits : {bp::DecodeLimits{}, kWebSocketText}) {
        auto general = bp::decodeServerFrame(text, limits);
        const bp::MessageFrame* want = general.frame ? std::get_if<bp::MessageFrame>(&*general.frame) : nullptr;
        auto fast = bp::decodeMessageFrame(text, limits);
        if (!want) {
            if (fast) return ::testing::AssertionFailure() << "general path refused or is not a message, fast path took " << text;
            if (expectMessage) return ::testing::AssertionFailure() << "general path refused " << text;
            continue;
        }
        if (!expectMessage) return ::testing::AssertionFailure() << "general path took " << text;
        if (!fast) return ::testing::AssertionFailure() << "fast path declined " << text;
        if (!(*fast == *want))
            return ::testing::AssertionFailure() << "frames differ: " << bp::encodeServerFrame(*fast) << " vs "
                                                 << bp::encodeServerFrame(*want);
        auto lean = bp::decodeMessageFrame(text, limits, false);
        if (!lean) return ::testing::AssertionFailure() << "fast path without data declined " << text;
        if (!lean->dataJson.empty()) return ::testing::AssertionFailure() << "dataJson kept without withData";
        bp::MessageFrame withoutData = *want;
        withoutData.dataJson.clear();
        if (!(*lean == withoutData)) return ::testing::AssertionFailure() << "frame without data differs for " << text;
    }
    return ::testing::AssertionSuccess();
}

}  // namespace

TEST(DecodeMessage, TakesWhatTheGeneralDecoderTakes) {
    const std::vector<std::string> texts = {
        // As the server writes them.
        R"({"op":"message","room":"bench","event":"chat","data":{"text":"message 1","author":"ada","n":1},"from":{"sid":"c-2","user":null},"offset":2,"epoch":"e","ts":1732550000001})",
        R"({"op":"message","room":"r","event":"e","data":null,"offset":0,"epoch":"","ts":0})",
        R"({"op":"message","room":"r","event":"e","offset":1,"epoch":"x","ts":-5,"mid":"m-1"})",
        R"({"op":"message","room":"$session:s","event":"e","data":[1,-2,3.5,true,false,null,"s",{"a":[{}]},[]],"from":{"sid":"s","user":"u"},"offset":9007199254740991,"epoch":"e","ts":9223372036854775807})",
        // Fields in any order, whitespace, unknown fields, escapes, non-ASCII.
        "{ \"ts\" : 1 , \"epoch\" : \"e\", \"offset\" : 3, \"extra\": {\"op\": \"reply\", \"room\": 5}, \"event\": \"\\u0063hat\", "
        "\"room\": \"r\", \"op\": \"message\", \"data\": \"caf\\u00e9 \xc3\xa9 \\ud83d\\ude00\" }",
        // Numbers written out again by the general path: shortest doubles, big integers.
        R"({"op":"message","room":"r","event":"e","data":{"d":1.50,"e":1e2,"f":-0,"g":-0.0,"h":12345678901234567890,"i":-9223372036854775808,"j":123456789012345678901234567890,"k":4294967295,"l":2147483648,"m":-2147483649},"offset":1,"epoch":"e","ts":1})",
        // The first of duplicate keys counts, also when it is null.
        R"({"op":"message","room":"r","room":"bad room","event":"e","offset":1,"offset":"x","epoch":"e","ts":1})",
        R"({"op":"message","room":"r","event":"e","mid":null,"mid":"","offset":1,"epoch":"e","ts":1})",
        R"({"op":"message","room":"r","event":"e","data":null,"data":{"a":1},"offset":1,"epoch":"e","ts":1})",
        R"({"op":"message","room":"r","event":"e","from":null,"from":5,"offset":1,"epoch":"e","ts":1})",
        R"({"op":"message","room":"r","event":"e","from":{"sid":"a","sid":7,"user":null,"user":[]},"offset":1,"epoch":"e","ts":1})",
        R"({"op":"message","room":"r","event":"e","from":{"other":{"sid":5},"sid":"a"},"offset":1,"epoch":"e","ts":1})",
        R"({"op":"message","room":"r","event":"e","from":{},"offset":1,"epoch":"e","ts":1})",
        // Around the plain JSON read without RapidJSON: space everywhere, empty
        // containers, literals, zero, and what only RapidJSON reads (escapes,
        // fractions, exponents).
        " \n\t\r{ \"op\" :\"message\" ,\"room\":\"r\",\"event\":\"e\",\"data\" : [ ] , \"x\":{ } ,\"offset\":0,\"epoch\":\"\",\"ts\":-0 } \r\n",
        R"({"op":"message","room":"r","event":"e","data":[true,false,null,0,-1,{"":""},[[]]],"offset":1,"epoch":"e","ts":1})",
        R"({"op":"message","room":"r","event":"e","data":{"t":"a\"b\\c\/\b\f\n\r\t\u0000"},"offset":1,"epoch":"e","ts":1})",
        R"({"op":"message","room":"r","event":"e","data":[0.5,-1E-2,2e+3,0e0],"offset":1,"epoch":"e","ts":1})",
        R"({"op":"mess\u0061ge","room":"r","event":"e","offset":1,"epoch":"e","ts":1})",
        // Edges of the lengths and ranges.
        R"({"op":"message","room":"r","event":"e","from":{"user":""},"offset":0,"epoch":"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee","ts":-9223372036854775808})",
    };
    for (const auto& text : texts) EXPECT_TRUE(sameAsGeneral(text, true)) << text;
}

TEST(DecodeMessage, DeclinesWhatTheGeneralDecoderRefuses) {
    const std::string tail = R"(,"offset":1,"epoch":"e","ts":1})";
    const std::vector<std::string> texts = {
        // Other ops, and no op.
        R"({"op":"reply","ref":1,"ok":true,"data":{}})",
        R"({"op":"presence","room":"r","action":"join","member":{"sid":"s"},"memberCount":1})",
        R"({"room":"r","event":"e")" + tail,
        R"({"op":null,"op":"message","room":"r","event":"e")" + tail,
        R"({"op":"Message","room":"r","event":"e")" + tail,
        R"({"op":7,"room":"r","event":"e")" + tail,
        // Not a frame.
        "", "null", "[]", R"("message")", "{", R"({"op":"message"} {})", std::string(R"({"op":"message"})") + '\0',
        R"({"op":"message","room":"r","event":"e","offset":1,"epoch":"e","ts":1)",
        R"({"op":"message","room":"r","event":"e","offset":1,"epoch":"e","ts":1,})",
        // Missing or wrong fields.
        R"({"op":"message","event":"e")" + tail,
        R"({"op":"message","room":null,"event":"e")" + tail,
        R"({"op":"message","room":"","event":"e")" + tail,
        R"({"op":"message","room":"bad room","event":"e")" + tail,
        R"({"op":"message","room":")" + std::string(129, 'r') + R"(","event":"e")" + tail,
        R"({"op":"message","room":["r"],"event":"e")" + tail,
        R"({"op":"message","room":"r")" + tail,
        R"({"op":"message","room":"r","event":"")" + tail,
        R"({"op":"message","room":"r","event":")" + std::string(65, 'e') + '"' + tail,
        R"({"op":"message","room":"r","event":{"e":1})" + tail,
        R"({"op":"message","room":"r","event":"e","from":"s")" + tail,
        R"({"op":"message","room":"r","event":"e","from":[])" + tail,
        R"({"op":"message","room":"r","event":"e","from":{"sid":""})" + tail,
        R"({"op":"message","room":"r","event":"e","from":{"sid":5})" + tail,
        R"({"op":"message","room":"r","event":"e","from":{"sid":{"a":"b"}})" + tail,
        R"({"op":"message","room":"r","event":"e","from":{"user":true})" + tail,
        R"({"op":"message","room":"r","event":"e","from":{"user":")" + std::string(1025, 'u') + R"("})" + tail,
        R"({"op":"message","room":"r","event":"e","mid":"")" + tail,
        R"({"op":"message","room":"r","event":"e","mid":5)" + tail,
        R"({"op":"message","room":"r","event":"e","mid":")" + std::string(65, 'm') + '"' + tail,
        R"({"op":"message","room":"r","event":"e","epoch":"e","ts":1})",
        R"({"op":"message","room":"r","event":"e","offset":-1,"epoch":"e","ts":1})",
        R"({"op":"message","room":"r","event":"e","offset":1.0,"epoch":"e","ts":1})",
        R"({"op":"message","room":"r","event":"e","offset":9007199254740992,"epoch":"e","ts":1})",
        R"({"op":"message","room":"r","event":"e","offset":18446744073709551616,"epoch":"e","ts":1})",
        R"({"op":"message","room":"r","event":"e","offset":"1","epoch":"e","ts":1})",
        R"({"op":"message","room":"r","event":"e","offset":null,"epoch":"e","ts":1})",
        R"({"op":"message","room":"r","event":"e","offset":1,"ts":1})",
        R"({"op":"message","room":"r","event":"e","offset":1,"epoch":5,"ts":1})",
        R"({"op":"message","room":"r","event":"e","offset":1,"epoch":")" + std::string(65, 'e') + R"(","ts":1})",
        R"({"op":"message","room":"r","event":"e","offset":1,"epoch":"e"})",
        R"({"op":"message","room":"r","event":"e","offset":1,"epoch":"e","ts":1.5})",
        R"({"op":"message","room":"r","event":"e","offset":1,"epoch":"e","ts":9223372036854775808})",
        R"({"op":"message","room":"r","event":"e","offset":1,"epoch":"e","ts":"1"})",
        R"({"op":"message","room":"r","event":"e","offset":1,"epoch":"e","ts":[1]})",
        // Bad JSON anywhere, also inside data and unknown fields.
        R"({"op":"message","room":"r","event":"e","data":1e400)" + tail,
        R"({"op":"message","room":"r","event":"e","data":[-1e999])" + tail,
        R"({"op":"message","room":"r","event":"e","data":)" + std::string(400, '9') + tail,
        R"({"op":"message","room":"r","event":"e","x":"\udc00")" + tail,
        R"({"op":"message","room":"r","event":"e","data":{"\ud800":1})" + tail,
        R"({"op":"message","room":"r","event":"e","data":"\x")" + tail,
        R"({"op":"message","room":"r","event":"e","data":01)" + tail,
        R"({"op":"message","room":"r","event":"e","data":)" + std::string(40, '[') + std::string(40, ']') + tail,
        R"({"op":"message","room":"r","event":"e","data":[tru])" + tail,
        R"({"op":"message","room":"r","event":"e","data":nul)" + tail,
        R"({"op":"message","room":"r","event":"e","data":-)" + tail,
        R"({"op":"message","room":"r","event":"e","data":-a)" + tail,
        R"({"op":"message","room":"r","event":"e","data":1.)" + tail,
        R"({"op":"message","room":"r","event":"e","data":.5)" + tail,
        R"({"op":"message","room":"r","event":"e","data":+1)" + tail,
        R"({"op":"message","room":"r","event":"e","data":[1,])" + tail,
        R"({"op":"message","room":"r","event":"e","data":[,1])" + tail,
        R"({"op":"message","room":"r","event":"e","data":[1 2])" + tail,
        R"({"op":"message","room":"r","event":"e","data":{"a" 1})" + tail,
        R"({"op":"message","room":"r","event":"e","data":{,})" + tail,
        R"({"op":"message","room":"r","event":"e","data":{"a":1,})" + tail,
        R"({"op":"message","room":"r","event":"e","data":{a:1})" + tail,
        R"({"op":"message","room":"r","event":"e","data":'a')" + tail,
        R"({"op":"message","room":"r","event":"e","data":"a)" + std::string("\t") + R"(b")" + tail,
        R"({"op":"message","room":"r","event":"e","data":"\u12")" + tail,
        R"({"op":"message","room":"r","event":"e","offset":1,"epoch":"e","ts":1}})",
        R"({"op":"message","room":"r","event":"e","offset":1,"epoch":"e","ts":1} x)",
        R"({"op":"message","room":"r","event":"e","offset":1,"epoch":"e","ts":1)" + std::string(1, '\0') + "}",
        R"({"op":"message","room":"r","event":"e","offset":1,"epoch":"e","ts":1 /* c */})",
    };
    for (const auto& text : texts) EXPECT_TRUE(sameAsGeneral(text, false)) << text;
}

TEST(DecodeMessage, InvalidUtf8IsRefusedUnlessVouchedFor) {
    // Unchecked text is refused by both; as WebSocket text (checked by the
    // WebSocket layer) neither looks again, and both read the same frame.
    std::string text = "{\"op\":\"message\",\"room\":\"r\",\"event\":\"e\",\"data\":\"\xff\",\"offset\":1,\"epoch\":\"e\",\"ts\":1}";
    EXPECT_FALSE(bp::decodeServerFrame(text).frame);
    EXPECT_FALSE(bp::decodeMessageFrame(text));
    auto general = bp::decodeServerFrame(text, kWebSocketText);
    auto fast = bp::decodeMessageFrame(text, kWebSocketText);
    ASSERT_EQ(general.frame.has_value(), fast.has_value());
    if (fast) {
        EXPECT_TRUE(std::get<bp::MessageFrame>(*general.frame) == *fast);
    }
}

TEST(DecodeMessage, RespectsTheLimits) {
    std::string text = R"({"op":"message","room":"r","event":"e","data":[[[1]]],"offset":1,"epoch":"e","ts":1})";
    EXPECT_TRUE(bp::decodeMessageFrame(text, bp::DecodeLimits{text.size(), 4, false}));
    EXPECT_FALSE(bp::decodeMessageFrame(text, bp::DecodeLimits{text.size() - 1, 4, false}));
    EXPECT_FALSE(bp::decodeMessageFrame(text, bp::DecodeLimits{text.size(), 3, false}));
    EXPECT_FALSE(bp::decodeServerFrame(text, bp::DecodeLimits{text.size(), 3, false}).frame);
}

TEST(DecodeMessage, EveryEncodedMessageRoundTrips) {
    bp::MessageFrame f;
    f.room = "room-1";
    f.event = "chat";
    f.dataJson = R"({"text":"a \"quoted\"\nline \u0001","n":[1,2.5,-3]})";
    f.from.sid = "c-1";
    f.from.user = "ada";
    f.offset = 42;
    f.epoch = "ep";
    f.ts = 1732550000000;
    f.mid = "m";
    std::string text = bp::encodeServerFrame(f);
    EXPECT_TRUE(sameAsGeneral(text, true));
    auto fast = bp::decodeMessageFrame(text);
    ASSERT_TRUE(fast);
    EXPECT_EQ(bp::encodeServerFrame(*fast), text);
}
