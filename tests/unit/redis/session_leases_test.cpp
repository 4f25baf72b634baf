// ARGS sessions in Redis (cluster mode): the lease that names a session's
// leader, the records fenced by it, and the store that writes a hub step's
// changes there and counts them durable once Redis answered, keeping them
// through an outage.
#include "redis/redis_scripts.hpp"
#include "redis/redis_session_store.hpp"
#include "redis/room_presence.hpp"
#include "redis/session_leases.hpp"
#include "redis_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

namespace {

using namespace brolostack::native::redis;
using brolostack::test::RedisTest;
using namespace std::chrono_literals;

class SessionLeasesTest : public RedisTest {
protected:
    SessionLeaseAnswer lead(SessionLeases& leases, const std::string& session, const std::string& node) {
        return await<SessionLeaseAnswer>([&](auto done) { leases.lead(session, node, done); });
    }
    bool save(SessionLeases& leases, const std::string& session, const std::string& node,
              const std::vector<RecordChange>& changes) {
        return await<bool>([&](auto done) { leases.save(session, node, changes, done); });
    }
};

TEST_F(SessionLeasesTest, ALiveLeaderKeepsItsSessionAndADeadOnesIsTakenWithItsRecords) {
    auto c = connected();
    ASSERT_TRUE(c);
    RedisScripts scripts(*c);
    SessionLeases leases(*c, scripts);
    RoomPresence presence(*c, scripts);
    await<bool>([&](auto done) { presence.alive("n1", 60s, done); });

    SessionLeaseAnswer first = lead(leases, "s1", "n1");
    EXPECT_EQ(first.leader, "n1");
    EXPECT_TRUE(first.records.sessions.empty() && first.records.agents.empty() && first.records.tasks.empty());
    EXPECT_TRUE(save(leases, "s1", "n1",
                     {{RecordChange::Kind::Set, "session", R"({"id":"s1"})"},
                      {RecordChange::Kind::Set, SessionLeases::agentField("a1"), R"({"id":"a1"})"},
                      {RecordChange::Kind::Set, SessionLeases::taskField("t1"), R"({"id":"t1"})"},
                      {RecordChange::Kind::Set, SessionLeases::taskField("t2"), R"({"id":"t2"})"},
                      {RecordChange::Kind::Remove, SessionLeases::taskField("t2"), ""}}));

    // n1 lives: n2 is told who leads, and gets no records.
    SessionLeaseAnswer asked = lead(leases, "s1", "n2");
    EXPECT_EQ(asked.leader, "n1");
    EXPECT_TRUE(asked.records.tasks.empty());
    EXPECT_EQ(lead(leases, "s1", "n1").leader, "n1") << "the leader asking again keeps it";

    // n1's liveness lapses: n2 takes the lead and the records.
    call(*c, {"DEL", presence.nodeKey("n1")});
    SessionLeaseAnswer taken = lead(leases, "s1", "n2");
    EXPECT_EQ(taken.leader, "n2");
    ASSERT_EQ(taken.records.sessions.size(), 1u);
    EXPECT_EQ(taken.records.sessions[0].json, R"({"id":"s1"})");
    ASSERT_EQ(taken.records.agents.size(), 1u);
    EXPECT_EQ(taken.records.agents[0].id, "a1");
    ASSERT_EQ(taken.records.tasks.size(), 1u);
    EXPECT_EQ(taken.records.tasks[0].id, "t1");
    EXPECT_EQ(taken.records.tasks[0].session, "s1");

    // n1, back from a stall, can no longer write what n2 keeps.
    EXPECT_FALSE(save(leases, "s1", "n1", {{RecordChange::Kind::Remove, SessionLeases::taskField("t1"), ""}}));
    EXPECT_EQ(call(*c, {"HGET", leases.recordsKey("s1"), "task:t1"}).string(), R"({"id":"t1"})");

    // Dropping the session lets go of the lease too.
    EXPECT_TRUE(save(leases, "s1", "n2", {{RecordChange::Kind::DropSession, "", ""}}));
    EXPECT_EQ(call(*c, {"EXISTS", leases.recordsKey("s1"), leases.leaseKey("s1")}).integer(), 0);
    EXPECT_EQ(lead(leases, "s1", "n3").leader, "n3");
}

class SessionStoreTest : public SessionLeasesTest {
protected:
    // The broker also flushes the store as each new connection comes up
    // (RedisBroker::keepSessionRecords); here the tests say when.
    void attach(RedisSessionStore& store, SessionLeases& leases) {
        RedisSessionStore::Hooks hooks;
        hooks.save = [&leases](const std::string& session, const std::vector<RecordChange>& changes,
                               std::function<void(RedisResult<bool>)> done) {
            leases.save(session, "n1", changes, std::move(done));
        };
        hooks.durable = [this] { ++durableCalls; };
        hooks.lost = [this](const std::string& session) { lost.push_back(session); };
        store.attach(std::move(hooks));
    }
    int durableCalls = 0;
    std::vector<std::string> lost;
};

TEST_F(SessionStoreTest, AStepsChangesAreDurableOnceRedisAnsweredAndWaitThroughAnOutage) {
    auto c = connected();
    ASSERT_TRUE(c);
    RedisScripts scripts(*c);
    SessionLeases leases(*c, scripts);
    lead(leases, "s1", "n1");
    RedisSessionStore store;
    attach(store, leases);

    store.sessionSaved("s1", R"({"id":"s1"})");
    store.taskSaved("s1", "t1", R"({"id":"t1"})");
    store.roomCreated("r", "e", 0);  // rooms live in the broker: not a change here
    EXPECT_EQ(store.lastChange(), 2u);
    EXPECT_EQ(store.durableChange(), 0u);
    store.stepEnded();
    ASSERT_TRUE(runUntil([&] { return store.durableChange() == 2; }));
    EXPECT_GE(durableCalls, 1);
    EXPECT_EQ(call(*c, {"HGET", leases.recordsKey("s1"), "task:t1"}).string(), R"({"id":"t1"})");

    // Redis goes away: the next step's changes wait for it, in order.
    server.kill();
    ASSERT_TRUE(runUntil([&] { return !c->up(); }));
    store.taskSaved("s1", "t1", R"({"id":"t1","state":"done"})");
    store.agentSaved("s1", "a1", R"({"id":"a1"})");
    store.stepEnded();
    store.agentForgotten("s1", "a1");
    store.stepEnded();
    io.run_for(std::chrono::milliseconds(200));
    EXPECT_EQ(store.durableChange(), 2u);
    EXPECT_FALSE(store.failure());

    // Back (empty: this server keeps nothing), the lease is taken again and the waiting changes land.
    ASSERT_NO_FATAL_FAILURE(server.start());
    ASSERT_TRUE(runUntil([&] { return c->up(); }));
    lead(leases, "s1", "n1");
    store.flush();
    ASSERT_TRUE(runUntil([&] { return store.durableChange() == 5; }));
    EXPECT_EQ(call(*c, {"HGET", leases.recordsKey("s1"), "task:t1"}).string(), R"({"id":"t1","state":"done"})");
    EXPECT_TRUE(call(*c, {"HGET", leases.recordsKey("s1"), "agent:a1"}).isNil()) << "registered, then forgotten: in order";
    EXPECT_TRUE(lost.empty());
}

TEST_F(SessionStoreTest, ASaveFencedByAnotherLeaderIsDurableAndReportsTheSessionLost) {
    auto c = connected();
    ASSERT_TRUE(c);
    RedisScripts scripts(*c);
    SessionLeases leases(*c, scripts);
    lead(leases, "s1", "n2");  // another node leads s1 (no liveness needed for the first lease)
    RedisSessionStore store;
    attach(store, leases);
    store.taskSaved("s1", "t1", "{}");
    store.stepEnded();
    ASSERT_TRUE(runUntil([&] { return store.durableChange() == 1; }));
    EXPECT_EQ(lost, std::vector<std::string>{"s1"});
    EXPECT_TRUE(call(*c, {"HGET", leases.recordsKey("s1"), "task:t1"}).isNil());
}

}  // namespace
