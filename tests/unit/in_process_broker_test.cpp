// The broker of one server's shards (server/in_process_broker.hpp): two
// hubs in cluster mode meet through it as brolostack-server's shards do,
// with a memory store standing for the sqlite file. What a one-shard server
// kept (rooms, history, mids, ARGS records) comes back through it after a
// restart, and what the shards change goes to the store in the same form.
#include "hub_test_support.hpp"

#include "brolostack/server/in_process_broker.hpp"

#include <deque>

namespace hubtest {
namespace {

using brolostack::server::BrokerDelivery;
using brolostack::server::InProcessBroker;
using brolostack::server::RecordChange;
using brolostack::server::ShardRecords;
using brolostack::store::MemoryStore;

class InProcessBrokerTest : public ::testing::Test {
protected:
    std::int64_t now = 1'700'000'000'000;
    MemoryStore store{1000};
    brolostack::config::Settings settings;
    std::unique_ptr<InProcessBroker> broker;
    struct Shard {
        std::unique_ptr<ShardRecords> records;
        std::unique_ptr<Hub> hub;
        std::size_t node = 0;
        Outbox log;
        std::uint64_t ids = 0;
    };
    std::deque<Shard> shards;
    std::deque<BrokerDelivery> owed;
    std::uint64_t ref = 0;
    int epochs = 0;

    /// Starts the broker over `store` and `count` shards (again: a restart).
    void start(std::size_t count = 2, std::size_t historySize = 100) {
        shards.clear();
        owed.clear();
        InProcessBroker::Bounds bounds;
        bounds.historySize = historySize;
        bounds.idleRoomTtlMs = 60'000;
        broker = std::make_unique<InProcessBroker>(bounds, store, [this] { return "E" + std::to_string(++epochs); });
        settings.broker = brolostack::config::kInProcessBroker;
        settings.historySize = historySize;
        for (std::size_t i = 0; i < count; ++i) {
            Shard& shard = shards.emplace_back();
            shard.records = std::make_unique<ShardRecords>(
                [this, i](std::vector<RecordChange> changes) { return broker->saveRecords(shards[i].node, changes); },
                [this] { return store.durableChange(); });
            shard.hub = std::make_unique<Hub>(
                settings,
                [&shard, i] { return "s" + std::to_string(i) + "x" + std::to_string(++shard.ids) + "0000000000"; },
                now, std::nullopt, shard.records.get());
            shard.hub->brokerReachable(true);
            shard.node = broker->addNode(shard.hub->nodeId());
        }
    }

    void run(std::size_t n, const std::function<void(Outbox&)>& step) {
        Outbox out;
        step(out);
        shards[n].hub->store().stepEnded();  // as the I/O layer ends every step
        for (auto& action : out) {
            if (action.kind == Action::Kind::Broker) {
                for (auto& d : broker->perform(shards[n].node, *action.broker, now)) owed.push_back(std::move(d));
            } else {
                shards[n].log.push_back(action);
            }
        }
    }
    /// Hands every delivery owed to its shard (and what that causes).
    void settle() {
        while (!owed.empty()) {
            BrokerDelivery d = std::move(owed.front());
            owed.pop_front();
            for (std::size_t k = 0; k < shards.size(); ++k)
                if (shards[k].node == d.node) run(k, [&](Outbox& o) { d.step(*shards[k].hub, now, o); });
        }
    }

    ConnId connect(std::size_t n) {
        static ConnId next = 500;
        ConnId conn = ++next;
        EXPECT_TRUE(shards[n].hub->admit({}, now).admitted());
        shards[n].hub->open(conn, {}, now);
        send(n, conn, R"({"op":"hello","ref":)" + std::to_string(++ref) + R"(,"v":1})");
        return conn;
    }
    std::uint64_t send(std::size_t n, ConnId conn, const std::string& text) {
        run(n, [&](Outbox& o) { shards[n].hub->receiveText(conn, text, now, o); });
        settle();
        return ref;
    }
    std::uint64_t join(std::size_t n, ConnId conn, const std::string& room, const std::string& extra = "") {
        return send(n, conn, R"({"op":"join","ref":)" + std::to_string(++ref) + R"(,"room":")" + room + "\"" + extra + "}");
    }
    std::uint64_t publish(std::size_t n, ConnId conn, const std::string& room, int value, const std::string& extra = "") {
        return send(n, conn, R"({"op":"publish","ref":)" + std::to_string(++ref) + R"(,"room":")" + room +
                                 R"(","event":"chat","data":{"n":)" + std::to_string(value) + "}" + extra + "}");
    }
    Document answer(std::size_t n, ConnId conn, std::uint64_t r) {
        for (auto& f : framesTo(shards[n].log, conn))
            if (f.HasMember("ref") && f["ref"].GetUint64() == r) return std::move(f);
        ADD_FAILURE() << "no answer to " << r;
        return parse("{}");
    }
    std::vector<std::uint64_t> offsets(std::size_t n, ConnId conn) {
        std::vector<std::uint64_t> got;
        for (const auto& f : framesTo(shards[n].log, conn, "message")) got.push_back(f["offset"].GetUint64());
        return got;
    }
};

TEST_F(InProcessBrokerTest, ShardsShareOneRoomOneOrderAndOnePresenceList) {
    start();
    ConnId a = connect(0), b = connect(1);
    join(0, a, "general", R"(,"info":{"name":"A"})");
    join(1, b, "general", R"(,"info":{"name":"B"})");
    // B's join answer lists A, a member of the other shard.
    EXPECT_EQ(answer(1, b, ref)["data"]["members"].Size(), 2u);
    publish(0, a, "general", 1, R"(,"echo":true)");
    publish(1, b, "general", 2, R"(,"echo":true)");
    publish(0, a, "general", 3, R"(,"echo":true)");
    EXPECT_EQ(offsets(0, a), (std::vector<std::uint64_t>{1, 2, 3}));
    EXPECT_EQ(offsets(1, b), (std::vector<std::uint64_t>{1, 2, 3}));
    // A leaving is seen on B's shard.
    send(0, a, R"({"op":"leave","ref":)" + std::to_string(++ref) + R"(,"room":"general"})");
    auto presence = framesTo(shards[1].log, b, "presence");
    ASSERT_FALSE(presence.empty());
    EXPECT_EQ(std::string(presence.back()["action"].GetString()), "leave");
}

TEST_F(InProcessBrokerTest, AMidPublishedTwiceOnDifferentShardsIsPlacedOnce) {
    start();
    ConnId a = connect(0);
    std::string token = framesTo(shards[0].log, a, "reply")[0]["data"]["resumeToken"].GetString();
    join(0, a, "general");
    std::uint64_t first = publish(0, a, "general", 1, R"(,"mid":"m-1")");
    EXPECT_FALSE(answer(0, a, first)["data"]["duplicate"].GetBool());
    // The same client on the other shard, resuming with its token: same mid namespace.
    ConnId again = 9001;
    ASSERT_TRUE(shards[1].hub->admit({}, now).admitted());
    shards[1].hub->open(again, {}, now);
    send(1, again, R"({"op":"hello","ref":)" + std::to_string(++ref) + R"(,"v":1,"resume":{"token":")" + token +
                       R"(","rooms":{}}})");
    join(1, again, "general");
    std::uint64_t second = publish(1, again, "general", 1, R"(,"mid":"m-1")");
    Document reply = answer(1, again, second);
    EXPECT_TRUE(reply["data"]["duplicate"].GetBool());
    EXPECT_EQ(reply["data"]["offset"].GetUint64(), 1u);
}

TEST_F(InProcessBrokerTest, WhatAOneShardServerKeptComesBackThroughTheShards) {
    // One shard, as SHARDS=1 runs: a plain hub on the store.
    brolostack::config::Settings one;
    std::uint64_t ids = 0;
    auto single = std::make_unique<Hub>(one, [&ids] { return "id" + std::to_string(++ids) + "00000000000"; }, now,
                                        std::nullopt, &store);
    ConnId c = 7;
    ASSERT_TRUE(single->admit({}, now).admitted());
    single->open(c, {}, now);
    Outbox out;
    single->receiveText(c, R"({"op":"hello","ref":1,"v":1})", now, out);
    single->receiveText(c, R"({"op":"join","ref":2,"room":"kept"})", now, out);
    for (int i = 1; i <= 3; ++i)
        single->receiveText(c, R"({"op":"publish","ref":)" + std::to_string(2 + i) +
                                   R"(,"room":"kept","event":"chat","data":{"n":)" + std::to_string(i) + "}}",
                            now, out);
    std::string epoch = framesTo(out, c, "reply")[1]["data"]["epoch"].GetString();
    single.reset();

    start();
    ConnId a = connect(1);
    join(1, a, "kept", R"(,"since":{"epoch":")" + epoch + R"(","offset":1})");
    Document joined = answer(1, a, ref);
    EXPECT_EQ(std::string(joined["data"]["epoch"].GetString()), epoch);
    ASSERT_EQ(joined["data"]["missed"].Size(), 2u);
    EXPECT_EQ(joined["data"]["missed"][0]["offset"].GetUint64(), 2u);
    EXPECT_EQ(joined["data"]["missed"][1]["data"]["n"].GetInt(), 3);
    // The next message continues the same offsets, and is kept as a one-shard server reads it.
    publish(1, a, "kept", 4);
    auto kept = store.load();
    ASSERT_EQ(kept.rooms.size(), 1u);
    EXPECT_EQ(kept.rooms[0].lastOffset, 4u);
    Document last = parse(*kept.rooms[0].history.back().frame);
    EXPECT_EQ(last["offset"].GetUint64(), 4u);
    EXPECT_EQ(std::string(last["epoch"].GetString()), epoch);
    EXPECT_EQ(last["data"]["n"].GetInt(), 4);
}

TEST_F(InProcessBrokerTest, HistoryIsBoundedAndItsTrimIsKept) {
    start(2, 2);
    ConnId a = connect(0);
    join(0, a, "general");
    for (int i = 1; i <= 5; ++i) publish(0, a, "general", i);
    auto kept = store.load();
    ASSERT_EQ(kept.rooms.size(), 1u);
    ASSERT_EQ(kept.rooms[0].history.size(), 2u);
    EXPECT_EQ(kept.rooms[0].history.front().offset, 4u);
    // A shard that joins later is told what the broker still holds.
    ConnId b = connect(1);
    join(1, b, "general", R"(,"since":{"epoch":"E1","offset":0})");
    Document joined = answer(1, b, ref);
    EXPECT_EQ(joined["data"]["missed"].Size(), 2u);
}

TEST_F(InProcessBrokerTest, ASessionsRecordsGoToTheStoreFromItsLeaderAndComeBackToTheNextLeader) {
    start();
    ConnId agent = connect(1);
    send(1, agent, R"({"op":"send","ref":)" + std::to_string(++ref) +
                       R"(,"event":"register-agent","data":{"sessionId":"s1","id":"worker","type":"w","capabilities":[]}})");
    Document registered = answer(1, agent, ref);
    ASSERT_TRUE(registered["ok"].GetBool()) << str(registered);
    auto kept = store.load();
    ASSERT_EQ(kept.sessions.size(), 1u);
    ASSERT_EQ(kept.agents.size(), 1u);
    EXPECT_EQ(kept.agents[0].id, "worker");
    // A shard that does not lead the session writes nothing of it.
    broker->saveRecords(shards[0].node, {RecordChange{RecordChange::Kind::AgentForgotten, "s1", "worker", ""}});
    EXPECT_EQ(store.load().agents.size(), 1u);

    // Restarted: the first shard to touch the session leads it, from the records.
    start();
    EXPECT_EQ(broker->keptSessions(), 1u);
    ConnId watcher = connect(0);
    send(0, watcher, R"({"op":"send","ref":)" + std::to_string(++ref) + R"(,"event":"sync","data":{"sessionId":"s1"}})");
    Document sync = answer(0, watcher, ref);
    ASSERT_TRUE(sync["ok"].GetBool()) << str(sync);
    EXPECT_EQ(broker->keptSessions(), 0u);
    EXPECT_NE(str(sync["data"]).find("worker"), std::string::npos) << str(sync["data"]);
}

TEST_F(InProcessBrokerTest, AnIdleRoomNobodyFollowsIsForgottenWithItsHistory) {
    start();
    ConnId a = connect(0);
    join(0, a, "general");
    publish(0, a, "general", 1);
    send(0, a, R"({"op":"leave","ref":)" + std::to_string(++ref) + R"(,"room":"general"})");
    broker->expire(now + 1000);
    EXPECT_EQ(store.load().rooms.size(), 1u);  // within its time
    broker->expire(now + 61'000);
    EXPECT_EQ(store.load().rooms.size(), 0u);
    // Its next incarnation has a new epoch.
    join(0, a, "general");
    EXPECT_EQ(std::string(answer(0, a, ref)["data"]["epoch"].GetString()), "E2");
}

TEST(ShardRecordsTest, AStepIsDurableOnceTheSharedStoreMadeItsFlushDurable) {
    std::uint64_t shared = 10, durable = 10;
    std::vector<std::vector<RecordChange>> flushed;
    ShardRecords records([&](std::vector<RecordChange> changes) {
        flushed.push_back(changes);
        shared += changes.size();
        return shared;
    }, [&] { return durable; });
    records.sessionSaved("s", "{}");
    records.taskSaved("s", "t", "{}");
    EXPECT_EQ(records.lastChange(), 2u);
    EXPECT_EQ(records.durableChange(), 0u);  // not even handed over: the step goes on
    records.stepEnded();
    ASSERT_EQ(flushed.size(), 1u);
    EXPECT_EQ(flushed[0].size(), 2u);  // one whole step at once
    EXPECT_EQ(records.durableChange(), 0u);
    durable = 12;
    EXPECT_EQ(records.durableChange(), 2u);
    records.stepEnded();  // nothing changed: nothing flushed
    EXPECT_EQ(flushed.size(), 1u);
}

}  // namespace
}  // namespace hubtest
