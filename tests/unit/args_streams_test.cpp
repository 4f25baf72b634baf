// ARGS streams (PROTOCOL.md section 7, "Streams"): who may send, sequence
// rules per quality of service, how chunks are routed, and how streams end.
#include "args_test_support.hpp"

#include <cstdlib>
#include <limits>
#include <set>

namespace argstest {
namespace {

class ArgsStreams : public ArgsTest {
protected:
    Outputs start(Owner owner, const std::string& id, const std::string& qos, const std::string& type = "json") {
        Outputs out;
        Document reply = parse(ok(owner, MessageType::StreamStart,
                                  R"({"streamId":")" + id + R"(","type":")" + type +
                                      R"(","compression":"none","chunkSize":1024,"bufferSize":8,"qualityOfService":")" +
                                      qos + R"("})",
                                  &out));
        EXPECT_STREQ(reply["streamId"].GetString(), id.c_str());
        return out;
    }
    std::string chunk(const std::string& id, std::int64_t seq, bool isLast = false) {
        return R"({"streamId":")" + id + R"(","seq":)" + std::to_string(seq) + R"(,"chunk":"c)" +
               std::to_string(seq) + R"(","isLast":)" + (isLast ? "true" : "false") + "}";
    }
    Result data(Owner owner, const std::string& id, std::int64_t seq, bool isLast = false, Outputs* out = nullptr) {
        return handle(owner, MessageType::StreamData, chunk(id, seq, isLast), out);
    }
    Result binary(Owner owner, const std::string& id, std::int64_t seq, bool isLast, bool& realTime,
                  Outputs* out = nullptr, const std::string& sessionId = "s1") {
        Outputs produced;
        Result r = coord().binaryChunk(owner, sessionId, id, seq, isLast, now, produced, realTime);
        log.insert(log.end(), produced.begin(), produced.end());
        if (out) *out = produced;
        return r;
    }
    static std::string code(const Result& r) {
        return std::holds_alternative<Error>(r) ? codeName(std::get<Error>(r).code) : "ok";
    }
};

TEST_F(ArgsStreams, StartIsAnnouncedAndDuplicateIdIsConflict) {
    Outputs out = start(1, "st1", "guaranteed");
    auto announced = ofType(out, MessageType::StreamStart);
    ASSERT_EQ(announced.size(), 1u);
    EXPECT_EQ(announced[0]->route, Route::Announce);
    EXPECT_STREQ(payloadOf(*announced[0])["qualityOfService"].GetString(), "guaranteed");
    Outputs again;
    EXPECT_EQ(codeName(fails(2, MessageType::StreamStart, R"({"streamId":"st1"})", &again).code), "conflict");
    EXPECT_TRUE(again.empty());
    Document snap = snapshot();
    ASSERT_EQ(snap["streams"].Size(), 1u);
    EXPECT_STREQ(snap["streams"][0]["streamId"].GetString(), "st1");
    EXPECT_STREQ(snap["streams"][0]["type"].GetString(), "json");
    EXPECT_EQ(coord().totals().streams, 1u);
}

TEST_F(ArgsStreams, BadStreamConfigIsBadRequest) {
    EXPECT_EQ(codeName(fails(1, MessageType::StreamStart, R"({"type":"text"})").code), "bad_request");
    EXPECT_EQ(codeName(fails(1, MessageType::StreamStart, R"({"streamId":"s","type":"video"})").code), "bad_request");
    EXPECT_EQ(codeName(fails(1, MessageType::StreamStart, R"({"streamId":"s","qualityOfService":"perfect"})").code),
              "bad_request");
    EXPECT_EQ(codeName(fails(1, MessageType::StreamStart, "null").code), "bad_request");
    EXPECT_TRUE(log.empty());
    for (const char* type : {"text", "binary", "json", "media"})
        ok(1, MessageType::StreamStart, std::string(R"({"streamId":"s-)") + type + R"(","type":")" + type + "\"}");
}

TEST_F(ArgsStreams, OnlyTheStarterMaySendOrEnd) {
    start(1, "st", "best-effort");
    Outputs out;
    EXPECT_EQ(code(data(2, "st", 0, false, &out)), "forbidden");
    EXPECT_EQ(code(handle(2, MessageType::StreamEnd, R"({"streamId":"st"})", &out)), "forbidden");
    bool realTime = false;
    EXPECT_EQ(code(binary(2, "st", 0, false, realTime, &out)), "forbidden");
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(code(data(1, "st", 0)), "ok");
    EXPECT_EQ(code(data(1, "nope", 0)), "not_found");
    EXPECT_EQ(code(handle(1, MessageType::StreamEnd, R"({"streamId":"nope"})")), "not_found");
}

TEST_F(ArgsStreams, GuaranteedChunksAreAnnouncedInSequence) {
    start(1, "g", "guaranteed");
    for (int seq = 0; seq < 3; ++seq) {
        Outputs out;
        ASSERT_EQ(code(data(1, "g", seq, false, &out)), "ok") << seq;
        auto chunks = ofType(out, MessageType::StreamData);
        ASSERT_EQ(chunks.size(), 1u);
        EXPECT_EQ(chunks[0]->route, Route::Announce);
        EXPECT_EQ(payloadOf(*chunks[0])["seq"].GetInt64(), seq);
        EXPECT_STREQ(payloadOf(*chunks[0])["chunk"].GetString(), ("c" + std::to_string(seq)).c_str());
    }
    Outputs out;
    EXPECT_EQ(code(data(1, "g", 4, false, &out)), "bad_request") << "a gap";
    EXPECT_EQ(code(data(1, "g", 2, false, &out)), "bad_request") << "a repeat";
    EXPECT_TRUE(out.empty()) << "refused chunks are not passed on";
    EXPECT_EQ(code(data(1, "g", 3)), "ok") << "the expected seq is unchanged by refused chunks";
}

TEST_F(ArgsStreams, GuaranteedStreamStartsAtZero) {
    start(1, "g", "guaranteed");
    EXPECT_EQ(code(data(1, "g", 1)), "bad_request");
    EXPECT_EQ(code(data(1, "g", 0)), "ok");
}

TEST_F(ArgsStreams, BestEffortChunksAreBroadcastNotDroppable) {
    start(1, "be", "best-effort");
    Outputs out;
    ASSERT_EQ(code(data(1, "be", 0, false, &out)), "ok");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].msg.type, MessageType::StreamData);
    EXPECT_EQ(out[0].route, Route::Broadcast);
    EXPECT_EQ(out[0].owner, 1u) << "the sender is skipped";
    EXPECT_FALSE(out[0].droppable);
    EXPECT_EQ(code(data(1, "be", 5, false, &out)), "ok") << "gaps are fine without guarantees";
}

TEST_F(ArgsStreams, RealTimeChunksAreBroadcastDroppable) {
    start(1, "rt", "real-time", "media");
    Outputs out;
    ASSERT_EQ(code(data(1, "rt", 0, false, &out)), "ok");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].route, Route::Broadcast);
    EXPECT_EQ(out[0].owner, 1u);
    EXPECT_TRUE(out[0].droppable);
}

TEST_F(ArgsStreams, IsLastEndsTheStream) {
    start(1, "g", "guaranteed");
    data(1, "g", 0);
    Outputs out;
    ASSERT_EQ(code(data(1, "g", 1, true, &out)), "ok");
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].msg.type, MessageType::StreamData) << "the last chunk comes before the end";
    EXPECT_EQ(out[1].msg.type, MessageType::StreamEnd);
    EXPECT_EQ(out[1].route, Route::Announce);
    EXPECT_STREQ(payloadOf(out[1])["streamId"].GetString(), "g");
    EXPECT_EQ(code(data(1, "g", 2)), "not_found");
    EXPECT_EQ(snapshot()["streams"].Size(), 0u);
    start(2, "g", "best-effort");  // the id is free again
}

TEST_F(ArgsStreams, StreamEndEndsTheStream) {
    start(1, "st", "real-time");
    Outputs out;
    ok(1, MessageType::StreamEnd, R"({"streamId":"st"})", &out);
    auto ends = ofType(out, MessageType::StreamEnd);
    ASSERT_EQ(ends.size(), 1u);
    EXPECT_EQ(ends[0]->route, Route::Announce);
    EXPECT_STREQ(payloadOf(*ends[0])["streamId"].GetString(), "st");
    EXPECT_EQ(code(data(1, "st", 0)), "not_found");
    EXPECT_EQ(coord().totals().streams, 0u);
}

TEST_F(ArgsStreams, BadChunksAreBadRequests) {
    start(1, "st", "best-effort");
    EXPECT_EQ(code(handle(1, MessageType::StreamData, R"({"streamId":"st","seq":-1})")), "bad_request");
    EXPECT_EQ(code(handle(1, MessageType::StreamData, R"({"streamId":"st","seq":"0"})")), "bad_request");
    EXPECT_EQ(code(handle(1, MessageType::StreamData, R"({"streamId":"st"})")), "bad_request");
    EXPECT_EQ(code(handle(1, MessageType::StreamData, R"({"seq":0})")), "bad_request");
    EXPECT_EQ(code(handle(1, MessageType::StreamEnd, R"({})")), "bad_request");
}

TEST_F(ArgsStreams, BinaryChunksFollowTheSameRules) {
    start(1, "g", "guaranteed", "binary");
    start(1, "rt", "real-time", "binary");
    bool realTime = true;
    Outputs out;
    EXPECT_EQ(code(binary(1, "g", 0, false, realTime, &out)), "ok");
    EXPECT_FALSE(realTime);
    EXPECT_TRUE(out.empty()) << "the hub forwards the bytes; nothing else to route";
    EXPECT_EQ(code(binary(1, "g", 2, false, realTime)), "bad_request") << "a gap in a guaranteed stream";
    EXPECT_EQ(code(binary(1, "g", 1, false, realTime)), "ok");
    EXPECT_EQ(code(binary(1, "rt", 7, false, realTime)), "ok");
    EXPECT_TRUE(realTime);
    EXPECT_EQ(code(binary(1, "nope", 0, false, realTime)), "not_found");
    EXPECT_EQ(code(binary(1, "g", 0, false, realTime, nullptr, "other-session")), "not_found");
    Document snap = snapshot();
    for (const auto& st : snap["streams"].GetArray()) {
        if (std::string(st["streamId"].GetString()) == "g") {
            EXPECT_EQ(st["chunks"].GetUint64(), 2u);
        }
    }
    ASSERT_EQ(code(binary(1, "g", 2, true, realTime, &out)), "ok");
    auto ends = ofType(out, MessageType::StreamEnd);
    ASSERT_EQ(ends.size(), 1u);
    EXPECT_EQ(ends[0]->route, Route::Announce);
    EXPECT_STREQ(payloadOf(*ends[0])["streamId"].GetString(), "g");
    EXPECT_EQ(code(binary(1, "g", 3, false, realTime)), "not_found");
}

TEST_F(ArgsStreams, OwnerGoneEndsItsStreamsOnly) {
    start(1, "mine", "guaranteed");
    start(1, "mine2", "best-effort");
    start(2, "theirs", "best-effort");
    Outputs out = gone(1);
    auto ends = ofType(out, MessageType::StreamEnd);
    ASSERT_EQ(ends.size(), 2u);
    std::set<std::string> ended;
    for (const auto* r : ends) {
        EXPECT_EQ(r->route, Route::Announce);
        Document p = payloadOf(*r);
        ended.insert(p["streamId"].GetString());
        EXPECT_STREQ(p["reason"].GetString(), "disconnected");
    }
    EXPECT_EQ(ended, (std::set<std::string>{"mine", "mine2"}));
    EXPECT_EQ(code(data(2, "theirs", 0)), "ok");
    EXPECT_EQ(snapshot()["streams"].Size(), 1u);
}

// A best-effort chunk may carry any seq; the largest one must not overflow
// the server's bookkeeping (malformed input never crashes the server).
class ArgsStreamsDeathTest : public ArgsStreams {};

TEST_F(ArgsStreamsDeathTest, HugeSeqOnBestEffortStreamDoesNotCrash) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    start(1, "be", "best-effort");
    EXPECT_EXIT(
        {
            Result r = data(1, "be", std::numeric_limits<std::int64_t>::max());
            std::exit(std::holds_alternative<std::string>(r) || std::get<Error>(r).code == ErrorCode::BadRequest ? 0 : 3);
        },
        ::testing::ExitedWithCode(0), "");
}

TEST_F(ArgsStreamsDeathTest, HugeSeqOnBinaryChunkDoesNotCrash) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    start(1, "rt", "real-time", "binary");
    EXPECT_EXIT(
        {
            bool realTime = false;
            Result r = binary(1, "rt", std::numeric_limits<std::int64_t>::max(), false, realTime);
            std::exit(std::holds_alternative<std::string>(r) || std::get<Error>(r).code == ErrorCode::BadRequest ? 0 : 3);
        },
        ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace argstest
