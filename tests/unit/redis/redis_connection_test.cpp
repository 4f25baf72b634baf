// RedisConnection against a real redis-server: typed replies, pipelining,
// the database in the URL, failing fast while down, and coming back by
// itself after Redis restarts.
#include "redis_server.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace {

using namespace brolostack::native::redis;
using brolostack::test::freePort;
using brolostack::test::RedisTest;

using RedisConnectionTest = RedisTest;

TEST_F(RedisConnectionTest, RepliesComeTyped) {
    auto c = connected();
    ASSERT_TRUE(c);
    RedisReply ok = call(*c, {"SET", "k", "v"});
    EXPECT_TRUE(ok.isString());
    EXPECT_EQ(ok.string(), "OK");
    EXPECT_EQ(call(*c, {"GET", "k"}).string(), "v");
    EXPECT_TRUE(call(*c, {"GET", "missing"}).isNil());
    RedisReply n = call(*c, {"INCRBY", "n", "41"});
    ASSERT_TRUE(n.isInteger());
    EXPECT_EQ(n.integer(), 41);

    call(*c, {"RPUSH", "list", "a", "b"});
    RedisReply list = call(*c, {"LRANGE", "list", "0", "-1"});
    ASSERT_TRUE(list.isArray());
    ASSERT_EQ(list.array().size(), 2u);
    EXPECT_EQ(list.array()[1].string(), "b");

    // Nested arrays mixing types.
    RedisReply nested = call(*c, {"EVAL", "return {1, {'x', false}, 'y'}", "0"});
    ASSERT_EQ(nested.array().size(), 3u);
    EXPECT_EQ(nested.array()[0].integer(), 1);
    EXPECT_EQ(nested.array()[1].array()[0].string(), "x");
    EXPECT_TRUE(nested.array()[1].array()[1].isNil());
    EXPECT_EQ(nested.describe(), "[(integer) 1, [\"x\", (nil)], \"y\"]");

    RedisReply wrong = call(*c, {"INCR", "list"});
    ASSERT_TRUE(wrong.isError());
    EXPECT_EQ(wrong.error().kind, RedisError::Kind::Reply);
    EXPECT_FALSE(wrong.error().unavailable());
    EXPECT_EQ(wrong.error().message.rfind("WRONGTYPE", 0), 0u);
    // Asking for the wrong type gives a neutral value, not a crash.
    EXPECT_EQ(wrong.integer(), 0);
    EXPECT_TRUE(n.array().empty());
}

TEST_F(RedisConnectionTest, RepliesAreOwnedValues) {
    auto c = connected();
    ASSERT_TRUE(c);
    std::string binary("a\0b\r\nc", 6);
    call(*c, {"SET", "bin", binary});
    RedisReply kept = call(*c, {"MGET", "bin", "missing"});
    RedisReply copy = kept;  // deep: outlives the hiredis reply and the original
    kept = RedisReply();
    ASSERT_EQ(copy.array().size(), 2u);
    EXPECT_EQ(copy.array()[0].string(), binary);
    EXPECT_TRUE(copy.array()[1].isNil());
}

TEST_F(RedisConnectionTest, ALargeReplyArrivesWhole) {
    // Bigger than hiredis reads at once: the socket is watched again until it is all there.
    auto c = connected();
    ASSERT_TRUE(c);
    std::string big(3 * 1024 * 1024, 'x');
    for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
    EXPECT_EQ(call(*c, {"SET", "big", big}).string(), "OK");
    EXPECT_EQ(call(*c, {"GET", "big"}).string(), big);
}

TEST_F(RedisConnectionTest, PipelinedRepliesComeBackInOrder) {
    auto c = connected();
    ASSERT_TRUE(c);
    constexpr int kCommands = 5000;
    std::vector<std::string> seen;
    std::vector<std::int64_t> counts;
    seen.reserve(kCommands);
    // All sent before any reply is read, alternating two kinds of command.
    for (int i = 0; i < kCommands; ++i) {
        std::string value = "v" + std::to_string(i);
        if (i % 2)
            c->command({"INCR", "counter"}, [&counts](RedisReply r) { counts.push_back(r.integer()); });
        else
            c->command({"ECHO", value}, [&seen](RedisReply r) { seen.push_back(r.string()); });
    }
    ASSERT_TRUE(runUntil([&] { return seen.size() + counts.size() == kCommands; }));
    for (int i = 0; i < kCommands / 2; ++i) {
        EXPECT_EQ(seen[i], "v" + std::to_string(2 * i));
        EXPECT_EQ(counts[i], i + 1);
    }
}

TEST_F(RedisConnectionTest, TheUrlsDatabaseIsSelected) {
    auto db3 = connected(server.url(3));
    auto db0 = connected();
    ASSERT_TRUE(db3 && db0);
    call(*db3, {"SET", "where", "three"});
    EXPECT_TRUE(call(*db0, {"GET", "where"}).isNil());
    EXPECT_EQ(call(*db3, {"GET", "where"}).string(), "three");
}

TEST_F(RedisConnectionTest, AMissingDatabaseKeepsItDownWithTheReason) {
    auto c = connection(server.url(999));  // redis-server has 16
    ASSERT_TRUE(c);
    ASSERT_TRUE(runUntil([&] { return c->lastError().find("SELECT 999 failed") != std::string::npos; }));
    EXPECT_FALSE(c->up());
}

class RedisAuthTest : public RedisTest {
protected:
    void SetUp() override {
        server.password = "s3cr@t";
        RedisTest::SetUp();
    }
    std::string urlWith(const std::string& credentials) {
        return "redis://" + credentials + "@127.0.0.1:" + std::to_string(server.port());
    }
};

TEST_F(RedisAuthTest, APasswordInTheUrlIsSentBeforeAnythingElse) {
    auto c = connected(urlWith(":s3cr%40t"));
    ASSERT_TRUE(c);
    EXPECT_EQ(call(*c, {"SET", "k", "v"}).string(), "OK");
    EXPECT_EQ(call(*c, {"GET", "k"}).string(), "v");
}

TEST_F(RedisAuthTest, AWrongOrMissingPasswordKeepsItDownWithTheReasonButNotThePassword) {
    auto wrong = connection(urlWith(":nope"));
    ASSERT_TRUE(wrong);
    ASSERT_TRUE(runUntil([&] { return wrong->lastError().find("AUTH failed") != std::string::npos; }));
    EXPECT_FALSE(wrong->up());
    EXPECT_EQ(wrong->lastError().find("nope"), std::string::npos) << wrong->lastError();
    auto none = connection(server.url());
    ASSERT_TRUE(none);
    ASSERT_TRUE(runUntil([&] { return none->lastError().find("NOAUTH") != std::string::npos; }));
    EXPECT_FALSE(none->up());
}

TEST_F(RedisConnectionTest, StateListenersHearItComeUpOnce) {
    std::vector<bool> states;
    auto c = connection();
    ASSERT_TRUE(c);
    c->onStateChange([&](bool up) { states.push_back(up); });
    EXPECT_FALSE(c->up());  // nothing happens before the loop runs
    ASSERT_TRUE(runUntil([&] { return c->up(); }));
    call(*c, {"PING"});
    EXPECT_EQ(states, std::vector<bool>{true});
}

TEST_F(RedisConnectionTest, CommandsFailFastWhenRedisIsUnreachable) {
    std::uint16_t nobody = freePort();
    auto c = connection("redis://127.0.0.1:" + std::to_string(nobody));
    ASSERT_TRUE(c);
    std::optional<RedisReply> reply;
    c->command({"PING"}, [&](RedisReply r) { reply = std::move(r); });
    EXPECT_FALSE(reply) << "never from inside command()";
    ASSERT_TRUE(runUntil([&] { return reply.has_value(); }));
    ASSERT_TRUE(reply->isError());
    EXPECT_EQ(reply->error().kind, RedisError::Kind::NotSent);
    EXPECT_TRUE(reply->error().unavailable());
    EXPECT_NE(reply->error().message.find("redis://127.0.0.1:" + std::to_string(nobody) + " is unavailable"),
              std::string::npos);
    // It keeps trying, and says why it cannot connect.
    ASSERT_TRUE(runUntil([&] { return c->lastError().find("refused") != std::string::npos; })) << c->lastError();
    EXPECT_FALSE(c->up());
}

TEST_F(RedisConnectionTest, ARedisThatStopsAnsweringFailsItsCommandsAsLostAndIsReconnected) {
    RedisOptions options = fastRetries();
    options.commandTimeout = std::chrono::milliseconds(200);
    options.connectTimeout = std::chrono::milliseconds(200);
    auto opened = RedisConnection::open(io, server.url(), options);
    ASSERT_TRUE(std::holds_alternative<std::unique_ptr<RedisConnection>>(opened));
    auto& c = std::get<std::unique_ptr<RedisConnection>>(opened);
    ASSERT_TRUE(runUntil([&] { return c->up(); }));
    server.pause();
    std::vector<RedisReply> replies;
    for (int i = 0; i < 3; ++i) c->command({"PING"}, [&](RedisReply r) { replies.push_back(std::move(r)); });
    ASSERT_TRUE(runUntil([&] { return replies.size() == 3; }));
    for (const auto& r : replies) {
        ASSERT_TRUE(r.isError());
        EXPECT_EQ(r.error().kind, RedisError::Kind::Lost);
        EXPECT_TRUE(r.error().unavailable());
    }
    EXPECT_FALSE(c->up());
    EXPECT_NE(c->lastError().find("no reply from Redis in 200 ms"), std::string::npos) << c->lastError();
    server.resume();
    ASSERT_TRUE(runUntil([&] { return c->up(); }));
    EXPECT_EQ(call(*c, {"PING"}).string(), "PONG");
}

TEST_F(RedisConnectionTest, AHostNameIsResolvedOffTheLoop) {
    auto c = connected("redis://localhost:" + std::to_string(server.port()));
    ASSERT_TRUE(c);
    EXPECT_EQ(call(*c, {"PING"}).string(), "PONG");
}

TEST_F(RedisConnectionTest, DestroyingItDropsTheCallbacksStillDue) {
    int called = 0;
    {
        auto c = connected();
        ASSERT_TRUE(c);
        for (int i = 0; i < 100; ++i) c->command({"PING"}, [&](RedisReply) { ++called; });
    }
    io.restart();
    io.poll();
    EXPECT_EQ(called, 0);
}

TEST_F(RedisConnectionTest, ARestartedRedisIsReconnectedByItself) {
    std::vector<bool> states;
    auto c = connected();
    auto watcher = connected();
    ASSERT_TRUE(c && watcher);
    c->onStateChange([&](bool up) { states.push_back(up); });
    EXPECT_EQ(call(*c, {"SET", "before", "1"}).string(), "OK");

    // A command in flight when Redis dies is reported lost (it may have run).
    std::optional<RedisReply> inFlight;
    c->command({"BLPOP", "never-pushed", "0"}, [&](RedisReply r) { inFlight = std::move(r); });
    ASSERT_TRUE(runUntil([&] {
        return call(*watcher, {"CLIENT", "LIST"}).string().find("cmd=blpop") != std::string::npos;
    }));
    server.kill();
    ASSERT_TRUE(runUntil([&] { return !c->up(); }));
    ASSERT_TRUE(inFlight && inFlight->isError());
    EXPECT_EQ(inFlight->error().kind, RedisError::Kind::Lost);
    EXPECT_TRUE(inFlight->error().unavailable());
    EXPECT_EQ(states, std::vector<bool>{false});

    // While it is down, commands fail at once: no waiting for a reconnect.
    RedisReply down = call(*c, {"GET", "before"});
    ASSERT_TRUE(down.isError());
    EXPECT_EQ(down.error().kind, RedisError::Kind::NotSent);
    EXPECT_FALSE(server.running());
    EXPECT_FALSE(c->lastError().empty());

    ASSERT_NO_FATAL_FAILURE(server.start());
    ASSERT_TRUE(runUntil([&] { return c->up(); }));
    EXPECT_EQ(states, (std::vector<bool>{false, true}));
    EXPECT_TRUE(c->lastError().empty());
    EXPECT_TRUE(call(*c, {"GET", "before"}).isNil());  // nothing kept: --save ''
    EXPECT_EQ(call(*c, {"SET", "after", "1"}).string(), "OK");
}

}  // namespace
