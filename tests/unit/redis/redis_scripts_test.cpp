// RedisScripts against a real redis-server: EVALSHA, its EVAL fallback,
// and loading again on every new connection.
#include "redis/redis_scripts.hpp"
#include "redis_server.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

namespace {

using namespace brolostack::native::redis;
using brolostack::test::RedisTest;

class RedisScriptsTest : public RedisTest {
protected:
    RedisReply run(RedisScripts& scripts, RedisScripts::Id id, std::vector<std::string> keys,
                   std::vector<std::string> args) {
        auto reply = std::make_shared<std::optional<RedisReply>>();
        scripts.run(id, std::move(keys), std::move(args), [reply](RedisReply r) { *reply = std::move(r); });
        EXPECT_TRUE(runUntil([&] { return reply->has_value(); }));
        return *reply ? **reply : RedisReply();
    }
};

TEST_F(RedisScriptsTest, AScriptRunsByItsSha) {
    auto c = connected();
    ASSERT_TRUE(c);
    RedisScripts scripts(*c);
    auto id = scripts.add("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}");
    EXPECT_EQ(run(scripts, id, {"k"}, {"a"}).describe(), "[\"k\", \"a\", (integer) 1]");
    ASSERT_TRUE(scripts.loaded(id));  // SCRIPT LOAD answered before the second call goes out
    EXPECT_EQ(run(scripts, id, {"k"}, {"b"}).describe(), "[\"k\", \"b\", (integer) 2]");
    EXPECT_EQ(scripts.evalFallbacks(), 0u);
}

TEST_F(RedisScriptsTest, NoscriptFallsBackToEval) {
    auto c = connected();
    ASSERT_TRUE(c);
    RedisScripts scripts(*c);
    auto id = scripts.add("return 'hello ' .. ARGV[1]");
    EXPECT_EQ(run(scripts, id, {}, {"one"}).string(), "hello one");
    ASSERT_TRUE(scripts.loaded(id));
    EXPECT_EQ(call(*c, {"SCRIPT", "FLUSH"}).string(), "OK");  // Redis forgets it behind our back
    EXPECT_EQ(run(scripts, id, {}, {"two"}).string(), "hello two");
    EXPECT_EQ(scripts.evalFallbacks(), 1u);
    // The EVAL cached it again: EVALSHA works from here on.
    EXPECT_EQ(run(scripts, id, {}, {"three"}).string(), "hello three");
    EXPECT_EQ(scripts.evalFallbacks(), 1u);
}

TEST_F(RedisScriptsTest, ScriptsAreLoadedAgainOnEveryNewConnection) {
    auto c = connected();
    ASSERT_TRUE(c);
    RedisScripts scripts(*c);
    auto id = scripts.add("return redis.call('INCR', KEYS[1])");
    EXPECT_EQ(run(scripts, id, {"n"}, {}).integer(), 1);
    ASSERT_TRUE(scripts.loaded(id));

    server.kill();  // a restarted Redis knows no scripts
    ASSERT_TRUE(runUntil([&] { return !c->up(); }));
    RedisReply down = run(scripts, id, {"n"}, {});
    EXPECT_TRUE(down.isError() && down.error().unavailable());
    ASSERT_NO_FATAL_FAILURE(server.start());
    ASSERT_TRUE(runUntil([&] { return c->up(); }));

    // Pipelined calls right after the reconnect: all EVALSHA, none meets
    // NOSCRIPT (the SCRIPT LOAD went out first), so none is retried out of order.
    std::vector<std::int64_t> results;
    for (int i = 0; i < 50; ++i)
        scripts.run(id, {"n"}, {}, [&](RedisReply r) { results.push_back(r.integer()); });
    ASSERT_TRUE(runUntil([&] { return results.size() == 50; }));
    for (int i = 0; i < 50; ++i) EXPECT_EQ(results[i], i + 1);
    EXPECT_EQ(scripts.evalFallbacks(), 0u);
}

TEST_F(RedisScriptsTest, ScriptErrorsComeBackAsReplies) {
    auto c = connected();
    ASSERT_TRUE(c);
    RedisScripts scripts(*c);
    auto failing = scripts.add("return redis.error_reply('ROOM_FULL no more')");
    auto broken = scripts.add("this is not lua");
    RedisReply error = run(scripts, failing, {}, {});
    ASSERT_TRUE(error.isError());
    EXPECT_EQ(error.error().kind, RedisError::Kind::Reply);
    EXPECT_EQ(error.error().message, "ROOM_FULL no more");
    RedisReply compile = run(scripts, broken, {}, {});
    ASSERT_TRUE(compile.isError());
    EXPECT_NE(compile.error().message.find("Error compiling script"), std::string::npos) << compile.describe();
    EXPECT_FALSE(scripts.loaded(broken));
}

}  // namespace
