// Recovery: join with `since`, hello.resume, history limits and epochs
// (PROTOCOL.md sections 3 and 5).
#include "hub_test_support.hpp"

#include <gtest/gtest.h>

namespace hubtest {
namespace {

class RecoveryTest : public HubTest {
protected:
    ConnId publisher = 0;
    std::string epoch;

    /// A publisher that joined `room` and published `n` messages (data {"n":i}).
    void fill(int n, const std::string& room = "general") {
        if (publisher == 0) publisher = client();
        epoch = join(publisher, room)["epoch"].GetString();
        for (int i = 1; i <= n; ++i) publish(publisher, room, i);
    }
    static std::string since(const std::string& epoch, std::uint64_t offset) {
        return R"("since":{"epoch":")" + epoch + R"(","offset":)" + std::to_string(offset) + "}";
    }
    static std::vector<std::uint64_t> missedOffsets(const Value& joinData) {
        std::vector<std::uint64_t> offsets;
        for (const auto& m : joinData["missed"].GetArray()) offsets.push_back(m["offset"].GetUint64());
        return offsets;
    }
};

using Offsets = std::vector<std::uint64_t>;

// "recovered is true only when since was given, the epoch matches and every
// message after since.offset is in missed, in order"
TEST_F(RecoveryTest, JoinWithSinceReturnsWhatWasMissedInOrder) {
    ConnId watcher = client();
    join(watcher, "general");
    fill(5);
    ConnId late = client();
    Document d = join(late, "general", since(epoch, 2));
    EXPECT_TRUE(d["recovered"].GetBool());
    EXPECT_EQ(d["offset"].GetUint64(), 5u);
    EXPECT_EQ(missedOffsets(d), (Offsets{3, 4, 5}));
    // missed holds the very frames that live members got
    auto live = textsTo(log, watcher);
    std::vector<std::string> liveMessages;
    for (const auto& t : live)
        if (t.find("\"op\":\"message\"") != std::string::npos) liveMessages.push_back(t);
    ASSERT_EQ(liveMessages.size(), 5u);
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(str(d["missed"][static_cast<unsigned>(i)]), liveMessages[i + 2]);
}

TEST_F(RecoveryTest, SinceZeroRecoversTheWholeHistory) {
    fill(3);
    Document d = join(client(), "general", since(epoch, 0));
    EXPECT_TRUE(d["recovered"].GetBool());
    EXPECT_EQ(missedOffsets(d), (Offsets{1, 2, 3}));
}

TEST_F(RecoveryTest, SinceOlderThanHistoryIsAPartialTailNotRecovered) {
    settings.historySize = 3;
    fill(6);
    Document d = join(client(), "general", since(epoch, 1));
    EXPECT_FALSE(d["recovered"].GetBool());
    EXPECT_EQ(missedOffsets(d), (Offsets{4, 5, 6}));
    EXPECT_EQ(d["offset"].GetUint64(), 6u);
}

TEST_F(RecoveryTest, SinceJustInsideHistoryIsRecovered) {
    settings.historySize = 3;
    fill(6);
    Document d = join(client(), "general", since(epoch, 3));
    EXPECT_TRUE(d["recovered"].GetBool());
    EXPECT_EQ(missedOffsets(d), (Offsets{4, 5, 6}));
}

// "a client holding another epoch cannot recover and must resync"
TEST_F(RecoveryTest, OtherEpochIsNotRecoveredAndMissesNothing) {
    fill(3);
    Document d = join(client(), "general", since("not-" + epoch, 1));
    EXPECT_FALSE(d["recovered"].GetBool());
    EXPECT_EQ(str(d["missed"]), "[]");
    EXPECT_EQ(d["epoch"].GetString(), epoch);
}

TEST_F(RecoveryTest, SinceTheLatestOffsetIsRecoveredWithNothingMissed) {
    fill(3);
    Document d = join(client(), "general", since(epoch, 3));
    EXPECT_TRUE(d["recovered"].GetBool());
    EXPECT_EQ(str(d["missed"]), "[]");
}

TEST_F(RecoveryTest, SinceAheadOfTheLatestIsNotRecovered) {
    fill(3);
    Document d = join(client(), "general", since(epoch, 4));
    EXPECT_FALSE(d["recovered"].GetBool());
    EXPECT_EQ(str(d["missed"]), "[]");
}

TEST_F(RecoveryTest, JoinWithoutSinceIsNotRecovered) {
    fill(2);
    Document d = join(client(), "general");
    EXPECT_FALSE(d["recovered"].GetBool());
    EXPECT_EQ(str(d["missed"]), "[]");
}

// "When resume.rooms is given the server re-joins those rooms and fills rooms
// exactly as join with since would"
TEST_F(RecoveryTest, HelloResumeRejoinsAndRecoversEachRoom) {
    fill(3, "general");
    std::string generalEpoch = epoch;
    fill(1, "random");
    std::string randomEpoch = epoch;
    ConnId c = connect();
    std::size_t before = log.size();
    Document r = hello(c, R"("resume":{"rooms":{"general":{"epoch":")" + generalEpoch +
                              R"(","offset":1},"random":{"epoch":")" + randomEpoch + R"(","offset":1}}})");
    ASSERT_TRUE(r["ok"].GetBool()) << str(r);
    const Value& rooms = r["data"]["rooms"];
    ASSERT_TRUE(rooms.HasMember("general"));
    EXPECT_TRUE(rooms["general"]["recovered"].GetBool());
    EXPECT_EQ(missedOffsets(rooms["general"]), (Offsets{2, 3}));
    EXPECT_EQ(rooms["general"]["offset"].GetUint64(), 3u);
    EXPECT_EQ(rooms["general"]["epoch"].GetString(), generalEpoch);
    EXPECT_EQ(rooms["general"]["memberCount"].GetUint64(), 2u);
    EXPECT_TRUE(rooms["random"]["recovered"].GetBool());
    EXPECT_EQ(str(rooms["random"]["missed"]), "[]");
    // The same data as a join with since gives (idempotent re-join now).
    Document viaJoin = join(c, "general", since(generalEpoch, 1));
    EXPECT_EQ(str(rooms["general"]), str(viaJoin));
    // It is a member again: others saw it join and it receives new messages.
    Outbox afterHello(log.begin() + static_cast<std::ptrdiff_t>(before), log.end());
    EXPECT_EQ(framesTo(afterHello, publisher, "presence").size(), 2u);
    Outbox out;
    publish(publisher, "general", 4, "", &out);
    EXPECT_EQ(framesTo(out, c, "message").size(), 1u);
}

// docs/protocol.md: a room that cannot be joined appears as {"recovered":false,"error":{...}}
TEST_F(RecoveryTest, ResumeOfAForbiddenRoomReportsTheErrorInThatRoomOnly) {
    fill(2);
    ConnId c = connect();
    Document r = hello(c, R"("resume":{"rooms":{"$private":{"epoch":"x","offset":0},"general":{"epoch":")" + epoch +
                              R"(","offset":2}}})");
    ASSERT_TRUE(r["ok"].GetBool()) << str(r);
    const Value& rooms = r["data"]["rooms"];
    EXPECT_FALSE(rooms["$private"]["recovered"].GetBool());
    EXPECT_EQ(errorCode(rooms["$private"]), "forbidden");
    EXPECT_TRUE(rooms["general"]["recovered"].GetBool());
}

TEST_F(RecoveryTest, ResumeOverTheRoomLimitReportsLimitExceeded) {
    settings.maxRoomsPerConnection = 1;
    fill(1, "a");
    publisher = 0;  // another publisher: this one may hold one room only
    fill(1, "b");
    ConnId c = connect();
    Document r = hello(c, R"("resume":{"rooms":{"a":{"epoch":"x","offset":0},"b":{"epoch":"x","offset":0}}})");
    const Value& rooms = r["data"]["rooms"];
    EXPECT_FALSE(rooms["a"].HasMember("error"));
    EXPECT_EQ(errorCode(rooms["b"]), "limit_exceeded");
}

// HISTORY_TTL_MS: expired history cannot be recovered, even with the same epoch.
TEST_F(RecoveryTest, ExpiredHistoryIsNotRecovered) {
    settings.historyTtlMs = 5000;
    fill(3);
    advance(4999);
    Document fresh = join(client(), "general", since(epoch, 1));
    EXPECT_TRUE(fresh["recovered"].GetBool());
    hub().activity(publisher, now);  // the publisher stays, so the room does too
    advance(2);
    Document d = join(client(), "general", since(epoch, 1));
    EXPECT_EQ(d["epoch"].GetString(), epoch);
    EXPECT_FALSE(d["recovered"].GetBool());
    EXPECT_EQ(str(d["missed"]), "[]");
}

TEST_F(RecoveryTest, ExpiredHistoryLeavesHistoryOpEmpty) {
    settings.historyTtlMs = 5000;
    fill(3);
    advance(5001);
    Document h = parse(ok(publisher, "history", R"("room":"general")"));
    EXPECT_EQ(h["messages"].Size(), 0u);
    EXPECT_EQ(h["offset"].GetUint64(), 3u);  // offsets keep counting
    EXPECT_EQ(publish(publisher, "general", 4)["data"]["offset"].GetUint64(), 4u);
}

// "An epoch lasts as long as the room is in memory" (docs/protocol.md)
TEST_F(RecoveryTest, EmptyRoomWithExpiredHistoryStartsANewEpoch) {
    settings.historyTtlMs = 5000;
    fill(3);
    ok(publisher, "leave", R"("room":"general")");
    EXPECT_EQ(hub().stats(now).rooms, 1u);
    advance(5001);
    EXPECT_EQ(hub().stats(now).rooms, 0u);
    Document d = join(client(), "general", since(epoch, 3));
    EXPECT_NE(d["epoch"].GetString(), epoch);
    EXPECT_EQ(d["offset"].GetUint64(), 0u);
    EXPECT_FALSE(d["recovered"].GetBool());
}

TEST_F(RecoveryTest, EmptyRoomKeepsItsEpochWhileHistoryLasts) {
    settings.historyTtlMs = 5000;
    fill(3);
    ok(publisher, "leave", R"("room":"general")");
    advance(4000);
    Document d = join(client(), "general", since(epoch, 1));
    EXPECT_EQ(d["epoch"].GetString(), epoch);
    EXPECT_TRUE(d["recovered"].GetBool());
    EXPECT_EQ(missedOffsets(d), (Offsets{2, 3}));
}

TEST_F(RecoveryTest, HistoryConflictNamesTheCurrentEpoch) {
    fill(1);
    Document r = request(publisher, "history", R"("room":"general",)" + since("old", 0));
    EXPECT_EQ(errorCode(r), "conflict");
    EXPECT_EQ(r["error"]["details"]["epoch"].GetString(), epoch);
}

TEST_F(RecoveryTest, HistoryLimitIsCappedByMaxHistoryLimit) {
    settings.maxHistoryLimit = 2;
    fill(5);
    Document h = parse(ok(publisher, "history", R"("room":"general","limit":100,)" + since(epoch, 0)));
    EXPECT_EQ(h["messages"].Size(), 2u);
    EXPECT_FALSE(h["complete"].GetBool());
}

}  // namespace
}  // namespace hubtest
