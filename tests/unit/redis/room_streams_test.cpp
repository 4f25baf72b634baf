// RoomStreams against a real redis-server: the room scripts' offsets,
// history, epochs and expiry, and the channel's payload.
#include "redis/redis_scripts.hpp"
#include "redis/room_streams.hpp"
#include "redis_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>

namespace {

using namespace brolostack::native::redis;
using brolostack::test::RedisTest;
using std::chrono::seconds;

class RoomStreamsTest : public RedisTest {
protected:
    /// Epochs that never repeat in a test: "e1", "e2", ...
    std::function<std::string()> epochs() {
        return [this] { return "e" + std::to_string(++epochCount); };
    }
    PublishedMessage publish(RoomStreams& rooms, const std::string& room, const RoomPost& post,
                             std::size_t maxLen = 100, seconds ttl = seconds(0)) {
        auto result = std::make_shared<std::optional<RedisResult<PublishedMessage>>>();
        rooms.publishToRoom(room, post, maxLen, ttl, [result](auto r) { result->emplace(std::move(r)); });
        EXPECT_TRUE(runUntil([&] { return result->has_value(); }));
        if (!*result || !(*result)->ok()) {
            ADD_FAILURE() << (*result ? (*result)->error().message : "no answer");
            return {};
        }
        return (*result)->value();
    }
    RoomHistory read(RoomStreams& rooms, const std::string& room, std::uint64_t after, std::size_t limit,
                     seconds ttl = seconds(0)) {
        auto result = std::make_shared<std::optional<RedisResult<RoomHistory>>>();
        rooms.readRoomSince(room, after, limit, ttl, [result](auto r) { result->emplace(std::move(r)); });
        EXPECT_TRUE(runUntil([&] { return result->has_value(); }));
        if (!*result || !(*result)->ok()) {
            ADD_FAILURE() << (*result ? (*result)->error().message : "no answer");
            return {};
        }
        return (*result)->value();
    }
    static std::vector<std::uint64_t> offsets(const RoomHistory& history) {
        std::vector<std::uint64_t> out;
        for (const auto& m : history.messages) out.push_back(m.offset);
        return out;
    }
    static std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t last) {
        std::vector<std::uint64_t> out;
        for (auto i = first; i <= last; ++i) out.push_back(i);
        return out;
    }

    int epochCount = 0;
};

TEST_F(RoomStreamsTest, ConcurrentPublishesGetEveryOffsetOnceAndInOrder) {
    // Four connections (as four nodes would) pipelining publishes to one room at once.
    constexpr int kConnections = 4, kEach = 250, kTotal = kConnections * kEach;
    struct Node {
        std::unique_ptr<RedisConnection> connection;
        std::unique_ptr<RedisScripts> scripts;
        std::unique_ptr<RoomStreams> rooms;
        std::vector<std::uint64_t> offsets;  // in the order its publishes were answered
    };
    std::vector<std::pair<std::uint64_t, std::string>> delivered;
    std::set<std::string> epochsSeen;
    std::map<std::uint64_t, std::string> sentAt;
    std::vector<Node> nodes(kConnections);
    auto s = subscriber();
    ASSERT_TRUE(s);
    for (auto& node : nodes) {
        node.connection = connected();
        ASSERT_TRUE(node.connection);
        node.scripts = std::make_unique<RedisScripts>(*node.connection);
        node.rooms = std::make_unique<RoomStreams>(*node.scripts, epochs());
    }
    s->onMessage([&](const RedisSubscriber::Message& m) {
        auto p = RoomStreams::parsePublication(m.payload);
        ASSERT_TRUE(p);
        epochsSeen.insert(std::string(p->epoch));
        delivered.emplace_back(p->offset, std::string(p->json));
    });
    bool active = false;
    s->subscribe(nodes[0].rooms->channel("general"), [&] { active = true; });
    ASSERT_TRUE(runUntil([&] { return active; }));

    int answered = 0;
    for (int i = 0; i < kEach; ++i) {
        for (int n = 0; n < kConnections; ++n) {
            std::string json = "{\"n\":" + std::to_string(n) + ",\"i\":" + std::to_string(i) + "}";
            nodes[n].rooms->publishToRoom("general", json, kTotal, seconds(0), [&, n, json](auto r) {
                ++answered;
                ASSERT_TRUE(r.ok()) << r.error().message;
                nodes[n].offsets.push_back(r.value().offset);
                EXPECT_TRUE(sentAt.emplace(r.value().offset, json).second) << "offset given twice";
            });
        }
    }
    ASSERT_TRUE(runUntil([&] { return answered == kTotal && delivered.size() == kTotal; }));

    // Every offset 1..n exactly once; each connection's publishes in the order it sent them.
    ASSERT_EQ(sentAt.size(), static_cast<std::size_t>(kTotal));
    EXPECT_EQ(sentAt.begin()->first, 1u);
    EXPECT_EQ(sentAt.rbegin()->first, static_cast<std::uint64_t>(kTotal));
    for (auto& node : nodes) EXPECT_TRUE(std::is_sorted(node.offsets.begin(), node.offsets.end()));
    // Subscribers see them in offset order, each with its message.
    for (int i = 0; i < kTotal; ++i) {
        EXPECT_EQ(delivered[i].first, static_cast<std::uint64_t>(i + 1));
        EXPECT_EQ(delivered[i].second, sentAt[i + 1]);
    }
    // And the history holds them all, in order.
    RoomHistory history = read(*nodes[1].rooms, "general", 0, kTotal + 10);
    // One epoch: the candidate of whichever call ran first.
    EXPECT_EQ(epochsSeen, std::set<std::string>{history.epoch});
    EXPECT_EQ(history.lastOffset, static_cast<std::uint64_t>(kTotal));
    ASSERT_EQ(history.messages.size(), static_cast<std::size_t>(kTotal));
    for (int i = 0; i < kTotal; ++i) {
        EXPECT_EQ(history.messages[i].offset, static_cast<std::uint64_t>(i + 1));
        EXPECT_EQ(history.messages[i].json, sentAt[i + 1]);
    }
    EXPECT_TRUE(history.contiguous && history.complete);
}

TEST_F(RoomStreamsTest, APublishWithASeenDedupeIdPlacesNothingAndAnswersTheFirstPosition) {
    auto c = connected();
    ASSERT_TRUE(c);
    RedisScripts scripts(*c);
    RoomStreams rooms(scripts, epochs());
    RoomPost post("{\"n\":1}");
    post.origin = "n1:1:0";
    post.dedupeId = "t:abc:m-1";
    post.dedupeWindow = std::chrono::milliseconds(60000);
    PublishedMessage first = publish(rooms, "r", post);
    EXPECT_FALSE(first.duplicate);
    publish(rooms, "r", "{\"n\":2}");
    post.origin = "n2:9:0";  // retried through another node
    PublishedMessage again = publish(rooms, "r", post);
    EXPECT_TRUE(again.duplicate);
    EXPECT_EQ(again.offset, first.offset);
    EXPECT_EQ(again.epoch, first.epoch);
    RoomHistory history = read(rooms, "r", 0, 10);
    ASSERT_EQ(history.messages.size(), 2u);
    EXPECT_EQ(history.messages[0].origin, "n1:1:0");
    EXPECT_EQ(history.messages[1].origin, "");
    // The window passes: the id is free again.
    EXPECT_GT(call(*c, {"PTTL", rooms.midKey("r", "t:abc:m-1")}).integer(), 0);
    call(*c, {"DEL", rooms.midKey("r", "t:abc:m-1")});
    EXPECT_FALSE(publish(rooms, "r", post).duplicate);
}

TEST_F(RoomStreamsTest, RoomChannelsNameTheirRoom) {
    auto c = connected();
    ASSERT_TRUE(c);
    RedisScripts scripts(*c);
    RoomStreams rooms(scripts, epochs());
    EXPECT_EQ(rooms.roomOfChannel(rooms.channel("a:b")), std::optional<std::string_view>("a:b"));
    EXPECT_FALSE(rooms.roomOfChannel("brolostack:room:"));
    EXPECT_FALSE(rooms.roomOfChannel("other:room:x"));
}

TEST_F(RoomStreamsTest, HistoryIsTrimmedToMaxLen) {
    auto c = connected();
    ASSERT_TRUE(c);
    RedisScripts scripts(*c);
    RoomStreams rooms(scripts, epochs());
    for (int i = 1; i <= 25; ++i) EXPECT_EQ(publish(rooms, "r", "m" + std::to_string(i), 10).offset, i);
    EXPECT_EQ(call(*c, {"XLEN", rooms.historyKey("r")}).integer(), 10);  // exactly: MAXLEN =

    RoomHistory all = read(rooms, "r", 0, 100);
    EXPECT_EQ(offsets(all), range(16, 25));
    EXPECT_EQ(all.messages.front().json, "m16");
    EXPECT_EQ(all.lastOffset, 25u);
    EXPECT_FALSE(all.contiguous);  // 1..15 are gone: recovery from 0 cannot be complete
    EXPECT_TRUE(all.complete);
}

TEST_F(RoomStreamsTest, ReadRoomSinceReturnsExactlyWhatFollowsAnOffset) {
    auto c = connected();
    ASSERT_TRUE(c);
    RedisScripts scripts(*c);
    RoomStreams rooms(scripts, epochs());
    for (int i = 1; i <= 10; ++i) publish(rooms, "r", "m" + std::to_string(i));

    RoomHistory after4 = read(rooms, "r", 4, 100);
    EXPECT_EQ(offsets(after4), range(5, 10));
    EXPECT_EQ(after4.messages.back().json, "m10");
    EXPECT_TRUE(after4.contiguous && after4.complete);

    RoomHistory page = read(rooms, "r", 2, 3);
    EXPECT_EQ(offsets(page), range(3, 5));
    EXPECT_TRUE(page.contiguous);
    EXPECT_FALSE(page.complete);  // 6..10 follow

    RoomHistory upToDate = read(rooms, "r", 10, 100);
    EXPECT_TRUE(upToDate.messages.empty());
    EXPECT_TRUE(upToDate.contiguous && upToDate.complete);
    EXPECT_EQ(upToDate.lastOffset, 10u);

    EXPECT_TRUE(read(rooms, "r", 4, 0).messages.empty());
    EXPECT_TRUE(read(rooms, "r", 99, 100).messages.empty());
}

TEST_F(RoomStreamsTest, EachRoomIncarnationHasItsOwnEpoch) {
    auto c = connected();
    ASSERT_TRUE(c);
    RedisScripts scripts(*c);
    RoomStreams rooms(scripts, epochs());

    // A joiner reading first and the first publisher agree on the epoch.
    RoomHistory fresh = read(rooms, "a", 0, 10);
    EXPECT_EQ(fresh.epoch, "e1");
    EXPECT_EQ(fresh.lastOffset, 0u);
    EXPECT_TRUE(fresh.messages.empty() && fresh.complete);
    PublishedMessage first = publish(rooms, "a", "x");
    EXPECT_EQ(first.epoch, "e1");
    EXPECT_EQ(first.offset, 1u);
    EXPECT_EQ(publish(rooms, "a", "y").epoch, "e1");
    EXPECT_NE(publish(rooms, "b", "z").epoch, "e1");  // another room, another epoch

    // The room's state lost (expired, evicted): a new incarnation starts
    // at offset 1 under a new epoch, without the old history.
    call(*c, {"DEL", rooms.metaKey("a")});
    PublishedMessage reborn = publish(rooms, "a", "new");
    EXPECT_NE(reborn.epoch, "e1");
    EXPECT_EQ(reborn.offset, 1u);
    RoomHistory history = read(rooms, "a", 0, 10);
    EXPECT_EQ(history.epoch, reborn.epoch);
    ASSERT_EQ(history.messages.size(), 1u);
    EXPECT_EQ(history.messages[0].json, "new");
}

TEST_F(RoomStreamsTest, ARoomExpiresTtlAfterItsLastPublish) {
    auto c = connected();
    ASSERT_TRUE(c);
    RedisScripts scripts(*c);
    RoomStreams rooms(scripts, epochs());
    read(rooms, "only-read", 0, 10, seconds(30));
    std::int64_t readTtl = call(*c, {"TTL", rooms.metaKey("only-read")}).integer();
    EXPECT_GT(readTtl, 0);
    EXPECT_LE(readTtl, 30);

    publish(rooms, "r", "m", 100, seconds(100));
    for (const auto& key : {rooms.metaKey("r"), rooms.historyKey("r")}) {
        std::int64_t ttl = call(*c, {"TTL", key}).integer();
        EXPECT_GT(ttl, 0) << key;
        EXPECT_LE(ttl, 100) << key;
    }
    publish(rooms, "r", "m", 100, seconds(0));  // 0: kept for good
    EXPECT_EQ(call(*c, {"TTL", rooms.metaKey("r")}).integer(), -1);
    EXPECT_EQ(call(*c, {"TTL", rooms.historyKey("r")}).integer(), -1);
}

TEST_F(RoomStreamsTest, ARoomsKeysShareOneClusterSlot) {
    auto c = connected();
    ASSERT_TRUE(c);
    RedisScripts scripts(*c);
    RoomStreams rooms(scripts, epochs());
    for (std::string room : {"general", "a:b", "$session:s-1", "x}y"}) {
        EXPECT_EQ(call(*c, {"CLUSTER", "KEYSLOT", rooms.metaKey(room)}).integer(),
                  call(*c, {"CLUSTER", "KEYSLOT", rooms.historyKey(room)}).integer())
            << room;
    }
}

TEST_F(RoomStreamsTest, PublishingWhileDownIsUnavailable) {
    auto c = connected();
    ASSERT_TRUE(c);
    RedisScripts scripts(*c);
    RoomStreams rooms(scripts, epochs());
    server.kill();
    ASSERT_TRUE(runUntil([&] { return !c->up(); }));
    std::optional<RedisResult<PublishedMessage>> result;
    rooms.publishToRoom("r", "m", 10, seconds(0), [&](auto r) { result.emplace(std::move(r)); });
    ASSERT_TRUE(runUntil([&] { return result.has_value(); }));
    ASSERT_FALSE(result->ok());
    EXPECT_TRUE(result->error().unavailable());
}

TEST(RoomPublication, ParsesEpochOffsetAndMessage) {
    auto p = RoomStreams::parsePublication("e1a 57 n1:3:0 {\"op\":\"message\",\"data\":\"a b\"}");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->epoch, "e1a");
    EXPECT_EQ(p->offset, 57u);
    EXPECT_EQ(p->origin, "n1:3:0");
    EXPECT_EQ(p->json, "{\"op\":\"message\",\"data\":\"a b\"}");
    auto anonymous = RoomStreams::parsePublication("e1a 57 - {}");
    ASSERT_TRUE(anonymous);
    EXPECT_EQ(anonymous->origin, "");
    EXPECT_FALSE(RoomStreams::parsePublication("e1a"));
    EXPECT_FALSE(RoomStreams::parsePublication("e1a 7 {}"));  // no origin
    EXPECT_FALSE(RoomStreams::parsePublication("e1a x7 - {}"));
    EXPECT_FALSE(RoomStreams::parsePublication(" 1 - {}"));
    EXPECT_FALSE(RoomStreams::parsePublication("e1a  - {}"));
}

}  // namespace
