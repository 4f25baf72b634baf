// The bounded history of one room (history_ring.hpp): capacity, TTL, reads
// by offset, and the recovery check behind `recovered` (PROTOCOL.md section 5).
#include "brolostack/rooms/history_ring.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using brolostack::rooms::HistoryEntry;
using brolostack::rooms::HistoryRing;

namespace {

constexpr std::int64_t kTtl = 1000;
constexpr std::size_t kNoByteLimit = 1u << 30;

HistoryEntry entry(std::uint64_t offset, std::int64_t ts = 0) {
    return HistoryEntry{offset, ts, std::make_shared<const std::string>("m" + std::to_string(offset))};
}

// Pushes offsets first..last, message k at time k * step.
void fill(HistoryRing& ring, std::uint64_t first, std::uint64_t last, std::int64_t step = 0) {
    for (std::uint64_t o = first; o <= last; ++o) ring.push(entry(o, static_cast<std::int64_t>(o) * step));
}

std::vector<std::uint64_t> offsets(const std::vector<HistoryEntry>& entries) {
    std::vector<std::uint64_t> out;
    for (const auto& e : entries) out.push_back(e.offset);
    return out;
}

using Offsets = std::vector<std::uint64_t>;

}  // namespace

TEST(HistoryRing, StartsEmpty) {
    HistoryRing ring(10, kTtl, kNoByteLimit);
    EXPECT_TRUE(ring.empty());
    EXPECT_EQ(ring.size(), 0u);
    EXPECT_EQ(ring.oldestOffset(), 0u);
    EXPECT_TRUE(ring.after(0, 10).empty());
    EXPECT_TRUE(ring.newest(10).empty());
}

TEST(HistoryRing, KeepsEntriesInOrderWithTheirFrames) {
    HistoryRing ring(10, kTtl, kNoByteLimit);
    fill(ring, 1, 3);
    EXPECT_EQ(ring.size(), 3u);
    EXPECT_EQ(ring.oldestOffset(), 1u);
    auto all = ring.after(0, 10);
    ASSERT_EQ(offsets(all), (Offsets{1, 2, 3}));
    EXPECT_EQ(*all[1].frame, "m2");
}

TEST(HistoryRing, CapacityEvictsTheOldest) {
    HistoryRing ring(3, kTtl, kNoByteLimit);
    fill(ring, 1, 5);
    EXPECT_EQ(ring.size(), 3u);
    EXPECT_EQ(ring.oldestOffset(), 3u);
    EXPECT_EQ(offsets(ring.after(0, 10)), (Offsets{3, 4, 5}));
}

TEST(HistoryRing, CapacityZeroKeepsNothing) {
    HistoryRing ring(0, kTtl, kNoByteLimit);
    fill(ring, 1, 5);
    EXPECT_TRUE(ring.empty());
    EXPECT_TRUE(ring.after(0, 10).empty());
    EXPECT_TRUE(ring.newest(10).empty());
    EXPECT_FALSE(ring.coversAfter(4, 5));
    EXPECT_TRUE(ring.coversAfter(5, 5));  // nothing missed
}

// Entries live for ttl ms: an entry stamped t is gone at t + ttl.
TEST(HistoryRing, TtlExpiresOldEntries) {
    HistoryRing ring(10, kTtl, kNoByteLimit);
    ring.push(entry(1, 0));
    ring.push(entry(2, 500));
    ring.push(entry(3, 900));
    ring.expire(999);
    EXPECT_EQ(ring.size(), 3u);
    ring.expire(1000);
    EXPECT_EQ(offsets(ring.after(0, 10)), (Offsets{2, 3}));
    ring.expire(1499);
    EXPECT_EQ(ring.size(), 2u);
    ring.expire(1500);
    EXPECT_EQ(ring.oldestOffset(), 3u);
    ring.expire(100000);
    EXPECT_TRUE(ring.empty());
}

TEST(HistoryRing, PushAfterFullExpiryContinuesTheOffsets) {
    HistoryRing ring(10, kTtl, kNoByteLimit);
    ring.push(entry(1, 0));
    ring.expire(5000);
    ring.push(entry(2, 5000));
    EXPECT_EQ(offsets(ring.after(0, 10)), (Offsets{2}));
    EXPECT_TRUE(ring.coversAfter(1, 2));
    EXPECT_FALSE(ring.coversAfter(0, 2));
}

TEST(HistoryRing, AfterReturnsEntriesPastTheOffsetOldestFirst) {
    HistoryRing ring(10, kTtl, kNoByteLimit);
    fill(ring, 1, 5);
    EXPECT_EQ(offsets(ring.after(2, 10)), (Offsets{3, 4, 5}));
    EXPECT_EQ(offsets(ring.after(4, 10)), (Offsets{5}));
    EXPECT_TRUE(ring.after(5, 10).empty());
    EXPECT_TRUE(ring.after(99, 10).empty());
}

TEST(HistoryRing, AfterHonoursTheLimitFromTheOldestSide) {
    HistoryRing ring(10, kTtl, kNoByteLimit);
    fill(ring, 1, 5);
    EXPECT_EQ(offsets(ring.after(0, 2)), (Offsets{1, 2}));
    EXPECT_EQ(offsets(ring.after(2, 1)), (Offsets{3}));
    EXPECT_TRUE(ring.after(0, 0).empty());
}

TEST(HistoryRing, AfterAnOffsetOlderThanTheRingStartsAtTheOldestHeld) {
    HistoryRing ring(3, kTtl, kNoByteLimit);
    fill(ring, 1, 6);  // holds 4..6
    EXPECT_EQ(offsets(ring.after(1, 10)), (Offsets{4, 5, 6}));
    EXPECT_EQ(offsets(ring.after(0, 2)), (Offsets{4, 5}));
    EXPECT_EQ(offsets(ring.after(3, 10)), (Offsets{4, 5, 6}));
}

TEST(HistoryRing, NewestReturnsTheLastEntriesOldestFirst) {
    HistoryRing ring(10, kTtl, kNoByteLimit);
    fill(ring, 1, 5);
    EXPECT_EQ(offsets(ring.newest(2)), (Offsets{4, 5}));
    EXPECT_EQ(offsets(ring.newest(1)), (Offsets{5}));
    EXPECT_EQ(offsets(ring.newest(5)), (Offsets{1, 2, 3, 4, 5}));
    EXPECT_EQ(offsets(ring.newest(100)), (Offsets{1, 2, 3, 4, 5}));
    EXPECT_TRUE(ring.newest(0).empty());
}

// `recovered` is true only when every message after since.offset is held.
TEST(HistoryRing, CoversAfterWhenTheOffsetIsTheLatest) {
    HistoryRing ring(3, kTtl, kNoByteLimit);
    fill(ring, 1, 6);
    EXPECT_TRUE(ring.coversAfter(6, 6));
}

TEST(HistoryRing, CoversAfterWhenEveryMissedMessageIsHeld) {
    HistoryRing ring(3, kTtl, kNoByteLimit);
    fill(ring, 1, 6);  // holds 4..6
    EXPECT_TRUE(ring.coversAfter(3, 6));
    EXPECT_TRUE(ring.coversAfter(4, 6));
    EXPECT_TRUE(ring.coversAfter(5, 6));
}

TEST(HistoryRing, DoesNotCoverAnOffsetOlderThanTheRing) {
    HistoryRing ring(3, kTtl, kNoByteLimit);
    fill(ring, 1, 6);  // holds 4..6: message 3 is lost
    EXPECT_FALSE(ring.coversAfter(2, 6));
    EXPECT_FALSE(ring.coversAfter(0, 6));
}

TEST(HistoryRing, DoesNotCoverAnOffsetAheadOfTheLatest) {
    HistoryRing ring(10, kTtl, kNoByteLimit);
    fill(ring, 1, 3);
    EXPECT_FALSE(ring.coversAfter(4, 3));
    EXPECT_FALSE(ring.coversAfter(100, 3));
}

TEST(HistoryRing, DoesNotCoverWhenTheNewestMessageIsNotHeld) {
    HistoryRing ring(10, kTtl, kNoByteLimit);
    fill(ring, 1, 3);
    EXPECT_FALSE(ring.coversAfter(1, 4));
}

TEST(HistoryRing, EmptyRingCoversOnlyWhenNothingWasMissed) {
    HistoryRing ring(10, kTtl, kNoByteLimit);
    EXPECT_TRUE(ring.coversAfter(0, 0));
    EXPECT_TRUE(ring.coversAfter(7, 7));
    EXPECT_FALSE(ring.coversAfter(0, 1));
    EXPECT_FALSE(ring.coversAfter(6, 7));
}

TEST(HistoryRing, EmptyAfterExpiryDoesNotCoverLostMessages) {
    HistoryRing ring(10, kTtl, kNoByteLimit);
    fill(ring, 1, 3);
    ring.expire(kTtl + 100);
    ASSERT_TRUE(ring.empty());
    EXPECT_FALSE(ring.coversAfter(0, 3));
    EXPECT_FALSE(ring.coversAfter(2, 3));
    EXPECT_TRUE(ring.coversAfter(3, 3));
}

// Offsets must rise by one; a gap restarts the ring instead of lying.
TEST(HistoryRing, AGapInOffsetsRestartsTheRing) {
    HistoryRing ring(10, kTtl, kNoByteLimit);
    fill(ring, 1, 3);
    ring.push(entry(7));
    EXPECT_EQ(offsets(ring.after(0, 10)), (Offsets{7}));
    EXPECT_EQ(ring.oldestOffset(), 7u);
    EXPECT_FALSE(ring.coversAfter(3, 7));
    EXPECT_TRUE(ring.coversAfter(6, 7));
}

TEST(HistoryRing, FramesAreSharedNotCopied) {
    HistoryRing ring(10, kTtl, kNoByteLimit);
    auto frame = std::make_shared<const std::string>("frame");
    ring.push(HistoryEntry{1, 0, frame});
    EXPECT_EQ(ring.after(0, 1).front().frame.get(), frame.get());
    EXPECT_EQ(ring.newest(1).front().frame.get(), frame.get());
}

// ---- bytes ----------------------------------------------------------------

HistoryEntry sized(std::uint64_t offset, std::size_t bytes) {
    return HistoryEntry{offset, 0, std::make_shared<const std::string>(bytes, 'x')};
}

TEST(HistoryRing, KeepsAtMostItsBytesDroppingTheOldest) {
    HistoryRing ring(1000, kTtl, 1000);
    for (std::uint64_t o = 1; o <= 10; ++o) ring.push(sized(o, 300));
    EXPECT_EQ(ring.bytes(), 900u);
    EXPECT_EQ(offsets(ring.newest(100)), (Offsets{8, 9, 10}));
    EXPECT_TRUE(ring.coversAfter(7, 10));
    EXPECT_FALSE(ring.coversAfter(6, 10));
}

TEST(HistoryRing, AFrameLargerThanTheBudgetIsDeliveredButNotKept) {
    HistoryRing ring(1000, kTtl, 1000);
    ring.push(sized(1, 100));
    ring.push(sized(2, 1001));
    EXPECT_TRUE(ring.empty()) << "offsets stay contiguous: nothing older than the dropped one either";
    EXPECT_EQ(ring.bytes(), 0u);
    EXPECT_FALSE(ring.coversAfter(0, 2));
    ring.push(sized(3, 10));
    EXPECT_EQ(offsets(ring.newest(10)), (Offsets{3}));
    EXPECT_TRUE(ring.coversAfter(2, 3));
}

TEST(HistoryRing, BytesFollowExpiryAndDrops) {
    HistoryRing ring(1000, kTtl, 1u << 20);
    for (std::uint64_t o = 1; o <= 4; ++o) ring.push(HistoryEntry{o, static_cast<std::int64_t>(o) * 100, std::make_shared<const std::string>(50, 'y')});
    EXPECT_EQ(ring.bytes(), 200u);
    ring.expire(250 + kTtl);
    EXPECT_EQ(ring.bytes(), 100u);
    ring.dropOldest();
    EXPECT_EQ(ring.bytes(), 50u);
    ring.dropOldest();
    ring.dropOldest();
    EXPECT_EQ(ring.bytes(), 0u);
}
