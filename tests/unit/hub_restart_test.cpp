// Restarts through the store seam (store/store.hpp): a hub dropped as by a
// crash and a new one started from the same store keeps room epochs,
// offsets and history, the mid dedupe window and resume grants, so clients
// recover with `since` exactly as after a network drop.
#include "hub_test_support.hpp"

#include <gtest/gtest.h>

namespace hubtest {
namespace {

using Offsets = std::vector<std::uint64_t>;

std::string since(const std::string& epoch, std::uint64_t offset) {
    return R"("since":{"epoch":")" + epoch + R"(","offset":)" + std::to_string(offset) + "}";
}

Offsets missedOffsets(const Value& joinData) {
    Offsets offsets;
    for (const auto& m : joinData["missed"].GetArray()) offsets.push_back(m["offset"].GetUint64());
    return offsets;
}

Offsets historyOffsets(Hub& hub, const std::string& room) {
    auto result = hub.historyJson(room, std::nullopt, 1000);
    auto* json = std::get_if<std::string>(&result);
    if (!json) return {};
    Document d = parse(*json);
    Offsets offsets;
    for (const auto& m : d["messages"].GetArray()) offsets.push_back(m["offset"].GetUint64());
    return offsets;
}

TEST_F(HubTest, RoomsComeBackWithTheirEpochOffsetAndHistory) {
    ConnId a = client();
    std::string epoch = join(a, "general", R"("name":"General")")["epoch"].GetString();
    for (int i = 1; i <= 4; ++i) publish(a, "general", i);
    std::string before = std::get<std::string>(hub().historyJson("general", std::nullopt, 100));

    restart();
    EXPECT_EQ(std::get<std::string>(hub().historyJson("general", std::nullopt, 100)), before)
        << "the very frames come back";
    ConnId b = client();
    Document d = join(b, "general", since(epoch, 2));
    EXPECT_EQ(d["epoch"].GetString(), epoch);
    EXPECT_EQ(d["name"].GetString(), std::string("General"));
    EXPECT_TRUE(d["recovered"].GetBool());
    EXPECT_EQ(missedOffsets(d), (Offsets{3, 4}));
    EXPECT_EQ(publish(b, "general", 5)["data"]["offset"].GetUint64(), 5u) << "offsets carry on";
}

TEST_F(HubTest, AClientUpToDateBeforeTheRestartRecoversWithNothingMissed) {
    ConnId a = client();
    std::string epoch = join(a, "general")["epoch"].GetString();
    publish(a, "general", 1);
    restart();
    Document d = join(client(), "general", since(epoch, 1));
    EXPECT_TRUE(d["recovered"].GetBool());
    EXPECT_TRUE(d["missed"].GetArray().Empty());
}

TEST_F(HubTest, AMidResentAfterARestartIsStillADuplicate) {
    ConnId a = connect();
    std::string token = hello(a)["data"]["resumeToken"].GetString();
    join(a, "general");
    Document first = publish(a, "general", 1, R"("mid":"m-1")");
    ASSERT_FALSE(first["data"]["duplicate"].GetBool());

    restart();
    // The client comes back with the resume token of its connection, which
    // was open when the server died.
    ConnId b = connect();
    hello(b, R"("resume":{"token":")" + token + R"("})");
    join(b, "general");
    Document again = publish(b, "general", 1, R"("mid":"m-1")");
    EXPECT_TRUE(again["data"]["duplicate"].GetBool());
    EXPECT_EQ(again["data"]["offset"].GetUint64(), first["data"]["offset"].GetUint64());
    EXPECT_EQ(historyOffsets(hub(), "general"), (Offsets{1})) << "published once";
}

TEST_F(HubTest, AGrantOpenAtTheCrashLapsesOneMidWindowAfterTheRestart) {
    settings.midTtlMs = 60000;
    ConnId a = connect();
    std::string token = hello(a)["data"]["resumeToken"].GetString();
    join(a, "general");
    publish(a, "general", 1, R"("mid":"m-1")");
    restart();
    advance(settings.midTtlMs + 1000);
    ConnId b = connect();
    hello(b, R"("resume":{"token":")" + token + R"("})");
    join(b, "general");
    EXPECT_FALSE(publish(b, "general", 1, R"("mid":"m-1")")["data"]["duplicate"].GetBool())
        << "past the window the mid is new again, as without a restart";
}

TEST_F(HubTest, HistoryTrimmedInMemoryIsTrimmedInTheStore) {
    settings.historySize = 3;
    ConnId a = client();
    join(a, "general");
    for (int i = 1; i <= 7; ++i) publish(a, "general", i);
    auto kept = store.load();
    ASSERT_EQ(kept.rooms.size(), 1u);
    ASSERT_EQ(kept.rooms[0].history.size(), 3u);
    EXPECT_EQ(kept.rooms[0].history.front().offset, 5u);
    restart();
    EXPECT_EQ(historyOffsets(hub(), "general"), (Offsets{5, 6, 7}));
}

TEST_F(HubTest, HistoryEvictedForTheServerWideBudgetLeavesTheStoreToo) {
    settings.historyMaxBytes = 1 << 20;
    settings.memoryLimitBytes = 4096;
    ConnId a = client();
    join(a, "big");
    std::string payload(600, 'x');
    for (int i = 0; i < 20; ++i) ok(a, "publish", R"("room":"big","event":"e","data":")" + payload + R"(")");
    std::size_t storedBytes = 0;
    auto kept = store.load();
    for (const auto& m : kept.rooms[0].history) storedBytes += m.frame->size();
    EXPECT_LE(storedBytes, settings.memoryLimitBytes) << "the store holds what memory holds, no more";
    restart();
    EXPECT_LE(hub().stats(now).historyBytes, settings.memoryLimitBytes);
}

TEST_F(HubTest, ASmallerHistorySizeAfterTheRestartAppliesToWhatWasKept) {
    settings.historySize = 10;
    ConnId a = client();
    join(a, "general");
    for (int i = 1; i <= 10; ++i) publish(a, "general", i);
    settings.historySize = 2;
    restart();
    EXPECT_EQ(historyOffsets(hub(), "general"), (Offsets{9, 10}));
    EXPECT_EQ(store.load().rooms[0].history.size(), 2u) << "and the store lets go of the rest";
}

TEST_F(HubTest, AForgottenRoomStaysForgottenAcrossARestart) {
    settings.historyTtlMs = 1000;
    ConnId a = client();
    std::string epoch = join(a, "general")["epoch"].GetString();
    publish(a, "general", 1);
    close(a);
    advance(2000);  // history expired, no members: the room is forgotten
    EXPECT_TRUE(store.load().rooms.empty());
    restart();
    Document d = join(client(), "general", since(epoch, 1));
    EXPECT_NE(d["epoch"].GetString(), epoch) << "a new incarnation";
    EXPECT_FALSE(d["recovered"].GetBool());
}

TEST_F(HubTest, MembersAreNotKeptAcrossARestart) {
    ConnId a = client();
    join(a, "general");
    restart();
    auto members = hub().membersJson("general");
    ASSERT_TRUE(std::holds_alternative<std::string>(members));
    EXPECT_EQ(parse(std::get<std::string>(members))["memberCount"].GetUint64(), 0u)
        << "connections died with the server: their clients rejoin";
}

TEST_F(HubTest, EveryDurableChangeIsCountedForTheDurableGate) {
    ConnId a = client();
    join(a, "general");
    std::uint64_t before = hub().store().lastChange();
    publish(a, "general", 1, R"("mid":"m-1")");
    EXPECT_EQ(hub().store().lastChange(), before + 2) << "the message and its mid";
    publish(a, "general", 1, R"("mid":"m-1")");
    EXPECT_EQ(hub().store().lastChange(), before + 2) << "a duplicate changes nothing";
}

}  // namespace
}  // namespace hubtest
