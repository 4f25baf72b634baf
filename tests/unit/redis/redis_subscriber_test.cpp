// RedisSubscriber against a real redis-server: delivery on channels and
// patterns, unsubscribing, and subscribing everything again after Redis
// restarts.
#include "redis_server.hpp"

#include <gtest/gtest.h>

namespace {

using namespace brolostack::native::redis;
using brolostack::test::RedisTest;

struct Received {
    std::string pattern, channel, payload;
};

class RedisSubscriberTest : public RedisTest {
protected:
    std::vector<Received> received;

    void record(RedisSubscriber& s) {
        s.onMessage([this](const RedisSubscriber::Message& m) {
            received.push_back({std::string(m.pattern), std::string(m.channel), std::string(m.payload)});
        });
    }
    void subscribeAndWait(RedisSubscriber& s, const std::string& channel) {
        bool active = false;
        s.subscribe(channel, [&] { active = true; });
        ASSERT_TRUE(runUntil([&] { return active; }));
    }
    void publish(RedisConnection& c, const std::string& channel, const std::string& payload, std::int64_t receivers) {
        EXPECT_EQ(call(c, {"PUBLISH", channel, payload}).integer(), receivers);
    }
};

TEST_F(RedisSubscriberTest, MessagesArriveInOrderAndWhole) {
    auto s = subscriber();
    auto c = connected();
    ASSERT_TRUE(s && c);
    record(*s);
    ASSERT_NO_FATAL_FAILURE(subscribeAndWait(*s, "news"));
    EXPECT_TRUE(s->isActive("news"));
    std::string binary("a\0b", 3);
    std::string big(200 * 1024, 'z');
    publish(*c, "news", "first", 1);
    publish(*c, "news", binary, 1);
    publish(*c, "news", big, 1);
    publish(*c, "elsewhere", "not ours", 0);
    ASSERT_TRUE(runUntil([&] { return received.size() == 3; }));
    EXPECT_EQ(received[0].channel, "news");
    EXPECT_EQ(received[0].payload, "first");
    EXPECT_TRUE(received[0].pattern.empty());
    EXPECT_EQ(received[1].payload, binary);
    EXPECT_EQ(received[2].payload, big);
}

TEST_F(RedisSubscriberTest, SubscriptionsMadeBeforeTheConnectionAreMadeOnIt) {
    auto s = subscriber();
    ASSERT_TRUE(s);
    record(*s);
    bool active = false;
    s->subscribe("early", [&] { active = true; });
    EXPECT_FALSE(s->up());
    ASSERT_TRUE(runUntil([&] { return active; }));
    auto c = connected();
    ASSERT_TRUE(c);
    publish(*c, "early", "hello", 1);
    ASSERT_TRUE(runUntil([&] { return received.size() == 1; }));
    EXPECT_EQ(received[0].payload, "hello");
}

TEST_F(RedisSubscriberTest, PatternsMatchChannels) {
    auto s = subscriber();
    auto c = connected();
    ASSERT_TRUE(s && c);
    record(*s);
    bool active = false;
    s->psubscribe("room:*", [&] { active = true; });
    ASSERT_TRUE(runUntil([&] { return active; }));
    publish(*c, "room:general", "hi", 1);
    publish(*c, "lobby", "no", 0);
    ASSERT_TRUE(runUntil([&] { return received.size() == 1; }));
    EXPECT_EQ(received[0].pattern, "room:*");
    EXPECT_EQ(received[0].channel, "room:general");
    EXPECT_EQ(received[0].payload, "hi");
}

TEST_F(RedisSubscriberTest, UnsubscribedChannelsAreNotDelivered) {
    auto s = subscriber();
    auto c = connected();
    ASSERT_TRUE(s && c);
    record(*s);
    ASSERT_NO_FATAL_FAILURE(subscribeAndWait(*s, "a"));
    ASSERT_NO_FATAL_FAILURE(subscribeAndWait(*s, "b"));
    s->unsubscribe("a");
    EXPECT_FALSE(s->isActive("a"));
    // One publisher's messages reach the subscriber in order: once "b"'s
    // has arrived, "a"'s would have arrived before it.
    EXPECT_LE(call(*c, {"PUBLISH", "a", "dropped"}).integer(), 1);
    publish(*c, "b", "kept", 1);
    ASSERT_TRUE(runUntil([&] { return !received.empty(); }));
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].payload, "kept");
    // Redis forgets "a" too.
    EXPECT_TRUE(runUntil([&] { return call(*c, {"PUBSUB", "NUMSUB", "a"}).array().at(1).integer() == 0; }));
}

TEST_F(RedisSubscriberTest, SubscribingTwiceOnlyAddsTheCallback) {
    auto s = subscriber();
    auto c = connected();
    ASSERT_TRUE(s && c);
    record(*s);
    ASSERT_NO_FATAL_FAILURE(subscribeAndWait(*s, "twice"));
    ASSERT_NO_FATAL_FAILURE(subscribeAndWait(*s, "twice"));
    publish(*c, "twice", "once", 1);
    publish(*c, "twice", "end", 1);
    ASSERT_TRUE(runUntil([&] { return received.size() == 2; }));
    EXPECT_EQ(received[0].payload, "once");
}

TEST_F(RedisSubscriberTest, EverythingIsSubscribedAgainAfterARestart) {
    std::vector<bool> states;
    int resubscribed = 0;
    auto s = subscriber();
    ASSERT_TRUE(s);
    record(*s);
    s->onStateChange([&](bool up) { states.push_back(up); });  // before the loop runs: it hears the first "up"
    s->onResubscribed([&] { ++resubscribed; });
    auto c = connected();
    ASSERT_TRUE(c);
    ASSERT_NO_FATAL_FAILURE(subscribeAndWait(*s, "news"));
    bool patternActive = false;
    s->psubscribe("room:*", [&] { patternActive = true; });
    ASSERT_TRUE(runUntil([&] { return patternActive; }));
    EXPECT_EQ(resubscribed, 0);  // the first connection is not a recovery

    server.kill();
    ASSERT_TRUE(runUntil([&] { return !s->up() && !c->up(); }));
    EXPECT_FALSE(s->isActive("news"));
    ASSERT_NO_FATAL_FAILURE(server.start());

    // The gap is reported once every subscription is back.
    ASSERT_TRUE(runUntil([&] { return resubscribed == 1; }));
    EXPECT_TRUE(s->isActive("news"));
    EXPECT_EQ(states, (std::vector<bool>{true, false, true}));
    ASSERT_TRUE(runUntil([&] { return c->up(); }));
    publish(*c, "news", "after", 1);
    publish(*c, "room:1", "also after", 1);
    ASSERT_TRUE(runUntil([&] { return received.size() == 2; }));
    EXPECT_EQ(received[0].payload, "after");
    EXPECT_EQ(received[1].pattern, "room:*");
    EXPECT_EQ(received[1].payload, "also after");
    EXPECT_EQ(resubscribed, 1);
}

}  // namespace
