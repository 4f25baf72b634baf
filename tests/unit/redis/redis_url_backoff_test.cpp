// The parts of the Redis layer that need no server: URLs and the backoff.
#include "redis/backoff.hpp"
#include "redis/redis_connection.hpp"
#include "redis/redis_subscriber.hpp"
#include "redis/redis_url.hpp"

#include <gtest/gtest.h>

namespace {

using namespace brolostack::native::redis;
using std::chrono::milliseconds;

RedisAddress parsed(std::string_view url) {
    auto result = parseRedisUrl(url);
    if (auto* error = std::get_if<std::string>(&result)) ADD_FAILURE() << *error;
    return std::get_if<RedisAddress>(&result) ? std::get<RedisAddress>(result) : RedisAddress{};
}

std::string parseError(std::string_view url) {
    auto result = parseRedisUrl(url);
    auto* error = std::get_if<std::string>(&result);
    return error ? *error : "";
}

TEST(RedisUrl, HostPortAndDatabase) {
    RedisAddress a = parsed("redis://cache.internal:6380/3");
    EXPECT_EQ(a.host, "cache.internal");
    EXPECT_EQ(a.port, 6380);
    EXPECT_EQ(a.db, 3);
    EXPECT_EQ(a.url(), "redis://cache.internal:6380/3");
}

TEST(RedisUrl, DefaultsArePort6379AndDatabase0) {
    RedisAddress a = parsed("redis://localhost");
    EXPECT_EQ(a.host, "localhost");
    EXPECT_EQ(a.port, 6379);
    EXPECT_EQ(a.db, 0);
    EXPECT_EQ(parsed("REDIS://10.0.0.1:7000/").port, 7000);
}

TEST(RedisUrl, BracketedIpv6) {
    RedisAddress a = parsed("redis://[::1]:6390/1");
    EXPECT_EQ(a.host, "::1");
    EXPECT_EQ(a.port, 6390);
    EXPECT_EQ(a.db, 1);
    EXPECT_EQ(a.url(), "redis://[::1]:6390/1");
}

TEST(RedisUrl, CredentialsArePercentDecodedAndKeptOutOfTheUrlItShows) {
    auto parsed = parseRedisUrl("redis://:s%40cret@cache:6380/2");
    ASSERT_TRUE(std::holds_alternative<RedisAddress>(parsed)) << std::get<std::string>(parsed);
    RedisAddress a = std::get<RedisAddress>(parsed);
    EXPECT_EQ(a.user, "");
    EXPECT_EQ(a.password, "s@cret");
    EXPECT_EQ(a.host, "cache");
    EXPECT_EQ(a.port, 6380);
    EXPECT_EQ(a.db, 2);
    EXPECT_EQ(a.url(), "redis://:****@cache:6380/2");
    parsed = parseRedisUrl("redis://app:pw@cache");
    ASSERT_TRUE(std::holds_alternative<RedisAddress>(parsed));
    EXPECT_EQ(std::get<RedisAddress>(parsed).user, "app");
    EXPECT_EQ(std::get<RedisAddress>(parsed).url(), "redis://app:****@cache:6379");
}

TEST(RedisUrl, BadUrlsSayWhatIsWrong) {
    EXPECT_NE(parseError("http://localhost:6379").find("expected redis://host[:port][/db]"), std::string::npos);
    EXPECT_NE(parseError("localhost:6379").find("expected redis://"), std::string::npos);
    EXPECT_NE(parseError("rediss://localhost").find("TLS"), std::string::npos);
    EXPECT_NE(parseError("redis://").find("no host"), std::string::npos);
    EXPECT_NE(parseError("redis://:6379").find("no host"), std::string::npos);
    EXPECT_NE(parseError("redis://localhost:").find("empty port"), std::string::npos);
    EXPECT_NE(parseError("redis://localhost:http").find("port must be a number"), std::string::npos);
    EXPECT_NE(parseError("redis://localhost:0").find("port must be a number from 1 to 65535"), std::string::npos);
    EXPECT_NE(parseError("redis://localhost:65536").find("port must be"), std::string::npos);
    EXPECT_NE(parseError("redis://localhost:6379/zero").find("database must be a number"), std::string::npos);
    EXPECT_NE(parseError("redis://user@localhost").find("credentials need a password"), std::string::npos);
    EXPECT_NE(parseError("redis://:@localhost").find("empty password"), std::string::npos);
    EXPECT_NE(parseError("redis://:p%4@localhost").find("%-escape"), std::string::npos);
    // A refused URL's password stays out of the message.
    EXPECT_EQ(parseError("redis://app:hunter2@localhost:http").find("hunter2"), std::string::npos);
    EXPECT_NE(parseError("redis://localhost?db=1").find("query"), std::string::npos);
    EXPECT_NE(parseError("redis://[::1").find("unclosed"), std::string::npos);
    // The message names the URL it refused.
    EXPECT_NE(parseError("redis://localhost:http").find("'redis://localhost:http'"), std::string::npos);
}

TEST(RedisUrl, ConnectionAndSubscriberRefuseABadUrl) {
    asio::io_context io;
    auto connection = RedisConnection::open(io, "tcp://localhost:6379");
    ASSERT_TRUE(std::holds_alternative<std::string>(connection));
    EXPECT_NE(std::get<std::string>(connection).find("invalid Redis URL 'tcp://localhost:6379'"), std::string::npos);
    auto subscriber = RedisSubscriber::open(io, "redis://localhost:99999");
    ASSERT_TRUE(std::holds_alternative<std::string>(subscriber));
    EXPECT_NE(std::get<std::string>(subscriber).find("port"), std::string::npos);
}

TEST(Backoff, DoublesWithJitterUpToTheCap) {
    Backoff backoff(milliseconds(100), milliseconds(1000), 42);
    const std::int64_t steps[] = {100, 200, 400, 800, 1000, 1000, 1000};
    for (std::int64_t step : steps) {
        auto delay = backoff.next().count();
        EXPECT_GE(delay, step / 2);
        EXPECT_LE(delay, step);
    }
    EXPECT_EQ(backoff.attempts(), 7u);
}

TEST(Backoff, StartsOverAfterASuccess) {
    Backoff backoff(milliseconds(100), milliseconds(1000), 7);
    for (int i = 0; i < 10; ++i) backoff.next();
    backoff.reset();
    auto delay = backoff.next().count();
    EXPECT_GE(delay, 50);
    EXPECT_LE(delay, 100);
}

TEST(Backoff, JitterSpreadsTheDelays) {
    // Two nodes that lost Redis together do not retry in lockstep.
    Backoff a(milliseconds(1000), milliseconds(1000), 1), b(milliseconds(1000), milliseconds(1000), 2);
    bool differ = false;
    for (int i = 0; i < 10; ++i) differ = differ || a.next() != b.next();
    EXPECT_TRUE(differ);
}

TEST(Backoff, ALongOutageStaysAtTheCap) {
    Backoff backoff(milliseconds(1), milliseconds(5000), 3);
    for (int i = 0; i < 100000; ++i) backoff.next();
    auto delay = backoff.next().count();
    EXPECT_GE(delay, 2500);
    EXPECT_LE(delay, 5000);
}

}  // namespace
