// RoomPresence against a real redis-server: the member list of a room, what
// its channel carries, the reset after an outage and node liveness.
#include "redis/redis_scripts.hpp"
#include "redis/room_presence.hpp"
#include "redis_server.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <vector>

namespace {

using namespace brolostack::native::redis;
using brolostack::test::RedisTest;

class RoomPresenceTest : public RedisTest {
protected:
    std::map<std::string, std::string> members(RoomPresence& presence, const std::string& room) {
        auto list = await<std::vector<RoomMember>>([&](auto done) { presence.members(room, done); });
        std::map<std::string, std::string> byKey;
        for (auto& m : list) byKey[m.key] = m.json;
        return byKey;
    }
};

TEST_F(RoomPresenceTest, JoinsAndLeavesAreListedAndToldOnTheRoomsChannel) {
    auto c = connected();
    ASSERT_TRUE(c);
    RedisScripts scripts(*c);
    RoomPresence presence(*c, scripts);
    auto s = subscriber();
    ASSERT_TRUE(s);
    std::vector<std::string> heard;
    s->onMessage([&](const RedisSubscriber::Message& m) { heard.emplace_back(m.payload); });
    bool active = false;
    s->subscribe(presence.channel("r"), [&] { active = true; });
    ASSERT_TRUE(runUntil([&] { return active; }));

    EXPECT_TRUE(await<bool>([&](auto done) { presence.joined("r", "n1:7", R"({"sid":"c-1"})", done); }));
    EXPECT_TRUE(await<bool>([&](auto done) { presence.joined("r", "n2:3", R"({"sid":"c-2"})", done); }));
    EXPECT_TRUE(await<bool>([&](auto done) { presence.left("r", "n1:7", std::nullopt, done); }));
    EXPECT_FALSE(await<bool>([&](auto done) { presence.left("r", "n1:7", std::nullopt, done); }));  // not told twice
    EXPECT_EQ(members(presence, "r"), (std::map<std::string, std::string>{{"n2:3", R"({"sid":"c-2"})"}}));
    ASSERT_TRUE(runUntil([&] { return heard.size() == 3; }));
    EXPECT_EQ(heard, (std::vector<std::string>{R"(n1:7 join {"sid":"c-1"})", R"(n2:3 join {"sid":"c-2"})", "n1:7 leave"}));
    auto join = RoomPresence::parse(heard[0]);
    ASSERT_TRUE(join);
    EXPECT_TRUE(join->joined);
    EXPECT_EQ(join->key, "n1:7");
    EXPECT_EQ(join->json, R"({"sid":"c-1"})");
    auto leave = RoomPresence::parse(heard[2]);
    ASSERT_TRUE(leave);
    EXPECT_FALSE(leave->joined);
    EXPECT_FALSE(RoomPresence::parse("n1:7"));
    EXPECT_FALSE(RoomPresence::parse("n1:7 join "));
    EXPECT_FALSE(RoomPresence::parse("n1:7 wave {}"));
    EXPECT_EQ(presence.roomOfChannel(presence.channel("a:b")), std::optional<std::string_view>("a:b"));
    EXPECT_FALSE(presence.roomOfChannel("brolostack:room:a"));
}

TEST_F(RoomPresenceTest, ADeadNodesMemberIsDroppedOnlyWhileTheNodeIsStillDead) {
    auto c = connected();
    ASSERT_TRUE(c);
    RedisScripts scripts(*c);
    RoomPresence presence(*c, scripts);
    await<bool>([&](auto done) { presence.joined("r", "n1:1", "{}", done); });
    await<bool>([&](auto done) { presence.alive("n1", std::chrono::milliseconds(60000), done); });
    EXPECT_FALSE(await<bool>([&](auto done) { presence.left("r", "n1:1", std::string("n1"), done); }));
    EXPECT_EQ(members(presence, "r").size(), 1u);
    call(*c, {"DEL", presence.nodeKey("n1")});
    EXPECT_TRUE(await<bool>([&](auto done) { presence.left("r", "n1:1", std::string("n1"), done); }));
    EXPECT_TRUE(members(presence, "r").empty());
}

TEST_F(RoomPresenceTest, AResetMakesTheNodesListExactlyWhatItHasNow) {
    auto c = connected();
    ASSERT_TRUE(c);
    RedisScripts scripts(*c);
    RoomPresence presence(*c, scripts);
    for (const char* key : {"n1:1", "n1:2", "n2:1"})
        await<bool>([&](auto done) { presence.joined("r", key, "{}", done); });
    await<bool>([&](auto done) { presence.reset("r", "n1", {{"n1:2", "{}"}, {"n1:3", R"({"x":1})"}}, done); });
    EXPECT_EQ(members(presence, "r"),
              (std::map<std::string, std::string>{{"n1:2", "{}"}, {"n1:3", R"({"x":1})"}, {"n2:1", "{}"}}));
}

TEST_F(RoomPresenceTest, ANodeIsAliveUntilItsLivenessLapses) {
    auto c = connected();
    ASSERT_TRUE(c);
    RedisScripts scripts(*c);
    RoomPresence presence(*c, scripts);
    EXPECT_FALSE(await<bool>([&](auto done) { presence.isAlive("n1", done); }));
    EXPECT_FALSE(await<bool>([&](auto done) { presence.alive("n1", std::chrono::milliseconds(60000), done); }));
    EXPECT_TRUE(await<bool>([&](auto done) { presence.isAlive("n1", done); }));
    EXPECT_TRUE(await<bool>([&](auto done) { presence.alive("n1", std::chrono::milliseconds(60000), done); }));
    EXPECT_GT(call(*c, {"PTTL", presence.nodeKey("n1")}).integer(), 0);
    call(*c, {"DEL", presence.nodeKey("n1")});  // as when the ttl passes
    EXPECT_FALSE(await<bool>([&](auto done) { presence.isAlive("n1", done); }));
    // Renewed after it lapsed: the node learns others may have dropped its members.
    EXPECT_FALSE(await<bool>([&](auto done) { presence.alive("n1", std::chrono::milliseconds(60000), done); }));
}

}  // namespace
