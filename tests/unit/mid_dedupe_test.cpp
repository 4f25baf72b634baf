// Client message ids remembered per publisher (mid_dedupe.hpp): a repeated
// mid within the window is not published again (PROTOCOL.md section 5).
#include "brolostack/rooms/mid_dedupe.hpp"

#include <gtest/gtest.h>

using brolostack::rooms::MidDedupe;
using brolostack::rooms::PublishedAt;

namespace {

constexpr std::int64_t kWindow = 600000;  // ten minutes, the protocol's minimum

PublishedAt at(std::uint64_t offset, const std::string& room = "general") { return PublishedAt{room, offset, "e1a"}; }

}  // namespace

TEST(MidDedupe, UnknownMidIsNotFound) {
    MidDedupe d(kWindow, 100);
    EXPECT_FALSE(d.find("u1", "m1", 0));
    EXPECT_EQ(d.size(), 0u);
}

// A repeated mid "repeats the first offset" (section 5).
TEST(MidDedupe, FindReturnsWhereTheFirstPublishLanded) {
    MidDedupe d(kWindow, 100);
    d.remember("u1", "m1", at(41, "doc-1"), 1000);
    auto found = d.find("u1", "m1", 2000);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->room, "doc-1");
    EXPECT_EQ(found->offset, 41u);
    EXPECT_EQ(found->epoch, "e1a");
}

TEST(MidDedupe, FoundWithinTheWindowButNotAfter) {
    MidDedupe d(kWindow, 100);
    d.remember("u1", "m1", at(1), 1000);
    EXPECT_TRUE(d.find("u1", "m1", 1000));
    EXPECT_TRUE(d.find("u1", "m1", 1000 + kWindow - 1));
    EXPECT_FALSE(d.find("u1", "m1", 1000 + kWindow));
    EXPECT_FALSE(d.find("u1", "m1", 1000 + 2 * kWindow));
}

TEST(MidDedupe, PublishersAreIsolated) {
    MidDedupe d(kWindow, 100);
    d.remember("u1", "m1", at(1), 0);
    EXPECT_FALSE(d.find("u2", "m1", 1));
    d.remember("u2", "m1", at(2), 1);
    EXPECT_EQ(d.find("u1", "m1", 2)->offset, 1u);
    EXPECT_EQ(d.find("u2", "m1", 2)->offset, 2u);
}

// "The mid dedupe window covers all of a user's publishes and events,
// whatever the room": the key is the publisher and the mid, not the room.
TEST(MidDedupe, TheSameMidInAnotherRoomIsStillADuplicate) {
    MidDedupe d(kWindow, 100);
    d.remember("u1", "m1", at(5, "general"), 0);
    auto found = d.find("u1", "m1", 10);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->room, "general");
}

TEST(MidDedupe, RememberingAgainExtendsTheWindow) {
    MidDedupe d(kWindow, 100);
    d.remember("u1", "m1", at(1), 0);
    d.remember("u1", "m1", at(1), 500);
    EXPECT_TRUE(d.find("u1", "m1", kWindow));
    EXPECT_TRUE(d.find("u1", "m1", 500 + kWindow - 1));
    EXPECT_FALSE(d.find("u1", "m1", 500 + kWindow));
}

// The first queue entry of a re-remembered mid expires first; it must not
// erase the mid whose window was extended.
TEST(MidDedupe, ExpiringTheOldEntryKeepsAnExtendedMid) {
    MidDedupe d(kWindow, 100);
    d.remember("u1", "m1", at(1), 0);
    d.remember("u1", "m1", at(1), 500);
    d.expire(kWindow);
    EXPECT_TRUE(d.find("u1", "m1", kWindow));
    d.expire(500 + kWindow);
    EXPECT_FALSE(d.find("u1", "m1", 500 + kWindow - 1));
    EXPECT_EQ(d.size(), 0u);
}

// Remembering again keeps the first landing place: duplicates repeat the
// first offset.
TEST(MidDedupe, RememberingAgainKeepsTheFirstPlace) {
    MidDedupe d(kWindow, 100);
    d.remember("u1", "m1", at(1), 0);
    d.remember("u1", "m1", at(9), 10);
    EXPECT_EQ(d.find("u1", "m1", 20)->offset, 1u);
}

TEST(MidDedupe, ExpireDropsMidsPastTheirWindow) {
    MidDedupe d(kWindow, 100);
    d.remember("u1", "a", at(1), 0);
    d.remember("u1", "b", at(2), 100);
    d.remember("u2", "c", at(3), 200);
    d.expire(kWindow + 99);
    EXPECT_EQ(d.size(), 2u);
    d.expire(kWindow + 100);
    EXPECT_EQ(d.size(), 1u);
    EXPECT_TRUE(d.find("u2", "c", kWindow + 100));
    d.expire(kWindow + 200);
    EXPECT_EQ(d.size(), 0u);
    EXPECT_EQ(d.evictedEarly(), 0u);  // expiry is not early eviction
}

TEST(MidDedupe, MaxEntriesEvictsTheOldestAndCountsIt) {
    MidDedupe d(kWindow, 2);
    d.remember("u1", "a", at(1), 0);
    d.remember("u2", "b", at(2), 1);
    EXPECT_EQ(d.evictedEarly(), 0u);
    d.remember("u1", "c", at(3), 2);
    EXPECT_EQ(d.size(), 2u);
    EXPECT_EQ(d.evictedEarly(), 1u);
    EXPECT_FALSE(d.find("u1", "a", 3));
    EXPECT_TRUE(d.find("u2", "b", 3));
    EXPECT_TRUE(d.find("u1", "c", 3));
    d.remember("u3", "d", at(4), 3);
    EXPECT_EQ(d.evictedEarly(), 2u);
    EXPECT_FALSE(d.find("u2", "b", 4));
}

TEST(MidDedupe, EvictingAnAlreadyExpiredEntryIsNotEarly) {
    MidDedupe d(10, 1);
    d.remember("u1", "a", at(1), 0);
    d.remember("u1", "b", at(2), 50);  // "a" ran out at 10: not early
    EXPECT_EQ(d.evictedEarly(), 0u);
    EXPECT_TRUE(d.find("u1", "b", 51));
}

// evictedEarly counts "mids forgotten before their window ended". Dropping
// the stale queue entry of a re-remembered mid forgets nothing.
TEST(MidDedupe, DroppingAStaleEntryOfAnExtendedMidIsNotCountedAsEviction) {
    MidDedupe d(kWindow, 2);
    d.remember("u1", "a", at(1), 0);
    d.remember("u1", "a", at(1), 10);
    d.remember("u1", "b", at(2), 20);
    EXPECT_TRUE(d.find("u1", "a", 30));
    EXPECT_TRUE(d.find("u1", "b", 30));
    EXPECT_EQ(d.evictedEarly(), 0u);
}
