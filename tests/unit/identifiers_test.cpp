// Syntax of room ids and ARGS session ids (PROTOCOL.md sections 5 and 7).
#include "brolostack/protocol/identifiers.hpp"

#include <gtest/gtest.h>

#include <string>

namespace bp = brolostack::protocol;

namespace {

const std::string kAllowedPunctuation = "_.:@-";

std::string sessionRoom(const std::string& id) { return std::string(bp::kSessionRoomPrefix) + id; }

}  // namespace

// Room ids: 1-128 bytes of [A-Za-z0-9_.:@-] (section 5).
TEST(RoomId, OneByteIsValid) {
    EXPECT_TRUE(bp::isValidRoomId("a"));
    EXPECT_TRUE(bp::isValidRoomId("0"));
    EXPECT_TRUE(bp::isValidRoomId("-"));
}

TEST(RoomId, EmptyIsInvalid) { EXPECT_FALSE(bp::isValidRoomId("")); }

TEST(RoomId, Exactly128BytesIsValid) {
    EXPECT_EQ(bp::kMaxRoomIdBytes, 128u);
    EXPECT_TRUE(bp::isValidRoomId(std::string(128, 'r')));
}

TEST(RoomId, Over128BytesIsInvalid) {
    EXPECT_FALSE(bp::isValidRoomId(std::string(129, 'r')));
    EXPECT_FALSE(bp::isValidRoomId(std::string(1000, 'r')));
}

TEST(RoomId, EveryAllowedCharacterIsAccepted) {
    std::string all;
    for (char c = 'A'; c <= 'Z'; ++c) all += c;
    for (char c = 'a'; c <= 'z'; ++c) all += c;
    for (char c = '0'; c <= '9'; ++c) all += c;
    all += kAllowedPunctuation;
    EXPECT_TRUE(bp::isValidRoomId(all));
    for (char c : all) EXPECT_TRUE(bp::isValidRoomId(std::string(1, c))) << c;
    for (char c : kAllowedPunctuation) EXPECT_TRUE(bp::isValidRoomId(std::string("doc") + c + "1")) << c;
}

TEST(RoomId, EveryOtherByteIsRejected) {
    for (int b = 0; b < 256; ++b) {
        char c = static_cast<char>(b);
        bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       kAllowedPunctuation.find(c) != std::string::npos;
        if (allowed) continue;
        std::string room = std::string("ab") + c + "cd";
        EXPECT_FALSE(bp::isValidRoomId(room)) << "byte " << b;
    }
}

TEST(RoomId, SpacesSlashesAndUnicodeAreInvalid) {
    EXPECT_FALSE(bp::isValidRoomId(" "));
    EXPECT_FALSE(bp::isValidRoomId("general chat"));
    EXPECT_FALSE(bp::isValidRoomId(" general"));
    EXPECT_FALSE(bp::isValidRoomId("a/b"));
    EXPECT_FALSE(bp::isValidRoomId("/"));
    EXPECT_FALSE(bp::isValidRoomId("caf\xc3\xa9"));
    EXPECT_FALSE(bp::isValidRoomId("\xf0\x9f\x98\x80"));
    EXPECT_FALSE(bp::isValidRoomId(std::string("a\0b", 3)));
}

// `$`-prefixed rooms belong to the server; the `$` alone is not a room.
TEST(RoomId, DollarPrefixedRoomsAreValid) {
    EXPECT_TRUE(bp::isValidRoomId("$x"));
    EXPECT_TRUE(bp::isValidRoomId("$session:ai-collaboration"));
    EXPECT_TRUE(bp::isValidRoomId("$" + std::string(127, 'r')));
    EXPECT_FALSE(bp::isValidRoomId("$" + std::string(128, 'r')));
}

TEST(RoomId, LoneDollarAndInnerDollarsAreInvalid) {
    EXPECT_FALSE(bp::isValidRoomId("$"));
    EXPECT_FALSE(bp::isValidRoomId("$$"));
    EXPECT_FALSE(bp::isValidRoomId("$$x"));
    EXPECT_FALSE(bp::isValidRoomId("a$"));
    EXPECT_FALSE(bp::isValidRoomId("$a b"));
}

TEST(RoomId, ServerRoomsAreThoseStartingWithDollar) {
    EXPECT_TRUE(bp::isServerRoom("$session:x"));
    EXPECT_TRUE(bp::isServerRoom("$"));
    EXPECT_FALSE(bp::isServerRoom("general"));
    EXPECT_FALSE(bp::isServerRoom("a$"));
    EXPECT_FALSE(bp::isServerRoom(""));
}

// Session ids: 1-119 bytes of the room-id characters (section 7), so that
// "$session:<id>" is itself a valid room id.
TEST(SessionId, LengthBoundaries) {
    EXPECT_EQ(bp::kMaxSessionIdBytes + bp::kSessionRoomPrefix.size(), bp::kMaxRoomIdBytes);
    EXPECT_FALSE(bp::isValidSessionId(""));
    EXPECT_TRUE(bp::isValidSessionId("s"));
    EXPECT_TRUE(bp::isValidSessionId(std::string(119, 's')));
    EXPECT_FALSE(bp::isValidSessionId(std::string(120, 's')));
}

TEST(SessionId, UsesTheRoomIdCharacters) {
    EXPECT_TRUE(bp::isValidSessionId("ai-collaboration_1.v2:x@y"));
    for (char c : kAllowedPunctuation) EXPECT_TRUE(bp::isValidSessionId(std::string(1, c))) << c;
    EXPECT_FALSE(bp::isValidSessionId("a b"));
    EXPECT_FALSE(bp::isValidSessionId("a/b"));
    EXPECT_FALSE(bp::isValidSessionId("$s"));
    EXPECT_FALSE(bp::isValidSessionId("caf\xc3\xa9"));
}

TEST(SessionId, LongestSessionRoomIsAValidRoom) {
    std::string room = sessionRoom(std::string(119, 's'));
    EXPECT_EQ(room.size(), 128u);
    EXPECT_TRUE(bp::isValidRoomId(room));
    EXPECT_EQ(bp::sessionIdOfRoom(room), std::string(119, 's'));
}

TEST(SessionRoom, ParsesTheSessionId) {
    EXPECT_EQ(bp::sessionIdOfRoom("$session:ai-collaboration"), "ai-collaboration");
    EXPECT_EQ(bp::sessionIdOfRoom("$session:a"), "a");
    EXPECT_EQ(bp::sessionIdOfRoom("$session:a:b"), "a:b");  // ':' is a room-id character
}

TEST(SessionRoom, OtherRoomsHaveNoSessionId) {
    EXPECT_EQ(bp::sessionIdOfRoom("general"), "");
    EXPECT_EQ(bp::sessionIdOfRoom("session:abc"), "");
    EXPECT_EQ(bp::sessionIdOfRoom("$sessionabc"), "");
    EXPECT_EQ(bp::sessionIdOfRoom("$Session:abc"), "");
    EXPECT_EQ(bp::sessionIdOfRoom("$session"), "");
    EXPECT_EQ(bp::sessionIdOfRoom("x$session:abc"), "");
    EXPECT_EQ(bp::sessionIdOfRoom(""), "");
    EXPECT_EQ(bp::sessionIdOfRoom("$"), "");
}

TEST(SessionRoom, InvalidSessionIdsYieldNothing) {
    EXPECT_EQ(bp::sessionIdOfRoom("$session:"), "");
    EXPECT_EQ(bp::sessionIdOfRoom("$session:a b"), "");
    EXPECT_EQ(bp::sessionIdOfRoom("$session:$x"), "");
    EXPECT_EQ(bp::sessionIdOfRoom(sessionRoom(std::string(120, 's'))), "");
}

TEST(NameLimits, EventAndMidAreAtMost64Bytes) {
    EXPECT_EQ(bp::kMaxEventBytes, 64u);
    EXPECT_EQ(bp::kMaxMidBytes, 64u);
}
