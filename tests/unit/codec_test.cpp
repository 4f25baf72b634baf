// Encoding and strict decoding of every frame (PROTOCOL.md sections 2-5).
// Each op is checked both ways: encode(f) is the canonical text t and
// decode(t) is f, so decode(encode(f)) == f and encode(decode(t)) == t.
#include "brolostack/json.hpp"
#include "brolostack/protocol/codec.hpp"
#include "brolostack/protocol/codes.hpp"
#include "brolostack/protocol/json_writers.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bp = brolostack::protocol;
namespace json = brolostack::json;
using bp::ErrorCode;

namespace {

std::string describe(const std::optional<bp::Error>& e) {
    if (!e) return "(no error)";
    return std::string(bp::errorCodeName(e->code)) + ": " + e->message + " " + e->detailsJson;
}

// encode(f) == text and decode(text) == f.
::testing::AssertionResult clientCanonical(const bp::ClientFrame& f, const std::string& text) {
    std::string encoded = bp::encodeClientFrame(f);
    if (encoded != text) return ::testing::AssertionFailure() << "encoded\n  " << encoded << "\nexpected\n  " << text;
    auto d = bp::decodeClientFrame(text);
    if (!d.frame) return ::testing::AssertionFailure() << "decode failed: " << describe(d.error);
    if (d.error) return ::testing::AssertionFailure() << "frame and error both set: " << describe(d.error);
    if (!(*d.frame == f)) return ::testing::AssertionFailure() << "decoded frame differs, re-encoded as " << bp::encodeClientFrame(*d.frame);
    if (d.op != bp::opName(f)) return ::testing::AssertionFailure() << "op recorded as '" << d.op << "'";
    std::string again = bp::encodeClientFrame(*d.frame);
    if (again != text) return ::testing::AssertionFailure() << "re-encoded as " << again;
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult serverCanonical(const bp::ServerFrame& f, const std::string& text) {
    std::string encoded = bp::encodeServerFrame(f);
    if (encoded != text) return ::testing::AssertionFailure() << "encoded\n  " << encoded << "\nexpected\n  " << text;
    auto d = bp::decodeServerFrame(text);
    if (!d.frame) return ::testing::AssertionFailure() << "decode failed: " << describe(d.error);
    if (!(*d.frame == f)) return ::testing::AssertionFailure() << "decoded frame differs, re-encoded as " << bp::encodeServerFrame(*d.frame);
    std::string again = bp::encodeServerFrame(*d.frame);
    if (again != text) return ::testing::AssertionFailure() << "re-encoded as " << again;
    return ::testing::AssertionSuccess();
}

std::string fieldDetails(const std::string& field) { return "{\"field\":\"" + field + "\"}"; }

// Decoding `text` fails with `code`; when `field` is given, details name it.
::testing::AssertionResult clientFails(const std::string& text, ErrorCode code, const std::string& field = "",
                                       const bp::DecodeLimits& limits = {}) {
    auto d = bp::decodeClientFrame(text, limits);
    if (d.frame) return ::testing::AssertionFailure() << "decoded: " << bp::encodeClientFrame(*d.frame);
    if (!d.error) return ::testing::AssertionFailure() << "neither frame nor error";
    if (d.error->code != code)
        return ::testing::AssertionFailure() << "got " << describe(d.error) << ", expected " << bp::errorCodeName(code);
    if (!field.empty() && d.error->detailsJson != fieldDetails(field))
        return ::testing::AssertionFailure() << "details " << d.error->detailsJson << ", expected field " << field;
    if (d.error->message.empty()) return ::testing::AssertionFailure() << "empty message";
    return ::testing::AssertionSuccess();
}

template <class F>
F decodeAs(const std::string& text) {
    auto d = bp::decodeClientFrame(text);
    EXPECT_TRUE(d.frame) << text << " -> " << describe(d.error);
    if (!d.frame || !std::holds_alternative<F>(*d.frame)) {
        ADD_FAILURE() << text << " did not decode to the expected frame";
        return F{};
    }
    return std::get<F>(*d.frame);
}

struct FieldCase {
    std::string text;
    std::string field;
};

void expectFieldFailures(const std::vector<FieldCase>& cases) {
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        EXPECT_TRUE(clientFails(c.text, ErrorCode::BadRequest, c.field));
    }
}

// Valid frames of every op, used by the prefix and corruption tests.
const std::vector<std::string>& validClientTexts() {
    static const std::vector<std::string> texts{
        R"({"op":"hello","ref":1,"v":1,"token":"t","apiKey":"k","client":{"name":"n","version":"1"},"resume":{"sid":"c-1","rooms":{"general":{"epoch":"e1a","offset":41}}}})",
        R"({"op":"ping","ts":123})",
        R"({"op":"join","ref":2,"room":"general","name":"General","info":{"name":"Ada"},"since":{"epoch":"e1a","offset":41}})",
        R"({"op":"leave","ref":3,"room":"general"})",
        R"({"op":"publish","ref":4,"room":"general","event":"message","data":{"content":"Hello team!"},"mid":"m-5f2c","echo":false})",
        R"({"op":"history","ref":5,"room":"general","since":{"epoch":"e1a","offset":10},"limit":100})",
        R"({"op":"members","ref":6,"room":"general"})",
        R"({"op":"send","ref":8,"event":"start-task","data":{"id":"t1"},"mid":"m-1"})",
        R"({"op":"args","ref":9,"msg":{"id":"args_1","type":"TASK_PROGRESS","payload":null}})",
        R"({"op":"refresh","ref":10,"token":"new.jwt"})",
    };
    return texts;
}

}  // namespace

// ---- client frames: every op both ways ------------------------------------

TEST(ClientCodec, HelloWithEveryOptionalFieldRoundTrips) {
    bp::HelloFrame f;
    f.ref = 1;
    f.token = "eyJ.jwt";
    f.apiKey = "key-1";
    f.client = bp::ClientInfo{"brolostack-js", "1.0.0"};
    f.resume = bp::ResumeState{"c-9f2", "t0k3n", {{"general", {"e1a", 41}}, {"doc-1", {"e2b", 0}}, {"$session:s1", {"e3", 7}}}};
    EXPECT_TRUE(clientCanonical(
        f, R"({"op":"hello","ref":1,"v":1,"token":"eyJ.jwt","apiKey":"key-1","client":{"name":"brolostack-js","version":"1.0.0"},)"
           R"("resume":{"sid":"c-9f2","token":"t0k3n","rooms":{"$session:s1":{"epoch":"e3","offset":7},"doc-1":{"epoch":"e2b","offset":0},"general":{"epoch":"e1a","offset":41}}}})"));
}

TEST(ClientCodec, MinimalHelloRoundTrips) {
    bp::HelloFrame f;
    f.ref = 1;
    EXPECT_TRUE(clientCanonical(f, R"({"op":"hello","ref":1,"v":1})"));
}

TEST(ClientCodec, HelloResumeWithoutRoomsRoundTrips) {
    bp::HelloFrame f;
    f.ref = 3;
    f.resume = bp::ResumeState{"c-1", {}, {}};
    EXPECT_TRUE(clientCanonical(f, R"({"op":"hello","ref":3,"v":1,"resume":{"sid":"c-1","rooms":{}}})"));
}

TEST(ClientCodec, PingWithTimestampRoundTrips) {
    bp::PingFrame f;
    f.tsJson = "123";
    EXPECT_TRUE(clientCanonical(f, R"({"op":"ping","ts":123})"));
}

TEST(ClientCodec, PingWithoutTimestampRoundTrips) {
    EXPECT_TRUE(clientCanonical(bp::PingFrame{}, R"({"op":"ping"})"));
}

// The pong echoes ts "exactly as sent" (section 3), so any number is kept.
TEST(ClientCodec, PingKeepsLargeAndFractionalTimestamps) {
    bp::PingFrame f;
    f.tsJson = "1732550000000";
    EXPECT_TRUE(clientCanonical(f, R"({"op":"ping","ts":1732550000000})"));
    f.tsJson = "12.5";
    EXPECT_TRUE(clientCanonical(f, R"({"op":"ping","ts":12.5})"));
    f.tsJson = "-3";
    EXPECT_TRUE(clientCanonical(f, R"({"op":"ping","ts":-3})"));
}

// A double would turn these into 1.2345678901234566e+29, 0 and 1e+400's
// infinity: the token comes back as the client wrote it.
TEST(ClientCodec, PingTimestampIsKeptVerbatim) {
    for (const char* ts : {"123456789012345678901234567890", "-0", "1.50", "1e3", "0.1000000000000000055511151231257827"}) {
        std::string text = std::string(R"({"op":"ping","ts":)") + ts + "}";
        auto decoded = bp::decodeClientFrame(text, bp::DecodeLimits{});
        ASSERT_TRUE(decoded.frame) << text;
        const auto& ping = std::get<bp::PingFrame>(*decoded.frame);
        ASSERT_TRUE(ping.tsJson);
        EXPECT_EQ(*ping.tsJson, ts);
        EXPECT_EQ(bp::encodeServerFrame(bp::PongFrame{ping.tsJson, 7}), std::string(R"({"op":"pong","ts":)") + ts + R"(,"serverTs":7})");
    }
}

// Numbers past 2^53 in forwarded JSON (an ARGS message's fields) encode
// to text that decodes to the same value: canonical after one hop, stable
// after every further one. Found by the client-frame fuzzer.
TEST(ClientCodec, LongNumbersAreStableAcrossReencoding) {
    for (const char* n : {"1732550000005500000000", "1.7325500000054999e21", "123456789012345678901", "9007199254740993",
                          "0.30000000000000004", "2.2250738585072014e-308"}) {
        std::string text = std::string(R"({"op":"args","ref":9,"msg":{"id":"a","type":"HEARTBEAT","timestamp":1,"sessionId":"s","payload":{"n":)") +
                           n + "}}}";
        auto first = bp::decodeClientFrame(text, bp::DecodeLimits{});
        ASSERT_TRUE(first.frame) << text;
        std::string once = bp::encodeClientFrame(*first.frame);
        auto second = bp::decodeClientFrame(once, bp::DecodeLimits{});
        ASSERT_TRUE(second.frame);
        EXPECT_EQ(bp::encodeClientFrame(*second.frame), once) << n;
    }
}

TEST(ClientCodec, JoinWithNameInfoAndSinceRoundTrips) {
    bp::JoinFrame f;
    f.ref = 2;
    f.room = "general";
    f.name = "General Discussion";
    f.infoJson = R"({"name":"Ada","tags":["a",1]})";
    f.since = bp::StreamPosition{"e1a", 41};
    EXPECT_TRUE(clientCanonical(
        f, R"({"op":"join","ref":2,"room":"general","name":"General Discussion","info":{"name":"Ada","tags":["a",1]},"since":{"epoch":"e1a","offset":41}})"));
}

TEST(ClientCodec, MinimalJoinRoundTrips) {
    bp::JoinFrame f;
    f.ref = 2;
    f.room = "general";
    EXPECT_TRUE(clientCanonical(f, R"({"op":"join","ref":2,"room":"general"})"));
}

TEST(ClientCodec, LeaveRoundTrips) {
    bp::LeaveFrame f;
    f.ref = 3;
    f.room = "general";
    EXPECT_TRUE(clientCanonical(f, R"({"op":"leave","ref":3,"room":"general"})"));
}

TEST(ClientCodec, PublishWithMidRoundTrips) {
    bp::PublishFrame f;
    f.ref = 4;
    f.room = "general";
    f.event = "message";
    f.dataJson = R"({"content":"Hello team!"})";
    f.mid = "m-5f2c";
    f.echo = false;
    EXPECT_TRUE(clientCanonical(
        f, R"({"op":"publish","ref":4,"room":"general","event":"message","data":{"content":"Hello team!"},"mid":"m-5f2c","echo":false})"));
}

TEST(ClientCodec, PublishWithoutMidOrRefAndWithEchoRoundTrips) {
    bp::PublishFrame f;
    f.room = "general";
    f.event = "cursor";
    f.dataJson = R"([1,"two",null,{"x":-1.5}])";
    f.echo = true;
    EXPECT_TRUE(clientCanonical(
        f, R"({"op":"publish","room":"general","event":"cursor","data":[1,"two",null,{"x":-1.5}],"echo":true})"));
}

// `data`: any JSON value (section 5); an absent data is null.
TEST(ClientCodec, PublishDataMayBeAnyJsonValue) {
    for (const char* data : {"null", "true", "0", "\"text\"", "[]", "{}"}) {
        SCOPED_TRACE(data);
        auto f = decodeAs<bp::PublishFrame>(std::string(R"({"op":"publish","room":"r","event":"e","data":)") + data + "}");
        EXPECT_EQ(f.dataJson, data);
    }
    EXPECT_EQ(decodeAs<bp::PublishFrame>(R"({"op":"publish","room":"r","event":"e"})").dataJson, "null");
}

TEST(ClientCodec, HistoryWithSinceAndLimitRoundTrips) {
    bp::HistoryFrame f;
    f.ref = 5;
    f.room = "general";
    f.since = bp::StreamPosition{"e1a", 10};
    f.limit = 100;
    EXPECT_TRUE(clientCanonical(
        f, R"({"op":"history","ref":5,"room":"general","since":{"epoch":"e1a","offset":10},"limit":100})"));
}

TEST(ClientCodec, MinimalHistoryRoundTrips) {
    bp::HistoryFrame f;
    f.ref = 5;
    f.room = "general";
    EXPECT_TRUE(clientCanonical(f, R"({"op":"history","ref":5,"room":"general"})"));
}

TEST(ClientCodec, MembersRoundTrips) {
    bp::MembersFrame f;
    f.ref = 6;
    f.room = "general";
    EXPECT_TRUE(clientCanonical(f, R"({"op":"members","ref":6,"room":"general"})"));
}

TEST(ClientCodec, SendRoundTrips) {
    bp::SendFrame f;
    f.ref = 8;
    f.event = "start-task";
    f.dataJson = R"({"id":"t1","payload":{"n":[1,2]}})";
    f.mid = "m-1";
    EXPECT_TRUE(clientCanonical(f, R"({"op":"send","ref":8,"event":"start-task","data":{"id":"t1","payload":{"n":[1,2]}},"mid":"m-1"})"));
}

TEST(ClientCodec, SendWithoutRefOrMidRoundTrips) {
    bp::SendFrame f;
    f.event = "sync";
    f.dataJson = "{}";
    EXPECT_TRUE(clientCanonical(f, R"({"op":"send","event":"sync","data":{}})"));
}

TEST(ClientCodec, ArgsRoundTrips) {
    bp::ArgsFrame f;
    f.ref = 9;
    f.msgJson = R"({"id":"args_1","type":"TASK_PROGRESS","timestamp":1732550000000,"sessionId":"ai","payload":null,"metadata":{"priority":"medium"}})";
    EXPECT_TRUE(clientCanonical(f, R"({"op":"args","ref":9,"msg":)" + f.msgJson + "}"));
}

TEST(ClientCodec, RefreshRoundTrips) {
    bp::RefreshFrame f;
    f.ref = 9;
    f.token = "new.jwt.token";
    EXPECT_TRUE(clientCanonical(f, R"({"op":"refresh","ref":9,"token":"new.jwt.token"})"));
}

TEST(ClientCodec, StringsWithEscapesAndUtf8RoundTrip) {
    bp::PublishFrame f;
    f.ref = 1;
    f.room = "r";
    f.event = "caf\xc3\xa9 \"q\" \\";
    f.dataJson = "\"line\\nbreak \xe2\x82\xac\"";
    f.mid = "m\t1";
    EXPECT_TRUE(clientCanonical(
        f, "{\"op\":\"publish\",\"ref\":1,\"room\":\"r\",\"event\":\"caf\xc3\xa9 \\\"q\\\" \\\\\",\"data\":\"line\\nbreak "
           "\xe2\x82\xac\",\"mid\":\"m\\t1\",\"echo\":false}"));
}

// Keys may come in any order and with whitespace; the frame is the same.
TEST(ClientCodec, FieldOrderAndWhitespaceDoNotMatter) {
    auto f = decodeAs<bp::JoinFrame>(R"( { "since" : {"offset":41, "epoch":"e1a"}, "room":"general", "ref": 2, "op":"join" } )");
    EXPECT_EQ(f.ref, 2u);
    EXPECT_EQ(f.room, "general");
    ASSERT_TRUE(f.since);
    EXPECT_EQ(*f.since, (bp::StreamPosition{"e1a", 41}));
}

TEST(ClientCodec, OpNamesMatchTheWire) {
    EXPECT_EQ(bp::opName(bp::ClientFrame{bp::HelloFrame{}}), "hello");
    EXPECT_EQ(bp::opName(bp::ClientFrame{bp::PingFrame{}}), "ping");
    EXPECT_EQ(bp::opName(bp::ClientFrame{bp::JoinFrame{}}), "join");
    EXPECT_EQ(bp::opName(bp::ClientFrame{bp::LeaveFrame{}}), "leave");
    EXPECT_EQ(bp::opName(bp::ClientFrame{bp::PublishFrame{}}), "publish");
    EXPECT_EQ(bp::opName(bp::ClientFrame{bp::HistoryFrame{}}), "history");
    EXPECT_EQ(bp::opName(bp::ClientFrame{bp::MembersFrame{}}), "members");
    EXPECT_EQ(bp::opName(bp::ClientFrame{bp::SendFrame{}}), "send");
    EXPECT_EQ(bp::opName(bp::ClientFrame{bp::ArgsFrame{}}), "args");
    EXPECT_EQ(bp::opName(bp::ClientFrame{bp::RefreshFrame{}}), "refresh");
}

// ---- server frames: every op both ways ------------------------------------

TEST(ServerCodec, OkReplyRoundTrips) {
    bp::ReplyFrame f;
    f.ref = 7;
    f.ok = true;
    f.dataJson = "{}";
    EXPECT_TRUE(serverCanonical(f, R"({"op":"reply","ref":7,"ok":true,"data":{}})"));
    f.dataJson = R"({"room":"general","offset":58,"epoch":"e1a","duplicate":false})";
    EXPECT_TRUE(serverCanonical(f, R"({"op":"reply","ref":7,"ok":true,"data":{"room":"general","offset":58,"epoch":"e1a","duplicate":false}})"));
}

TEST(ServerCodec, ErrorReplyRoundTrips) {
    bp::ReplyFrame f;
    f.ref = 7;
    f.ok = false;
    f.error = bp::Error{ErrorCode::Forbidden, "text", "{}"};
    EXPECT_TRUE(serverCanonical(
        f, R"({"op":"reply","ref":7,"ok":false,"error":{"code":"forbidden","message":"text","details":{}}})"));
}

TEST(ServerCodec, ErrorReplyWithDetailsRoundTrips) {
    bp::ReplyFrame f;
    f.ref = 12;
    f.ok = false;
    f.error = bp::Error{ErrorCode::RateLimited, "slow down", R"({"retryAfterMs":100})"};
    EXPECT_TRUE(serverCanonical(
        f, R"({"op":"reply","ref":12,"ok":false,"error":{"code":"rate_limited","message":"slow down","details":{"retryAfterMs":100}}})"));
}

TEST(ServerCodec, EveryErrorCodeRoundTripsInAReply) {
    const ErrorCode codes[] = {ErrorCode::BadRequest,   ErrorCode::UnknownOp, ErrorCode::Unauthorized,
                               ErrorCode::Forbidden,    ErrorCode::NotFound,  ErrorCode::Conflict,
                               ErrorCode::RateLimited,  ErrorCode::TooLarge,  ErrorCode::LimitExceeded,
                               ErrorCode::Expired,      ErrorCode::Timeout,   ErrorCode::Unavailable,
                               ErrorCode::Internal};
    for (ErrorCode code : codes) {
        bp::ReplyFrame f;
        f.ref = 1;
        f.ok = false;
        f.error = bp::Error{code, "m", "{}"};
        std::string name(bp::errorCodeName(code));
        SCOPED_TRACE(name);
        EXPECT_TRUE(serverCanonical(
            f, R"({"op":"reply","ref":1,"ok":false,"error":{"code":")" + name + R"(","message":"m","details":{}}})"));
    }
}

TEST(ServerCodec, ErrorPushWithOpOfRoundTrips) {
    bp::ErrorFrame f;
    f.error = bp::Error{ErrorCode::BadRequest, "field 'room' is required", R"({"field":"room"})"};
    f.opOf = "publish";
    EXPECT_TRUE(serverCanonical(
        f, R"({"op":"error","error":{"code":"bad_request","message":"field 'room' is required","details":{"field":"room"}},"op_of":"publish"})"));
}

TEST(ServerCodec, ErrorPushWithoutOpOfRoundTrips) {
    bp::ErrorFrame f;
    f.error = bp::Error{ErrorCode::BadRequest, "invalid JSON", R"({"offset":0})"};
    EXPECT_TRUE(serverCanonical(
        f, R"({"op":"error","error":{"code":"bad_request","message":"invalid JSON","details":{"offset":0}}})"));
}

TEST(ServerCodec, PongRoundTrips) {
    bp::PongFrame f;
    f.tsJson = "123";
    f.serverTs = 1732550000000;
    EXPECT_TRUE(serverCanonical(f, R"({"op":"pong","ts":123,"serverTs":1732550000000})"));
    bp::PongFrame bare;
    bare.serverTs = 5;
    EXPECT_TRUE(serverCanonical(bare, R"({"op":"pong","serverTs":5})"));
}

TEST(ServerCodec, PresenceJoinRoundTrips) {
    bp::PresenceFrame f;
    f.room = "general";
    f.action = "join";
    f.member = bp::MemberView{"c-1", std::string("u1"), R"({"name":"Ada"})"};
    f.memberCount = 4;
    EXPECT_TRUE(serverCanonical(
        f, R"({"op":"presence","room":"general","action":"join","member":{"sid":"c-1","user":"u1","info":{"name":"Ada"}},"memberCount":4})"));
}

// `user` is null for anonymous members (section 3).
TEST(ServerCodec, PresenceLeaveOfAnonymousMemberRoundTrips) {
    bp::PresenceFrame f;
    f.room = "$session:ai";
    f.action = "leave";
    f.member = bp::MemberView{"c-2", std::nullopt, "{}"};
    f.memberCount = 0;
    EXPECT_TRUE(serverCanonical(
        f, R"({"op":"presence","room":"$session:ai","action":"leave","member":{"sid":"c-2","user":null,"info":{}},"memberCount":0})"));
}

TEST(ServerCodec, MessageWithMidRoundTrips) {
    bp::MessageFrame f;
    f.room = "general";
    f.event = "message";
    f.dataJson = R"({"content":"Hello team!"})";
    f.from = bp::Sender{std::string("c-1"), std::string("u1")};
    f.offset = 58;
    f.epoch = "e1a";
    f.ts = 1732550000000;
    f.mid = "m-5f2c";
    EXPECT_TRUE(serverCanonical(
        f, R"({"op":"message","room":"general","event":"message","data":{"content":"Hello team!"},"from":{"sid":"c-1","user":"u1"},"offset":58,"epoch":"e1a","ts":1732550000000,"mid":"m-5f2c"})"));
}

// Messages from the server API have no sender: both fields null.
TEST(ServerCodec, MessageWithoutMidAndWithNullSenderRoundTrips) {
    bp::MessageFrame f;
    f.room = "general";
    f.event = "notice";
    f.dataJson = R"("hi")";
    f.offset = 1;
    f.epoch = "e1a";
    f.ts = 5;
    EXPECT_TRUE(serverCanonical(
        f, R"({"op":"message","room":"general","event":"notice","data":"hi","from":{"sid":null,"user":null},"offset":1,"epoch":"e1a","ts":5})"));
}

TEST(ServerCodec, MessageFromAnonymousSenderRoundTrips) {
    bp::MessageFrame f;
    f.room = "r";
    f.event = "e";
    f.from = bp::Sender{std::string("c-9"), std::nullopt};
    f.offset = 2;
    f.epoch = "x";
    f.ts = 1;
    EXPECT_TRUE(serverCanonical(
        f, R"({"op":"message","room":"r","event":"e","data":null,"from":{"sid":"c-9","user":null},"offset":2,"epoch":"x","ts":1})"));
}

// "one minute before a JWT's exp the server sends {"op":"expiring","inMs":60000}" (section 4).
TEST(ServerCodec, ExpiringRoundTrips) {
    bp::ExpiringFrame f;
    f.inMs = 60000;
    EXPECT_TRUE(serverCanonical(f, R"({"op":"expiring","inMs":60000})"));
}

TEST(ServerCodec, OpNamesMatchTheWire) {
    EXPECT_EQ(bp::opName(bp::ServerFrame{bp::ReplyFrame{}}), "reply");
    EXPECT_EQ(bp::opName(bp::ServerFrame{bp::ErrorFrame{}}), "error");
    EXPECT_EQ(bp::opName(bp::ServerFrame{bp::PongFrame{}}), "pong");
    EXPECT_EQ(bp::opName(bp::ServerFrame{bp::PresenceFrame{}}), "presence");
    EXPECT_EQ(bp::opName(bp::ServerFrame{bp::MessageFrame{}}), "message");
    EXPECT_EQ(bp::opName(bp::ServerFrame{bp::ExpiringFrame{}}), "expiring");
}

// A code from a newer server is still an error (kept as internal).
TEST(ServerCodec, UnknownErrorCodeDecodesAsInternal) {
    auto d = bp::decodeServerFrame(R"({"op":"reply","ref":1,"ok":false,"error":{"code":"brand_new","message":"m"}})");
    ASSERT_TRUE(d.frame) << describe(d.error);
    const auto& r = std::get<bp::ReplyFrame>(*d.frame);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error.code, ErrorCode::Internal);
    EXPECT_EQ(r.error.detailsJson, "{}");
}

TEST(ServerCodec, MalformedServerFramesAreRefused) {
    const char* bad[] = {
        "not json",
        "[]",
        R"({"ref":1})",
        R"({"op":"reply","ok":true})",                                       // no ref
        R"({"op":"reply","ref":1,"ok":"yes"})",                              // ok not bool
        R"({"op":"reply","ref":1,"ok":false})",                              // no error
        R"({"op":"reply","ref":1,"ok":false,"error":{"message":"m"}})",      // no code
        R"({"op":"pong","ts":"1","serverTs":1})",                            // ts not a number
        R"({"op":"pong"})",                                                  // no serverTs
        R"({"op":"presence","room":"r","action":"wave","member":{"sid":"s"},"memberCount":1})",
        R"({"op":"presence","room":"r","action":"join","member":"s","memberCount":1})",
        R"({"op":"message","room":"bad room","event":"e","offset":1,"epoch":"x","ts":1})",
        R"({"op":"message","room":"r","event":"e","from":"c-1","offset":1,"epoch":"x","ts":1})",
        R"({"op":"message","room":"r","event":"e","offset":-1,"epoch":"x","ts":1})",
    };
    for (const char* text : bad) {
        SCOPED_TRACE(text);
        auto d = bp::decodeServerFrame(text);
        EXPECT_FALSE(d.frame);
        ASSERT_TRUE(d.error);
        EXPECT_EQ(d.error->code, ErrorCode::BadRequest) << describe(d.error);
    }
    auto unknown = bp::decodeServerFrame(R"({"op":"teleport"})");
    ASSERT_TRUE(unknown.error);
    EXPECT_EQ(unknown.error->code, ErrorCode::UnknownOp);
}

// The hub writes join/history replies with these helpers: they must write
// exactly what the frame encoder writes.
TEST(JsonWriters, MessageFieldsMatchTheEncodedMessageFrame) {
    bp::MessageFrame f;
    f.room = "general";
    f.event = "message";
    f.dataJson = R"({"a":1})";
    f.from = bp::Sender{std::string("c-1"), std::nullopt};
    f.offset = 3;
    f.epoch = "e";
    f.ts = 9;
    f.mid = "m";
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    bp::writeMessageFields(w, f);
    w.EndObject();
    EXPECT_EQ(std::string(buffer.GetString(), buffer.GetSize()), bp::encodeServerFrame(f));
}

TEST(JsonWriters, ErrorMemberAndPositionObjects) {
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartArray();
    bp::writeError(w, bp::Error{ErrorCode::NotFound, "no such room", ""});
    bp::writeMember(w, bp::MemberView{"c-1", std::nullopt, R"({"k":"v"})"});
    bp::writePosition(w, bp::StreamPosition{"e1a", 57});
    w.EndArray();
    EXPECT_EQ(std::string(buffer.GetString(), buffer.GetSize()),
              R"([{"code":"not_found","message":"no such room","details":{}},{"sid":"c-1","user":null,"info":{"k":"v"}},{"epoch":"e1a","offset":57}])");
}

// ---- error codes (section 2) -----------------------------------------------

TEST(ErrorCodes, WireNamesAndHttpStatusesFollowTheProtocol) {
    struct Row { ErrorCode code; const char* name; int http; };
    const Row rows[] = {
        {ErrorCode::BadRequest, "bad_request", 400},     {ErrorCode::UnknownOp, "unknown_op", 400},
        {ErrorCode::Unauthorized, "unauthorized", 401},  {ErrorCode::Forbidden, "forbidden", 403},
        {ErrorCode::NotFound, "not_found", 404},         {ErrorCode::Conflict, "conflict", 409},
        {ErrorCode::RateLimited, "rate_limited", 429},   {ErrorCode::TooLarge, "too_large", 413},
        {ErrorCode::LimitExceeded, "limit_exceeded", 429}, {ErrorCode::Expired, "expired", 400},
        {ErrorCode::Timeout, "timeout", 504},            {ErrorCode::Unavailable, "unavailable", 503},
        {ErrorCode::Internal, "internal", 500},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.name);
        EXPECT_EQ(bp::errorCodeName(row.code), row.name);
        EXPECT_EQ(bp::errorCodeFromName(row.name), row.code);
        EXPECT_EQ(bp::httpStatusFor(row.code), row.http);
    }
    EXPECT_FALSE(bp::errorCodeFromName("BAD_REQUEST"));
    EXPECT_FALSE(bp::errorCodeFromName(""));
}

// "A client must not auto-reconnect after 4001, 4003 and 4000" (section 2).
TEST(CloseCodes, ReconnectIsForbiddenOnlyAfter4000_4001_4003) {
    namespace cc = bp::close_code;
    EXPECT_FALSE(bp::mayReconnectAfter(cc::kProtocolError));
    EXPECT_FALSE(bp::mayReconnectAfter(cc::kUnauthorized));
    EXPECT_FALSE(bp::mayReconnectAfter(cc::kForbidden));
    for (std::uint16_t code : {cc::kNormal, cc::kGoingAway, cc::kTooBig, cc::kInternal, cc::kOverloaded,
                               cc::kTokenExpired, cc::kTimeout, cc::kRateLimited, cc::kSlowConsumer}) {
        EXPECT_TRUE(bp::mayReconnectAfter(code)) << code;
    }
    EXPECT_EQ(cc::kProtocolError, 4000);
    EXPECT_EQ(cc::kUnauthorized, 4001);
    EXPECT_EQ(cc::kTokenExpired, 4002);
    EXPECT_EQ(cc::kForbidden, 4003);
    EXPECT_EQ(cc::kTimeout, 4008);
    EXPECT_EQ(cc::kRateLimited, 4029);
    EXPECT_EQ(cc::kSlowConsumer, 4090);
    EXPECT_EQ(cc::kTooBig, 1009);
}

// ---- malformed input (section 2): never a crash, always a clear error ------

TEST(ClientDecodeErrors, NonJsonIsBadRequestWithAnOffset) {
    auto d = bp::decodeClientFrame("hello there");
    EXPECT_TRUE(clientFails("hello there", ErrorCode::BadRequest));
    ASSERT_TRUE(d.error);
    EXPECT_EQ(d.error->detailsJson, R"({"offset":0})");
    EXPECT_TRUE(clientFails("", ErrorCode::BadRequest));
    EXPECT_TRUE(clientFails(R"({"op":"ping",})", ErrorCode::BadRequest));
    EXPECT_TRUE(clientFails(R"({"op":"ping"}{"op":"ping"})", ErrorCode::BadRequest));
}

// Every prefix of a valid frame is truncated JSON: each fails cleanly.
TEST(ClientDecodeErrors, EveryPrefixOfAValidFrameIsBadRequest) {
    for (const auto& text : validClientTexts()) {
        ASSERT_TRUE(bp::decodeClientFrame(text).frame) << text;
        for (std::size_t n = 0; n < text.size(); ++n) {
            std::string prefix = text.substr(0, n);
            SCOPED_TRACE(prefix);
            auto d = bp::decodeClientFrame(prefix);
            EXPECT_FALSE(d.frame);
            ASSERT_TRUE(d.error);
            EXPECT_EQ(d.error->code, ErrorCode::BadRequest);
        }
    }
}

// Any one-byte corruption of a valid frame decodes to exactly one of a frame
// or an error (run under ASan/UBSan, this is a small fuzz pass).
TEST(ClientDecodeErrors, SingleByteCorruptionsNeverCrash) {
    const char replacements[] = {'"', '{', '}', '[', ']', ',', ':', '\\', '\0', '\x80', '\xff', ' ', '0', '-', 'x'};
    auto before = json::internalAssertCount();
    for (const auto& text : validClientTexts()) {
        for (std::size_t i = 0; i < text.size(); ++i) {
            for (char c : replacements) {
                std::string mutated = text;
                mutated[i] = c;
                auto d = bp::decodeClientFrame(mutated);
                EXPECT_NE(d.frame.has_value(), d.error.has_value()) << ::testing::PrintToString(mutated);
            }
        }
    }
    EXPECT_EQ(json::internalAssertCount(), before);
}

TEST(ClientDecodeErrors, NonObjectTopLevelIsBadRequest) {
    for (const char* text : {"[]", R"([{"op":"ping"}])", R"("ping")", "42", "null", "true"}) {
        SCOPED_TRACE(text);
        EXPECT_TRUE(clientFails(text, ErrorCode::BadRequest));
    }
}

TEST(ClientDecodeErrors, MissingOpIsBadRequestNamingOp) {
    EXPECT_TRUE(clientFails(R"({"ref":1,"room":"general"})", ErrorCode::BadRequest, "op"));
    EXPECT_TRUE(clientFails(R"({})", ErrorCode::BadRequest, "op"));
    EXPECT_TRUE(clientFails(R"({"op":null})", ErrorCode::BadRequest, "op"));
}

TEST(ClientDecodeErrors, NonStringOpIsBadRequestNamingOp) {
    for (const char* text : {R"({"op":1})", R"({"op":true})", R"({"op":["ping"]})", R"({"op":{"name":"ping"}})", R"({"op":""})"}) {
        SCOPED_TRACE(text);
        EXPECT_TRUE(clientFails(text, ErrorCode::BadRequest, "op"));
    }
}

TEST(ClientDecodeErrors, UnknownOpIsUnknownOpAndTheOpIsRecorded) {
    auto d = bp::decodeClientFrame(R"({"op":"teleport","ref":5})");
    EXPECT_FALSE(d.frame);
    ASSERT_TRUE(d.error);
    EXPECT_EQ(d.error->code, ErrorCode::UnknownOp);
    EXPECT_EQ(d.op, "teleport");
    EXPECT_EQ(d.ref, 5u);
    EXPECT_NE(d.error->message.find("teleport"), std::string::npos);
    // Op names are case-sensitive, and server ops are not client ops.
    EXPECT_TRUE(clientFails(R"({"op":"Ping"})", ErrorCode::UnknownOp));
    EXPECT_TRUE(clientFails(R"({"op":"reply","ref":1})", ErrorCode::UnknownOp));
}

// Checks run from the outside in: a failure after `ref` was read still
// carries it, so the server can answer with a reply to that ref (section 2).
TEST(ClientDecodeErrors, RefIsReportedOnFailuresAfterItWasRead) {
    auto d = bp::decodeClientFrame(R"({"op":"publish","ref":42,"room":"bad room","event":"e"})");
    ASSERT_TRUE(d.error);
    EXPECT_EQ(d.error->code, ErrorCode::BadRequest);
    EXPECT_EQ(d.op, "publish");
    EXPECT_EQ(d.ref, 42u);

    auto join = bp::decodeClientFrame(R"({"op":"join","ref":9007199254740991,"room":"r","since":{"epoch":"e"}})");
    ASSERT_TRUE(join.error);
    EXPECT_EQ(join.ref, 9007199254740991u);
    EXPECT_EQ(join.error->detailsJson, fieldDetails("since.offset"));

    auto hello = bp::decodeClientFrame(R"({"op":"hello","ref":3,"v":2})");
    ASSERT_TRUE(hello.error);
    EXPECT_EQ(hello.ref, 3u);
    EXPECT_EQ(hello.op, "hello");
}

TEST(ClientDecodeErrors, RefOutOfRangeIsBadRequestNamingRef) {
    const char* bad[] = {
        R"({"op":"leave","ref":0,"room":"r"})",
        R"({"op":"leave","ref":-1,"room":"r"})",
        R"({"op":"leave","ref":9007199254740992,"room":"r"})",   // 2^53
        R"({"op":"leave","ref":18446744073709551616,"room":"r"})",  // 2^64
        R"({"op":"leave","ref":1.5,"room":"r"})",
        R"({"op":"leave","ref":1.0,"room":"r"})",
        R"({"op":"leave","ref":1e2,"room":"r"})",
        R"({"op":"leave","ref":"1","room":"r"})",
        R"({"op":"leave","ref":true,"room":"r"})",
        R"({"op":"leave","ref":[1],"room":"r"})",
    };
    for (const char* text : bad) {
        SCOPED_TRACE(text);
        EXPECT_TRUE(clientFails(text, ErrorCode::BadRequest, "ref"));
        EXPECT_EQ(bp::decodeClientFrame(text).ref, 0u);
    }
}

TEST(ClientDecodeErrors, RefAtTheLimitsIsAccepted) {
    EXPECT_EQ(decodeAs<bp::LeaveFrame>(R"({"op":"leave","ref":1,"room":"r"})").ref, 1u);
    EXPECT_EQ(decodeAs<bp::LeaveFrame>(R"({"op":"leave","ref":9007199254740991,"room":"r"})").ref, bp::kMaxSafeInteger);
}

// "All fields but op, ref, v are optional" (section 3).
TEST(ClientDecodeErrors, HelloWithoutRefIsBadRequestNamingRef) {
    EXPECT_TRUE(clientFails(R"({"op":"hello","v":1})", ErrorCode::BadRequest, "ref"));
    EXPECT_TRUE(clientFails(R"({"op":"hello","ref":null,"v":1})", ErrorCode::BadRequest, "ref"));
}

TEST(ClientDecodeErrors, HelloWithoutVIsBadRequestNamingV) {
    EXPECT_TRUE(clientFails(R"({"op":"hello","ref":1})", ErrorCode::BadRequest, "v"));
}

TEST(ClientDecodeErrors, HelloWithAnotherVersionIsBadRequestNamingV) {
    for (const char* text : {R"({"op":"hello","ref":1,"v":2})", R"({"op":"hello","ref":1,"v":0})",
                             R"({"op":"hello","ref":1,"v":-1})", R"({"op":"hello","ref":1,"v":1.5})",
                             R"({"op":"hello","ref":1,"v":"1"})", R"({"op":"hello","ref":1,"v":99999})"}) {
        SCOPED_TRACE(text);
        EXPECT_TRUE(clientFails(text, ErrorCode::BadRequest, "v"));
    }
}

TEST(ClientDecodeErrors, HelloFieldsOfTheWrongTypeNameTheField) {
    expectFieldFailures({
        {R"({"op":"hello","ref":1,"v":1,"token":5})", "token"},
        {R"({"op":"hello","ref":1,"v":1,"token":""})", "token"},
        {R"({"op":"hello","ref":1,"v":1,"apiKey":true})", "apiKey"},
        {R"({"op":"hello","ref":1,"v":1,"client":"js"})", "client"},
        {R"({"op":"hello","ref":1,"v":1,"client":{"name":5}})", "client"},
        {R"({"op":"hello","ref":1,"v":1,"client":{"version":[]}})", "client"},
        {R"({"op":"hello","ref":1,"v":1,"resume":[]})", "resume"},
        {R"({"op":"hello","ref":1,"v":1,"resume":{"sid":7}})", "resume.sid"},
        {R"({"op":"hello","ref":1,"v":1,"resume":{"sid":""}})", "resume.sid"},
        {R"({"op":"hello","ref":1,"v":1,"resume":{"rooms":[]}})", "resume.rooms"},
        {R"({"op":"hello","ref":1,"v":1,"resume":{"rooms":{"bad room":{"epoch":"e","offset":1}}}})", "resume.rooms"},
        {R"({"op":"hello","ref":1,"v":1,"resume":{"rooms":{"general":5}}})", "resume.rooms.general"},
        {R"({"op":"hello","ref":1,"v":1,"resume":{"rooms":{"general":{"epoch":1,"offset":1}}}})", "resume.rooms.general.epoch"},
        {R"({"op":"hello","ref":1,"v":1,"resume":{"rooms":{"general":{"epoch":"e","offset":"1"}}}})", "resume.rooms.general.offset"},
        {R"({"op":"hello","ref":1,"v":1,"resume":{"rooms":{"general":{"epoch":"e","offset":-1}}}})", "resume.rooms.general.offset"},
        {R"({"op":"hello","ref":1,"v":1,"resume":{"rooms":{"general":{"epoch":"e"}}}})", "resume.rooms.general.offset"},
    });
}

TEST(ClientDecodeErrors, PingTimestampMustBeANumber) {
    expectFieldFailures({
        {R"({"op":"ping","ts":"123"})", "ts"},
        {R"({"op":"ping","ts":[1]})", "ts"},
        {R"({"op":"ping","ts":true})", "ts"},
    });
}

TEST(ClientDecodeErrors, JoinFieldsOfTheWrongTypeNameTheField) {
    expectFieldFailures({
        {R"({"op":"join","ref":1})", "room"},
        {R"({"op":"join","ref":1,"room":5})", "room"},
        {R"({"op":"join","ref":1,"room":"r","name":5})", "name"},
        {R"({"op":"join","ref":1,"room":"r","info":"Ada"})", "info"},
        {R"({"op":"join","ref":1,"room":"r","info":[1]})", "info"},
        {R"({"op":"join","ref":1,"room":"r","since":41})", "since"},
        {R"({"op":"join","ref":1,"room":"r","since":{"offset":41}})", "since.epoch"},
        {R"({"op":"join","ref":1,"room":"r","since":{"epoch":null,"offset":41}})", "since.epoch"},
        {R"({"op":"join","ref":1,"room":"r","since":{"epoch":"e","offset":1.5}})", "since.offset"},
        {R"({"op":"join","ref":1,"room":"r","since":{"epoch":"e","offset":9007199254740992}})", "since.offset"},
    });
}

TEST(ClientDecodeErrors, LeaveAndMembersNeedARoom) {
    expectFieldFailures({
        {R"({"op":"leave","ref":1})", "room"},
        {R"({"op":"leave","ref":1,"room":["r"]})", "room"},
        {R"({"op":"members","ref":1})", "room"},
        {R"({"op":"members","ref":1,"room":{}})", "room"},
    });
}

TEST(ClientDecodeErrors, PublishFieldsOfTheWrongTypeNameTheField) {
    expectFieldFailures({
        {R"({"op":"publish","ref":1,"event":"e"})", "room"},
        {R"({"op":"publish","ref":1,"room":"r"})", "event"},
        {R"({"op":"publish","ref":1,"room":"r","event":5})", "event"},
        {R"({"op":"publish","ref":1,"room":"r","event":""})", "event"},
        {R"({"op":"publish","ref":1,"room":"r","event":"e","mid":5})", "mid"},
        {R"({"op":"publish","ref":1,"room":"r","event":"e","mid":""})", "mid"},
        {R"({"op":"publish","ref":1,"room":"r","event":"e","echo":"true"})", "echo"},
        {R"({"op":"publish","ref":1,"room":"r","event":"e","echo":1})", "echo"},
    });
}

TEST(ClientDecodeErrors, HistoryFieldsOfTheWrongTypeNameTheField) {
    expectFieldFailures({
        {R"({"op":"history","ref":1})", "room"},
        {R"({"op":"history","ref":1,"room":"r","since":"e1a"})", "since"},
        {R"({"op":"history","ref":1,"room":"r","since":{"epoch":"e","offset":"10"}})", "since.offset"},
        {R"({"op":"history","ref":1,"room":"r","limit":"100"})", "limit"},
        {R"({"op":"history","ref":1,"room":"r","limit":0})", "limit"},
        {R"({"op":"history","ref":1,"room":"r","limit":-5})", "limit"},
        {R"({"op":"history","ref":1,"room":"r","limit":2.5})", "limit"},
    });
}

TEST(ClientDecodeErrors, SendFieldsOfTheWrongTypeNameTheField) {
    expectFieldFailures({
        {R"({"op":"send","ref":1})", "event"},
        {R"({"op":"send","ref":1,"event":{}})", "event"},
        {R"({"op":"send","ref":1,"event":"e","mid":[]})", "mid"},
    });
}

TEST(ClientDecodeErrors, ArgsNeedsAnObjectMessage) {
    expectFieldFailures({
        {R"({"op":"args","ref":1})", "msg"},
        {R"({"op":"args","ref":1,"msg":"TASK_START"})", "msg"},
        {R"({"op":"args","ref":1,"msg":[]})", "msg"},
        {R"({"op":"args","ref":1,"msg":null})", "msg"},
    });
}

TEST(ClientDecodeErrors, RefreshNeedsAToken) {
    expectFieldFailures({
        {R"({"op":"refresh","ref":1})", "token"},
        {R"({"op":"refresh","ref":1,"token":42})", "token"},
        {R"({"op":"refresh","ref":1,"token":""})", "token"},
    });
}

// event: 1-64 bytes, mid: 1-64 bytes (section 5); lengths are in bytes.
TEST(ClientDecodeErrors, EventAndMidLengthsAreCheckedInBytes) {
    auto publish = [](const std::string& event, const std::string& mid) {
        return R"({"op":"publish","ref":1,"room":"r","event":")" + event + R"(","mid":")" + mid + R"("})";
    };
    EXPECT_EQ(decodeAs<bp::PublishFrame>(publish(std::string(64, 'e'), std::string(64, 'm'))).event.size(), 64u);
    EXPECT_TRUE(clientFails(publish(std::string(65, 'e'), "m"), ErrorCode::BadRequest, "event"));
    EXPECT_TRUE(clientFails(publish("e", std::string(65, 'm')), ErrorCode::BadRequest, "mid"));
    std::string euro = "\xe2\x82\xac";  // 3 bytes
    std::string twentyTwoEuros;
    for (int i = 0; i < 22; ++i) twentyTwoEuros += euro;  // 66 bytes, 22 characters
    EXPECT_TRUE(clientFails(publish(twentyTwoEuros, "m"), ErrorCode::BadRequest, "event"));
    EXPECT_TRUE(clientFails(R"({"op":"send","ref":1,"event":")" + std::string(65, 'e') + R"("})", ErrorCode::BadRequest, "event"));
    EXPECT_TRUE(clientFails(R"({"op":"send","ref":1,"event":"e","mid":")" + std::string(65, 'm') + R"("})", ErrorCode::BadRequest, "mid"));
}

// Room ids: 1-128 bytes of [A-Za-z0-9_.:@-], or $-prefixed (section 5).
TEST(ClientDecodeErrors, RoomLengthIsAtMost128Bytes) {
    auto join = [](const std::string& room) { return R"({"op":"join","ref":1,"room":")" + room + R"("})"; };
    EXPECT_EQ(decodeAs<bp::JoinFrame>(join(std::string(128, 'r'))).room.size(), 128u);
    EXPECT_TRUE(clientFails(join(std::string(129, 'r')), ErrorCode::BadRequest, "room"));
}

TEST(ClientDecodeErrors, InvalidRoomIdsAreBadRequestNamingRoom) {
    const std::string rooms[] = {"", " ", "general chat", "a/b", "caf\xc3\xa9", "$", "$$x", "a$b", "a#b", "a+b",
                                 "a\\\\b", "tab\\t", "nul\\u0000"};
    for (const auto& room : rooms) {
        for (const char* op : {"join", "leave", "publish", "history", "members"}) {
            std::string text = std::string(R"({"op":")") + op + R"(","ref":1,"room":")" + room + R"(","event":"e"})";
            SCOPED_TRACE(text);
            EXPECT_TRUE(clientFails(text, ErrorCode::BadRequest, "room"));
        }
    }
}

TEST(ClientDecodeErrors, InvalidUtf8IsBadRequest) {
    const std::string texts[] = {
        "{\"op\":\"publish\",\"ref\":1,\"room\":\"r\",\"event\":\"e\",\"data\":\"\xff\"}",
        "{\"op\":\"publish\",\"ref\":1,\"room\":\"r\",\"event\":\"\xc0\xaf\"}",
        "{\"op\":\"join\",\"ref\":1,\"room\":\"r\",\"name\":\"\xed\xa0\x80\"}",
        "{\"op\":\"ping\",\"\xfe\":1}",
        "{\"op\":\"send\",\"ref\":1,\"event\":\"\xe2\x82\"}",
    };
    for (const auto& text : texts) {
        SCOPED_TRACE(::testing::PrintToString(text));
        EXPECT_TRUE(clientFails(text, ErrorCode::BadRequest));
    }
}

// A `\udc00` escape has no UTF-8 form; accepting it would put invalid UTF-8
// into the frames the server sends to every member (section 1: text frames
// hold UTF-8 JSON).
TEST(ClientDecodeErrors, LoneSurrogateEscapeIsBadRequest) {
    EXPECT_TRUE(clientFails(R"({"op":"publish","ref":1,"room":"r","event":"e","data":"\ud800"})", ErrorCode::BadRequest));
    EXPECT_TRUE(clientFails(R"({"op":"publish","ref":1,"room":"r","event":"e","data":"\udc00"})", ErrorCode::BadRequest));
}

TEST(ClientDecodeErrors, TextOverMaxMessageBytesIsTooLarge) {
    bp::DecodeLimits limits;
    limits.maxMessageBytes = 64;
    std::string text = R"({"op":"publish","ref":1,"room":"r","event":"e","data":")";
    text += std::string(64 - text.size() - 2, 'x') + "\"}";
    ASSERT_EQ(text.size(), 64u);
    EXPECT_TRUE(bp::decodeClientFrame(text, limits).frame);
    std::string over = text;
    over.insert(over.size() - 2, "x");
    EXPECT_TRUE(clientFails(over, ErrorCode::TooLarge, "", limits));
    // Too large wins even over garbage: the size is checked first.
    EXPECT_TRUE(clientFails(std::string(65, '{'), ErrorCode::TooLarge, "", limits));
}

TEST(ClientDecodeErrors, DefaultMaxMessageBytesIsOneMebibyte) {
    std::string head = R"({"op":"publish","ref":1,"room":"r","event":"e","data":")";
    std::string text = head + std::string(1024 * 1024 - head.size() - 2, 'x') + "\"}";
    ASSERT_EQ(text.size(), 1024u * 1024u);
    EXPECT_TRUE(bp::decodeClientFrame(text).frame);
    text.insert(text.size() - 2, "x");
    EXPECT_TRUE(clientFails(text, ErrorCode::TooLarge));
}

TEST(ClientDecodeErrors, NestingDeeperThanMaxJsonDepthIsBadRequest) {
    // The frame object is level 1, so data may add 31 more levels.
    auto publish = [](std::size_t levels) {
        return R"({"op":"publish","ref":1,"room":"r","event":"e","data":)" + std::string(levels, '[') +
               std::string(levels, ']') + "}";
    };
    EXPECT_TRUE(bp::decodeClientFrame(publish(31)).frame);
    EXPECT_TRUE(clientFails(publish(32), ErrorCode::BadRequest));
    bp::DecodeLimits shallow;
    shallow.maxJsonDepth = 3;
    EXPECT_TRUE(bp::decodeClientFrame(publish(2), shallow).frame);
    EXPECT_TRUE(clientFails(publish(3), ErrorCode::BadRequest, "", shallow));
}

TEST(ClientDecodeErrors, HundredThousandOpenBracketsIsBadRequestNotACrash) {
    EXPECT_TRUE(clientFails(std::string(100000, '['), ErrorCode::BadRequest));
    std::string deep = R"({"op":"publish","ref":1,"room":"r","event":"e","data":)" + std::string(100000, '[') +
                       std::string(100000, ']') + "}";
    EXPECT_TRUE(clientFails(deep, ErrorCode::BadRequest));
}

// "null treated as absent" for optional fields.
TEST(ClientDecodeErrors, NullOptionalFieldsAreAbsent) {
    auto p = decodeAs<bp::PublishFrame>(R"({"op":"publish","ref":null,"room":"r","event":"e","data":null,"mid":null,"echo":null})");
    EXPECT_EQ(p.ref, 0u);
    EXPECT_EQ(p.dataJson, "null");
    EXPECT_FALSE(p.mid);
    EXPECT_FALSE(p.echo);
    auto j = decodeAs<bp::JoinFrame>(R"({"op":"join","ref":1,"room":"r","name":null,"info":null,"since":null})");
    EXPECT_FALSE(j.name);
    EXPECT_FALSE(j.infoJson);
    EXPECT_FALSE(j.since);
    auto h = decodeAs<bp::HistoryFrame>(R"({"op":"history","ref":1,"room":"r","since":null,"limit":null})");
    EXPECT_FALSE(h.since);
    EXPECT_FALSE(h.limit);
    EXPECT_FALSE(decodeAs<bp::PingFrame>(R"({"op":"ping","ts":null})").tsJson);
    auto hello = decodeAs<bp::HelloFrame>(R"({"op":"hello","ref":1,"v":1,"token":null,"apiKey":null,"client":null,"resume":null})");
    EXPECT_FALSE(hello.token);
    EXPECT_FALSE(hello.apiKey);
    EXPECT_FALSE(hello.client);
    EXPECT_FALSE(hello.resume);
    EXPECT_FALSE(decodeAs<bp::SendFrame>(R"({"op":"send","event":"e","mid":null})").mid);
}

TEST(ClientDecodeErrors, NullRequiredFieldsAreMissing) {
    EXPECT_TRUE(clientFails(R"({"op":"join","ref":1,"room":null})", ErrorCode::BadRequest, "room"));
    EXPECT_TRUE(clientFails(R"({"op":"publish","ref":1,"room":"r","event":null})", ErrorCode::BadRequest, "event"));
    EXPECT_TRUE(clientFails(R"({"op":"refresh","ref":1,"token":null})", ErrorCode::BadRequest, "token"));
}

TEST(ClientDecodeErrors, UnknownExtraFieldsAreIgnored) {
    auto l = decodeAs<bp::LeaveFrame>(R"({"op":"leave","ref":3,"room":"general","extra":[1,{"x":null}],"room2":5})");
    EXPECT_EQ(l.room, "general");
    EXPECT_EQ(l.ref, 3u);
    auto h = decodeAs<bp::HelloFrame>(R"({"op":"hello","ref":1,"v":1,"client":{"name":"n","version":"1","os":"linux"},"future":true})");
    ASSERT_TRUE(h.client);
    EXPECT_EQ(h.client->name, "n");
    // Ping carries no ref of its own; a ref on it is read and ignored.
    auto d = bp::decodeClientFrame(R"({"op":"ping","ref":4,"ts":1})");
    ASSERT_TRUE(d.frame);
    EXPECT_EQ(d.ref, 4u);
}

TEST(ClientDecodeErrors, ParseFailuresNeverTripAnInternalAssert) {
    auto before = json::internalAssertCount();
    for (const char* text : {"", "{", "[", "{\"op\":", "{\"op\":\"join\",\"room\":", "nul", "{\"op\":\"ping\"}x"})
        bp::decodeClientFrame(text);
    bp::decodeClientFrame(std::string(100000, '['));
    EXPECT_EQ(json::internalAssertCount(), before);
}

// Cluster mode: a broker places an unplaced message (offset and epoch), and
// the result decodes as the message the hub would have encoded itself.
TEST(MessagePlacement, APlacedMessageDecodesAsTheFullFrame) {
    bp::MessageFrame m;
    m.room = "general";
    m.event = "chat";
    m.dataJson = R"({"text":"hi \"there\"","n":[1,2]})";
    m.from = bp::Sender{"c-1", std::string("alice")};
    m.ts = 1700000000123;
    m.mid = "m-7";
    std::string unplaced = bp::encodeUnplacedMessage(m);
    EXPECT_EQ(unplaced.find("offset"), std::string::npos);
    auto placed = bp::placeMessage(unplaced, 42, "e1a-b_c");
    ASSERT_TRUE(placed);
    auto decoded = bp::decodeServerFrame(*placed);
    ASSERT_TRUE(decoded.frame) << *placed;
    m.offset = 42;
    m.epoch = "e1a-b_c";
    EXPECT_EQ(std::get<bp::MessageFrame>(*decoded.frame), m);
}

TEST(MessagePlacement, RefusesWhatIsNotAMessageOrNotAPosition) {
    EXPECT_FALSE(bp::placeMessage("", 1, "e"));
    EXPECT_FALSE(bp::placeMessage("not json", 1, "e"));
    EXPECT_FALSE(bp::placeMessage("{}", 1, "e"));  // no fields to follow
    const std::string unplaced = R"({"op":"message"})";
    EXPECT_FALSE(bp::placeMessage(unplaced, 0, "e"));  // offsets start at 1
    EXPECT_FALSE(bp::placeMessage(unplaced, bp::kMaxSafeInteger + 1, "e"));
    EXPECT_FALSE(bp::placeMessage(unplaced, 1, ""));
    EXPECT_FALSE(bp::placeMessage(unplaced, 1, "a\"b"));  // would break out of the string
    EXPECT_FALSE(bp::placeMessage(unplaced, 1, std::string(65, 'e')));
    auto placed = bp::placeMessage(unplaced, 1, std::string(64, 'e'));
    ASSERT_TRUE(placed);
    EXPECT_EQ(*placed, R"({"op":"message","offset":1,"epoch":")" + std::string(64, 'e') + R"("})");
}
