// Per-connection token bucket (rate_limiter.hpp): "a token bucket holding
// 10 seconds' worth of RATE_LIMIT_RPM" (PROTOCOL.md section 4).
#include "brolostack/server/inbound_throttle.hpp"
#include "brolostack/server/rate_limiter.hpp"

#include <gtest/gtest.h>

using brolostack::server::RateLimiter;

namespace {

// How many frames go through at `now` before the first refusal.
int drain(RateLimiter& limiter, std::int64_t now, int atMost = 1000000) {
    int taken = 0;
    while (taken < atMost && limiter.take(now)) ++taken;
    return taken;
}

}  // namespace

TEST(RateLimiter, BurstIsTenSecondsWorth) {
    RateLimiter limiter(600, 0);  // 10 a second -> 100 in the bucket
    EXPECT_TRUE(limiter.enabled());
    EXPECT_EQ(drain(limiter, 0), 100);
    EXPECT_FALSE(limiter.take(0));
}

TEST(RateLimiter, ProductionDefaultBurstIs166Frames) {
    RateLimiter limiter(1000, 0);  // 1000/6 = 166.67
    EXPECT_EQ(drain(limiter, 0), 166);
}

TEST(RateLimiter, StagingDefaultBurstIs1666Frames) {
    RateLimiter limiter(10000, 0);
    EXPECT_EQ(drain(limiter, 0), 1666);
}

// 3750 a minute is one token per 16 ms exactly, so no rounding hides a bug.
TEST(RateLimiter, RefillsAtTheConfiguredRate) {
    RateLimiter limiter(3750, 0);
    EXPECT_EQ(drain(limiter, 0), 625);
    EXPECT_FALSE(limiter.take(15));
    EXPECT_TRUE(limiter.take(16));
    EXPECT_FALSE(limiter.take(16));
    EXPECT_EQ(drain(limiter, 16 + 160), 10);  // 160 ms later: ten more
}

TEST(RateLimiter, PartialTokensAccumulate) {
    RateLimiter limiter(3750, 0);
    drain(limiter, 0);
    EXPECT_FALSE(limiter.take(4));
    EXPECT_FALSE(limiter.take(8));
    EXPECT_TRUE(limiter.take(16));  // 4 + 4 + 8 ms = one token
}

TEST(RateLimiter, RefillNeverExceedsTheBurst) {
    RateLimiter limiter(3750, 0);
    drain(limiter, 0);
    EXPECT_EQ(drain(limiter, 3600 * 1000), 625);
}

TEST(RateLimiter, ClockGoingBackwardsAddsNothing) {
    RateLimiter limiter(3750, 1000);
    drain(limiter, 1000);
    EXPECT_FALSE(limiter.take(500));
    EXPECT_FALSE(limiter.take(1000));
    EXPECT_TRUE(limiter.take(1016));
}

TEST(RateLimiter, SteadyTrafficAtTheLimitIsNeverRefused) {
    RateLimiter limiter(3750, 0);
    for (std::int64_t t = 0; t < 60000; t += 16) ASSERT_TRUE(limiter.take(t)) << t;
}

// A refused frame gets `rate_limited` with `details.retryAfterMs` (section 4).
TEST(RateLimiter, RetryAfterIsTheTimeToTheNextToken) {
    RateLimiter limiter(3750, 0);
    drain(limiter, 0);
    EXPECT_EQ(limiter.retryAfterMs(0), 16);
    EXPECT_FALSE(limiter.take(4));
    EXPECT_EQ(limiter.retryAfterMs(4), 12);
    EXPECT_FALSE(limiter.take(4 + 11));
    EXPECT_TRUE(limiter.take(4 + 12));
}

TEST(RateLimiter, RetryAfterRoundsUp) {
    RateLimiter limiter(7, 0);  // bucket of 7/6 tokens, one token per 8571.4 ms
    EXPECT_EQ(drain(limiter, 0), 1);
    EXPECT_EQ(limiter.retryAfterMs(0), 7143);  // (5/6) * 8571.4 = 7142.9
    EXPECT_FALSE(limiter.take(7142));
    EXPECT_TRUE(limiter.take(7143));
}

TEST(RateLimiter, RetryAfterIsZeroWhileTokensRemain) {
    RateLimiter limiter(600, 0);
    EXPECT_EQ(limiter.retryAfterMs(0), 0);
    limiter.take(0);
    EXPECT_EQ(limiter.retryAfterMs(0), 0);
}

// retryAfterMs(now) is "milliseconds until one token is back", counted from
// `now`: time that passed since the last take counts.
TEST(RateLimiter, RetryAfterCountsTimeSinceTheLastTake) {
    RateLimiter limiter(3750, 0);
    drain(limiter, 0);
    EXPECT_EQ(limiter.retryAfterMs(4), 12);
    EXPECT_EQ(limiter.retryAfterMs(16), 0);
}

// A rate below six a minute would make a bucket under one frame.
TEST(RateLimiter, TinyRatesStillAllowOneFrame) {
    RateLimiter limiter(1, 0);
    EXPECT_TRUE(limiter.take(0));
    EXPECT_FALSE(limiter.take(0));
    EXPECT_FALSE(limiter.take(30000));
    EXPECT_TRUE(limiter.take(60000));
}

// "a connection that keeps sending while limited for 10 s is closed": the
// limiter tells since when the connection has been over its limit.
TEST(RateLimiter, LimitedSinceIsSetOnTheFirstRefusal) {
    RateLimiter limiter(600, 0);
    EXPECT_EQ(limiter.limitedSince(), -1);
    drain(limiter, 0);
    EXPECT_EQ(limiter.limitedSince(), 0);  // drain's last take was refused at 0
    EXPECT_FALSE(limiter.take(50));
    EXPECT_EQ(limiter.limitedSince(), 0);  // not moved by later refusals
}

TEST(RateLimiter, LimitedSinceIsResetBySuccess) {
    RateLimiter limiter(3750, 1000);
    drain(limiter, 1000);
    ASSERT_EQ(limiter.limitedSince(), 1000);
    EXPECT_TRUE(limiter.take(1016));
    EXPECT_EQ(limiter.limitedSince(), -1);
    EXPECT_FALSE(limiter.take(1016));
    EXPECT_EQ(limiter.limitedSince(), 1016);
}

// A flooder gets a frame through whenever a token comes back; that must not
// end its limited episode, or 4029 would never come.
TEST(RateLimiter, AFrameGettingThroughBetweenRefusalsKeepsTheConnectionLimited) {
    RateLimiter limiter(60, 0);  // one token a second
    drain(limiter, 0);
    for (std::int64_t t = 100; t <= 12000; t += 100) limiter.take(t);
    EXPECT_EQ(limiter.limitedSince(), 0);
    // Quiet for a whole token interval: the episode is over.
    EXPECT_TRUE(limiter.take(14000));
    EXPECT_EQ(limiter.limitedSince(), -1);
}

TEST(RateLimiter, NoRefusalMeansNotLimited) {
    RateLimiter limiter(600, 0);
    for (int i = 0; i < 100; ++i) limiter.take(0);
    EXPECT_EQ(limiter.limitedSince(), -1);
}

TEST(RateLimiter, ZeroPerMinuteIsDisabled) {
    RateLimiter limiter(0, 0);
    EXPECT_FALSE(limiter.enabled());
    for (int i = 0; i < 100000; ++i) ASSERT_TRUE(limiter.take(0));
    EXPECT_EQ(limiter.retryAfterMs(0), 0);
    EXPECT_EQ(limiter.limitedSince(), -1);
}

TEST(RateLimiter, DefaultConstructedIsDisabled) {
    RateLimiter limiter;
    EXPECT_FALSE(limiter.enabled());
    EXPECT_TRUE(limiter.take(0));
    EXPECT_EQ(limiter.retryAfterMs(0), 0);
}

// ---- INBOUND_BYTES_PER_SECOND (inbound_throttle.hpp) ----------------------------

using brolostack::server::InboundThrottle;

TEST(InboundThrottle, OffLetsEverythingIn) {
    InboundThrottle off(0, 1024, 0);
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(off.receive(1 << 20, 0), 0);
}

TEST(InboundThrottle, OneSecondsWorthGoesAtOnceThenReadsPauseUntilTheDebtIsPaid) {
    InboundThrottle t(1000, 0, 0);  // 1000 bytes a second: one byte a millisecond
    EXPECT_EQ(t.receive(600, 0), 0);
    EXPECT_EQ(t.receive(400, 0), 0);
    EXPECT_EQ(t.receive(250, 0), 250) << "250 bytes of debt at one byte a millisecond";
    EXPECT_EQ(t.receive(100, 250), 100) << "the debt was paid; these 100 are new";
    EXPECT_EQ(t.receive(1, 2000), 0) << "a second later the bucket is full again";
}

TEST(InboundThrottle, TheBurstIsNeverLessThanTheLargestMessage) {
    InboundThrottle t(1000, 64 * 1024, 0);
    EXPECT_EQ(t.receive(64 * 1024, 0), 0) << "a message of MAX_MESSAGE_BYTES goes through at once";
    EXPECT_EQ(t.receive(1000, 0), 1000);
}

// ---- the core's duration histogram (duration_histogram.hpp) ---------------------

#include "brolostack/duration_histogram.hpp"

TEST(DurationHistogram, EachObservationLandsInTheFirstBucketThatHoldsItAndAllCount) {
    brolostack::DurationHistogram h;
    h.observe(5);        // <= 10 ms
    h.observe(10);       // <= 10 ms: bounds are inclusive
    h.observe(700);      // <= 1000 ms
    h.observe(7200000);  // past the last bound: counted, in no bucket
    EXPECT_EQ(h.inBucket[0], 2u);
    EXPECT_EQ(h.inBucket[4], 1u);
    EXPECT_EQ(h.count, 4u);
    EXPECT_DOUBLE_EQ(h.sumMs, 5 + 10 + 700 + 7200000);
}
