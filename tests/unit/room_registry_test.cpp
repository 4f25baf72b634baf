// Rooms and members with both indexes (room_registry.hpp); offsets and
// epochs of PROTOCOL.md section 5.
#include "brolostack/rooms/room_registry.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

using brolostack::rooms::MemberEntry;
using brolostack::rooms::MemberId;
using brolostack::rooms::Room;
using brolostack::rooms::RoomRegistry;
using brolostack::rooms::RoomSettings;
using brolostack::rooms::SharedFrame;

namespace {

constexpr std::int64_t kTtl = 1000;
constexpr std::int64_t kEmptyTtl = 300;  // for rooms nothing was published to

RoomSettings settingsWith(std::size_t historySize) {
    RoomSettings s;
    s.historySize = historySize;
    s.historyTtlMs = kTtl;
    s.emptyRoomTtlMs = kEmptyTtl;
    return s;
}

// A registry whose epochs are "e1", "e2", ... so incarnations are visible.
struct Fixture {
    int epochs = 0;
    RoomRegistry registry;
    explicit Fixture(std::size_t historySize = 100)
        : registry(settingsWith(historySize), [this] { return "e" + std::to_string(++epochs); }) {}
};

MemberEntry member(const std::string& sid, const std::string& info = "{}") {
    return MemberEntry{sid, std::nullopt, info};
}

SharedFrame frameFor(std::uint64_t offset) { return std::make_shared<const std::string>("msg" + std::to_string(offset)); }

std::uint64_t appendOne(RoomRegistry& r, Room& room, std::int64_t now) {
    return r.append(room, now, [](std::uint64_t offset) { return frameFor(offset); });
}

// The members' ids, checked against the list a broadcast walks.
std::vector<MemberId> memberIds(const Room& room) {
    std::vector<MemberId> out;
    for (const auto& [id, entry] : room.members) out.push_back(id);
    EXPECT_EQ(room.memberIds, out) << "the broadcast list holds the members, in the same order";
    return out;
}

std::vector<std::string> roomIds(const std::set<std::string>& rooms) { return {rooms.begin(), rooms.end()}; }

}  // namespace

TEST(RoomRegistry, ObtainCreatesARoomWithAFreshEpoch) {
    Fixture f;
    EXPECT_EQ(f.registry.find("general"), nullptr);
    Room& room = f.registry.obtain("general", 10);
    EXPECT_EQ(room.id, "general");
    EXPECT_EQ(room.epoch, "e1");
    EXPECT_EQ(room.lastOffset, 0u);  // "offset is the room's latest offset (0 when empty)"
    EXPECT_TRUE(room.members.empty());
    EXPECT_EQ(f.registry.roomCount(), 1u);
    EXPECT_EQ(f.registry.find("general"), &room);
}

TEST(RoomRegistry, ObtainReturnsTheSameRoomWithoutANewEpoch) {
    Fixture f;
    Room& first = f.registry.obtain("general", 10);
    Room& again = f.registry.obtain("general", 20);
    EXPECT_EQ(&first, &again);
    EXPECT_EQ(again.epoch, "e1");
    EXPECT_EQ(f.epochs, 1);
    EXPECT_EQ(f.registry.obtain("other", 20).epoch, "e2");
    EXPECT_EQ(f.registry.roomCount(), 2u);
}

TEST(RoomRegistry, JoinFillsBothIndexes) {
    Fixture f;
    Room& general = f.registry.obtain("general", 0);
    Room& random = f.registry.obtain("random", 0);
    EXPECT_TRUE(f.registry.join(general, 1, member("c-1"), 0));
    EXPECT_TRUE(f.registry.join(random, 1, member("c-1"), 0));
    EXPECT_TRUE(f.registry.join(general, 2, member("c-2"), 0));
    EXPECT_EQ(memberIds(general), (std::vector<MemberId>{1, 2}));
    EXPECT_EQ(memberIds(random), (std::vector<MemberId>{1}));
    EXPECT_EQ(roomIds(f.registry.roomsOf(1)), (std::vector<std::string>{"general", "random"}));
    EXPECT_EQ(roomIds(f.registry.roomsOf(2)), (std::vector<std::string>{"general"}));
    EXPECT_TRUE(f.registry.isMember("general", 2));
    EXPECT_FALSE(f.registry.isMember("random", 2));
    EXPECT_EQ(general.members.at(2).sid, "c-2");
}

// "Joining a room already joined is idempotent" (section 5).
TEST(RoomRegistry, JoiningTwiceReturnsFalseAndChangesNothing) {
    Fixture f;
    Room& room = f.registry.obtain("general", 0);
    ASSERT_TRUE(f.registry.join(room, 1, member("c-1", R"({"name":"Ada"})"), 0));
    EXPECT_FALSE(f.registry.join(room, 1, member("c-1", R"({"name":"Bob"})"), 5));
    EXPECT_EQ(room.members.size(), 1u);
    EXPECT_EQ(room.members.at(1).infoJson, R"({"name":"Ada"})");
    EXPECT_EQ(f.registry.roomsOf(1).size(), 1u);
}

TEST(RoomRegistry, TheBroadcastListFollowsJoinsAndLeavesInAnyOrder) {
    Fixture f;
    Room& room = f.registry.obtain("general", 0);
    for (MemberId id : {5, 2, 9, 7, 1}) f.registry.join(room, id, member("c-" + std::to_string(id)), 0);
    EXPECT_FALSE(f.registry.join(room, 7, member("c-7"), 0));
    EXPECT_EQ(memberIds(room), (std::vector<MemberId>{1, 2, 5, 7, 9}));
    f.registry.leave("general", 5, 1);
    f.registry.leave("general", 1, 1);
    EXPECT_FALSE(f.registry.leave("general", 5, 1));
    EXPECT_EQ(memberIds(room), (std::vector<MemberId>{2, 7, 9}));
    f.registry.join(room, 3, member("c-3"), 2);
    EXPECT_EQ(memberIds(room), (std::vector<MemberId>{2, 3, 7, 9}));
}

TEST(RoomRegistry, UnknownMemberIsInNoRooms) {
    Fixture f;
    EXPECT_TRUE(f.registry.roomsOf(42).empty());
    EXPECT_FALSE(f.registry.isMember("general", 42));
}

TEST(RoomRegistry, LeaveRemovesFromBothIndexes) {
    Fixture f;
    Room& general = f.registry.obtain("general", 0);
    Room& random = f.registry.obtain("random", 0);
    f.registry.join(general, 1, member("c-1"), 0);
    f.registry.join(random, 1, member("c-1"), 0);
    EXPECT_TRUE(f.registry.leave("general", 1, 5));
    EXPECT_TRUE(general.members.empty());
    EXPECT_EQ(roomIds(f.registry.roomsOf(1)), (std::vector<std::string>{"random"}));
    EXPECT_TRUE(f.registry.leave("random", 1, 5));
    EXPECT_TRUE(f.registry.roomsOf(1).empty());
    EXPECT_FALSE(f.registry.isMember("random", 1));
}

TEST(RoomRegistry, LeaveOfANonMemberReturnsFalse) {
    Fixture f;
    Room& room = f.registry.obtain("general", 0);
    f.registry.join(room, 1, member("c-1"), 0);
    EXPECT_FALSE(f.registry.leave("general", 2, 5));
    EXPECT_FALSE(f.registry.leave("nowhere", 1, 5));
    EXPECT_EQ(f.registry.find("nowhere"), nullptr);  // leave does not create rooms
    EXPECT_EQ(room.members.size(), 1u);
    EXPECT_TRUE(f.registry.leave("general", 1, 5));
    EXPECT_FALSE(f.registry.leave("general", 1, 6));
}

TEST(RoomRegistry, RejoinAfterLeaveIsANewJoin) {
    Fixture f;
    Room& room = f.registry.obtain("general", 0);
    f.registry.join(room, 1, member("c-1"), 0);
    f.registry.leave("general", 1, 1);
    EXPECT_TRUE(f.registry.join(room, 1, member("c-1"), 2));
    EXPECT_TRUE(f.registry.isMember("general", 1));
}

// "Every message published to a room gets an offset: 1 for the first, then +1."
TEST(RoomRegistry, AppendAssignsOffsetsOneTwoThree) {
    Fixture f;
    Room& room = f.registry.obtain("general", 0);
    EXPECT_EQ(appendOne(f.registry, room, 1), 1u);
    EXPECT_EQ(appendOne(f.registry, room, 2), 2u);
    EXPECT_EQ(appendOne(f.registry, room, 3), 3u);
    EXPECT_EQ(room.lastOffset, 3u);
}

TEST(RoomRegistry, OffsetsArePerRoom) {
    Fixture f;
    Room& a = f.registry.obtain("a", 0);
    Room& b = f.registry.obtain("b", 0);
    appendOne(f.registry, a, 1);
    appendOne(f.registry, a, 1);
    EXPECT_EQ(appendOne(f.registry, b, 1), 1u);
    EXPECT_EQ(appendOne(f.registry, a, 1), 3u);
}

TEST(RoomRegistry, AppendBuildsTheFrameForItsOffsetAndStoresIt) {
    Fixture f;
    Room& room = f.registry.obtain("general", 0);
    std::vector<std::uint64_t> built;
    SharedFrame out;
    auto offset = f.registry.append(
        room, 7,
        [&](std::uint64_t o) {
            built.push_back(o);
            return frameFor(o);
        },
        &out);
    EXPECT_EQ(offset, 1u);
    EXPECT_EQ(built, (std::vector<std::uint64_t>{1}));  // built exactly once
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, "msg1");
    auto held = room.history.after(0, 10);
    ASSERT_EQ(held.size(), 1u);
    EXPECT_EQ(held[0].offset, 1u);
    EXPECT_EQ(held[0].ts, 7);
    EXPECT_EQ(held[0].frame.get(), out.get());  // one prepared frame, shared
}

TEST(RoomRegistry, HistoryIsBoundedBySettings) {
    Fixture f(2);
    Room& room = f.registry.obtain("general", 0);
    for (int i = 0; i < 5; ++i) appendOne(f.registry, room, 0);
    EXPECT_EQ(room.history.size(), 2u);
    EXPECT_EQ(room.history.oldestOffset(), 4u);
    EXPECT_EQ(room.lastOffset, 5u);
}

// The epoch changes only when the room's history is lost (section 5).
TEST(RoomRegistry, ExpiredEmptyRoomComesBackWithANewEpoch) {
    Fixture f;
    Room& room = f.registry.obtain("general", 0);
    f.registry.join(room, 1, member("c-1"), 0);
    appendOne(f.registry, room, 0);
    appendOne(f.registry, room, 0);
    f.registry.leave("general", 1, 0);
    f.registry.expire(kTtl);
    ASSERT_EQ(f.registry.find("general"), nullptr);
    EXPECT_EQ(f.registry.roomCount(), 0u);
    Room& reborn = f.registry.obtain("general", kTtl + 1);
    EXPECT_EQ(reborn.epoch, "e2");
    EXPECT_NE(reborn.epoch, "e1");
    EXPECT_EQ(reborn.lastOffset, 0u);
    EXPECT_EQ(appendOne(f.registry, reborn, kTtl + 1), 1u);
}

TEST(RoomRegistry, RoomWithHistoryIsKeptUntilTheHistoryExpires) {
    Fixture f;
    Room& room = f.registry.obtain("general", 0);
    appendOne(f.registry, room, 500);
    f.registry.expire(1499);
    ASSERT_NE(f.registry.find("general"), nullptr);
    EXPECT_EQ(f.registry.find("general")->epoch, "e1");
    f.registry.expire(1500);
    EXPECT_EQ(f.registry.find("general"), nullptr);
}

TEST(RoomRegistry, RoomsWithMembersAreNeverExpired) {
    Fixture f;
    Room& room = f.registry.obtain("general", 0);
    f.registry.join(room, 1, member("c-1"), 0);
    appendOne(f.registry, room, 0);
    f.registry.expire(100 * kTtl);
    Room* kept = f.registry.find("general");
    ASSERT_NE(kept, nullptr);
    EXPECT_EQ(kept->epoch, "e1");
    EXPECT_TRUE(kept->history.empty());  // its history expired all the same
    EXPECT_EQ(kept->lastOffset, 1u);      // but offsets continue
    EXPECT_EQ(appendOne(f.registry, *kept, 100 * kTtl), 2u);
    EXPECT_TRUE(f.registry.isMember("general", 1));
}

TEST(RoomRegistry, ARoomNothingWasPublishedToGoesSoonAfterItsLastMember) {
    Fixture f;
    Room& room = f.registry.obtain("general", 100);
    f.registry.join(room, 1, member("c-1"), 100);
    f.registry.expire(100 + 10 * kTtl);
    ASSERT_NE(f.registry.find("general"), nullptr) << "a member keeps it";
    f.registry.leave("general", 1, 5000);
    f.registry.expire(5000 + kEmptyTtl - 1);
    EXPECT_NE(f.registry.find("general"), nullptr);
    f.registry.expire(5000 + kEmptyTtl);
    EXPECT_EQ(f.registry.find("general"), nullptr);
}

TEST(RoomRegistry, ARoomWithMessagesStaysTheHistoryTtlAfterItsLastActivity) {
    Fixture f;
    Room& room = f.registry.obtain("general", 0);
    f.registry.join(room, 1, member("c-1"), 0);
    appendOne(f.registry, room, 0);
    f.registry.leave("general", 1, 10);
    f.registry.expire(kTtl);  // the message expired; the room stays for returning clients
    ASSERT_NE(f.registry.find("general"), nullptr);
    EXPECT_TRUE(f.registry.find("general")->history.empty());
    f.registry.expire(10 + kTtl - 1);
    EXPECT_NE(f.registry.find("general"), nullptr);
    f.registry.expire(10 + kTtl);
    EXPECT_EQ(f.registry.find("general"), nullptr);
}

TEST(RoomRegistry, ActivityAfterARoomWasDueKeepsIt) {
    Fixture f;
    f.registry.obtain("general", 0);  // due at kEmptyTtl
    Room& again = f.registry.obtain("general", 0);
    f.registry.join(again, 1, member("c-1"), 200);
    f.registry.leave("general", 1, 250);  // due later now
    f.registry.expire(kEmptyTtl);
    ASSERT_NE(f.registry.find("general"), nullptr);
    EXPECT_EQ(f.registry.find("general")->epoch, "e1");
    f.registry.expire(250 + kEmptyTtl);
    EXPECT_EQ(f.registry.find("general"), nullptr);
}

TEST(RoomRegistry, ChurnOverManyNamesLeavesNoRoomsBehind) {
    Fixture f;
    for (int i = 0; i < 10000; ++i) {
        Room& room = f.registry.obtain("r" + std::to_string(i), i);
        f.registry.join(room, 1, member("c-1"), i);
        f.registry.leave(room.id, 1, i);
    }
    EXPECT_EQ(f.registry.roomCount(), 10000u);
    f.registry.expire(10000 + kEmptyTtl);
    EXPECT_EQ(f.registry.roomCount(), 0u);
}

TEST(RoomRegistry, ExpireOnlyDropsIdleRooms) {
    Fixture f;
    Room& busy = f.registry.obtain("busy", 0);
    f.registry.join(busy, 1, member("c-1"), 0);
    f.registry.obtain("idle", 0);
    f.registry.expire(10 * kTtl);
    EXPECT_NE(f.registry.find("busy"), nullptr);
    EXPECT_EQ(f.registry.find("idle"), nullptr);
    EXPECT_EQ(f.registry.roomCount(), 1u);
    EXPECT_EQ(roomIds(f.registry.roomsOf(1)), (std::vector<std::string>{"busy"}));
}

// ---- the history budget shared by all rooms --------------------------------

namespace {

struct BudgetFixture {
    int epochs = 0;
    RoomRegistry registry;
    BudgetFixture(std::size_t perRoom, std::size_t budget)
        : registry(RoomSettings{100000, 60000, perRoom, budget}, [this] { return "e" + std::to_string(++epochs); }) {}
    void publish(Room& room, std::size_t bytes, int times = 1) {
        for (int i = 0; i < times; ++i)
            registry.append(room, 0, [bytes](std::uint64_t) { return std::make_shared<const std::string>(bytes, 'z'); });
    }
};

}  // namespace

TEST(RoomRegistryBudget, TheLargestHistoryGivesWayAndSmallRoomsKeepTheirs) {
    BudgetFixture f(1u << 20, 100000);
    Room& quiet = f.registry.obtain("quiet", 0);
    Room& chatty = f.registry.obtain("chatty", 0);
    Room& flood = f.registry.obtain("flood", 0);
    f.publish(quiet, 100, 10);   // 1 KB
    f.publish(chatty, 1000, 20); // 20 KB
    f.publish(flood, 10000, 20); // 200 KB offered: far over the 100 KB budget
    EXPECT_LE(f.registry.historyBytes(), 100000u);
    EXPECT_EQ(quiet.history.size(), 10u) << "the small room keeps everything";
    EXPECT_EQ(chatty.history.size(), 20u);
    EXPECT_GT(flood.history.size(), 0u) << "the flood keeps its newest messages";
    EXPECT_GT(f.registry.budgetEvictions(), 0u);
    EXPECT_EQ(quiet.history.bytes() + chatty.history.bytes() + flood.history.bytes(), f.registry.historyBytes());
}

TEST(RoomRegistryBudget, ManyEqualRoomsAreCutToOneLevel) {
    BudgetFixture f(1u << 20, 50000);
    std::vector<Room*> rooms;
    for (int i = 0; i < 100; ++i) rooms.push_back(&f.registry.obtain("r" + std::to_string(i), 0));
    for (int round = 0; round < 10; ++round)
        for (Room* r : rooms) f.publish(*r, 100);
    EXPECT_LE(f.registry.historyBytes(), 50000u);
    std::size_t smallest = rooms.front()->history.bytes(), largest = smallest;
    for (Room* r : rooms) {
        smallest = std::min(smallest, r->history.bytes());
        largest = std::max(largest, r->history.bytes());
    }
    EXPECT_LE(largest - smallest, 200u) << "the budget is shared out, not taken from whoever came first";
}

TEST(RoomRegistryBudget, ExpiryGivesBytesBack) {
    BudgetFixture f(1u << 20, 1u << 20);
    Room& room = f.registry.obtain("r", 0);
    f.publish(room, 1000, 5);
    EXPECT_EQ(f.registry.historyBytes(), 5000u);
    f.registry.expire(60000);
    EXPECT_EQ(f.registry.historyBytes(), 0u);
}
