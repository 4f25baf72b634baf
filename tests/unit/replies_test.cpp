// The reply bodies both ends act on (protocol/replies.hpp): what the hub
// encodes the client decodes to the same values, PROTOCOL.md's own examples
// decode, and a body that is wrong says which field.
#include "brolostack/protocol/replies.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>

namespace {

using namespace brolostack::protocol;

template <class T>
T ok(const std::variant<T, Error>& decoded) {
    if (const auto* e = std::get_if<Error>(&decoded)) ADD_FAILURE() << "decode failed: " << e->message;
    return std::holds_alternative<T>(decoded) ? std::get<T>(decoded) : T{};
}

template <class T>
Error failed(const std::variant<T, Error>& decoded) {
    EXPECT_TRUE(std::holds_alternative<Error>(decoded)) << "a bad body was accepted";
    return std::holds_alternative<Error>(decoded) ? std::get<Error>(decoded) : Error{};
}

TEST(Replies, AJoinReplyDecodesToWhatWasEncoded) {
    JoinReply reply;
    reply.room = "general";
    reply.name = "General";
    reply.position = {"e1", 41};
    reply.members = {{"c-1", std::string("u1"), R"({"name":"Ada"})"}, {"c-2", std::nullopt, "{}"}};
    reply.memberCount = 3;
    reply.recovered = true;
    const std::string missed = R"({"op":"message","room":"general","event":"chat","data":1,"offset":41,"epoch":"e1","ts":1})";
    reply.missed = {std::make_shared<const std::string>(missed)};
    JoinReply back = ok(decodeJoinReply(encodeJoinReply(reply)));
    EXPECT_EQ(back.room, "general");
    EXPECT_EQ(back.name, "General");
    EXPECT_EQ(back.position, reply.position);
    EXPECT_EQ(back.members, reply.members);
    EXPECT_EQ(back.memberCount, 3u);
    EXPECT_TRUE(back.recovered);
    ASSERT_EQ(back.missed.size(), 1u);
    EXPECT_EQ(*back.missed[0], missed);
}

TEST(Replies, PublishAndLeaveRepliesRoundTrip) {
    PublishReply p = ok(decodePublishReply(encodePublishReply({"general", {"e1", 7}, true})));
    EXPECT_EQ(p.room, "general");
    EXPECT_EQ(p.position, (StreamPosition{"e1", 7}));
    EXPECT_TRUE(p.duplicate);
    EXPECT_EQ(ok(decodeLeaveReply(encodeLeaveReply({"$session:s1"}))).room, "$session:s1");
}

TEST(Replies, TheWelcomeOfProtocolMdDecodesWithRoomsKeyedByName) {
    Welcome w = ok(decodeWelcome(
        R"({"sid":"c-9f3","user":{"id":"u1","name":"Ada"},"protocol":"ARGS","version":"1.0.0","v":1,)"
        R"("environment":"production","heartbeatMs":15000,"capabilities":["rooms"],)"
        R"("limits":{"maxMessageBytes":1048576},"rooms":{"general":{"recovered":true,"epoch":"e1a","offset":57,"missed":[]},)"
        R"("locked":{"recovered":false,"error":{"code":"forbidden","message":"no","details":{}}}}})"));
    EXPECT_EQ(w.sid, "c-9f3");
    EXPECT_EQ(w.resumeToken, "");
    ASSERT_EQ(w.rooms.size(), 2u);
    const ResumedRoom& general = w.rooms.at("general");
    ASSERT_TRUE(general.joined);
    EXPECT_EQ(general.joined->room, "general");
    EXPECT_EQ(general.joined->position, (StreamPosition{"e1a", 57}));
    EXPECT_TRUE(general.joined->recovered);
    const ResumedRoom& locked = w.rooms.at("locked");
    EXPECT_FALSE(locked.joined);
    ASSERT_TRUE(locked.error);
    EXPECT_EQ(locked.error->code, ErrorCode::Forbidden);
}

TEST(Replies, WrongBodiesNameTheirField) {
    EXPECT_EQ(failed(decodeJoinReply("[1]")).message, "a join reply is not a JSON object");
    EXPECT_EQ(failed(decodeJoinReply(R"({"room":"r","epoch":"e","offset":"1"})")).detailsJson, R"({"field":"offset"})");
    EXPECT_EQ(failed(decodeJoinReply(R"({"room":"r","epoch":"e","offset":1,"missed":[1]})")).detailsJson,
              R"({"field":"missed"})");
    EXPECT_EQ(failed(decodeJoinReply(R"({"room":"r","epoch":"e","offset":1,"members":[{"user":"u"}]})")).detailsJson,
              R"({"field":"members"})");
    EXPECT_EQ(failed(decodePublishReply(R"({"room":"r","offset":1})")).detailsJson, R"({"field":"epoch"})");
    EXPECT_EQ(failed(decodeLeaveReply(R"({"room":"no spaces"})")).code, ErrorCode::BadRequest);
    EXPECT_EQ(failed(decodeWelcome(R"({"resumeToken":"t"})")).detailsJson, R"({"field":"sid"})");
    Error room = failed(decodeWelcome(R"({"sid":"c","rooms":{"general":{"recovered":true,"offset":1}}})"));
    EXPECT_EQ(room.detailsJson, R"({"field":"rooms"})");
    EXPECT_NE(room.message.find("room 'general'"), std::string::npos) << room.message;
}

}  // namespace
