// Cluster mode (server/broker.hpp): two hubs share one broker and behave as
// one. The broker here is the contract the Redis broker implements, kept in
// memory, with its answers handed over when a test says so, so each order
// in which a real broker's replies and fan-out can arrive is played out.
#include "cluster_test_support.hpp"

namespace hubtest {
namespace {

using Offsets = std::vector<std::uint64_t>;

TEST_F(ClusterTest, AMessagePublishedOnOneNodeReachesMembersOnEveryNodeWithTheBrokersPosition) {
    ConnId alice = connect(0), bob = connect(1), carol = connect(1);
    std::string aliceSid = frames(0, alice, "reply")[0]["data"]["sid"].GetString();
    join(0, alice, "general");
    join(1, bob, "general");
    join(1, carol, "general");
    settle();
    std::uint64_t r = publish(0, alice, "general", 1);
    settle();
    auto reply = answer(0, alice, r);
    ASSERT_TRUE(reply);
    EXPECT_EQ((*reply)["data"]["offset"].GetUint64(), 1u);
    EXPECT_EQ(std::string((*reply)["data"]["epoch"].GetString()), rooms["general"].epoch);
    for (ConnId member : {bob, carol}) {
        auto got = frames(1, member, "message");
        ASSERT_EQ(got.size(), 1u);
        EXPECT_EQ(got[0]["offset"].GetUint64(), 1u);
        EXPECT_EQ(std::string(got[0]["epoch"].GetString()), rooms["general"].epoch);
        EXPECT_EQ(got[0]["data"]["n"].GetInt(), 1);
        EXPECT_EQ(std::string(got[0]["from"]["sid"].GetString()), aliceSid);
    }
    // Both nodes' publishes share one sequence of offsets.
    publish(1, bob, "general", 2);
    publish(0, alice, "general", 3);
    settle();
    EXPECT_EQ(messageOffsets(1, carol), (Offsets{1, 2, 3}));
    EXPECT_EQ(messageOffsets(0, alice), (Offsets{2}));  // echo is off by default
}

TEST_F(ClusterTest, ThePublisherHearsItsReplyBeforeItsEchoWhicheverTheBrokerSendsFirst) {
    ConnId alice = connect(0);
    join(0, alice, "general");
    settle();
    std::uint64_t r = publish(0, alice, "general", 1, R"(,"echo":true)");
    // The broker's reply is first in line; hand over the fan-out first instead.
    ASSERT_EQ(pending.size(), 2u);
    std::swap(pending[0], pending[1]);
    settle();
    auto seen = framesTo(nodes[0].log, alice);
    ASSERT_GE(seen.size(), 2u);
    EXPECT_EQ(std::string(seen[seen.size() - 2]["op"].GetString()), "reply");
    EXPECT_EQ(seen[seen.size() - 2]["ref"].GetUint64(), r);
    EXPECT_EQ(std::string(seen.back()["op"].GetString()), "message");
    EXPECT_EQ(frames(0, alice, "reply").size(), 3u);  // hello, join and the publish: answered once
}

TEST_F(ClusterTest, AJoinWaitsForTheRoomToLoadAndFramesBehindItKeepTheirOrder) {
    ConnId alice = connect(0);
    join(0, alice, "general");
    settle();
    for (int i = 1; i <= 3; ++i) publish(0, alice, "general", i);
    settle();

    ConnId bob = connect(1);
    std::uint64_t joinRef = join(1, bob, "general", R"(,"since":{"epoch":")" + rooms["general"].epoch + R"(","offset":1})");
    std::uint64_t publishRef = publish(1, bob, "general", 4);
    // Nothing is answered before the broker's copy of the room arrives.
    EXPECT_FALSE(answer(1, bob, joinRef));
    EXPECT_FALSE(answer(1, bob, publishRef));
    settle();
    auto joined = answer(1, bob, joinRef);
    ASSERT_TRUE(joined);
    EXPECT_TRUE((*joined)["data"]["recovered"].GetBool());
    Offsets missed;
    for (const auto& m : (*joined)["data"]["missed"].GetArray()) missed.push_back(m["offset"].GetUint64());
    EXPECT_EQ(missed, (Offsets{2, 3}));
    auto published = answer(1, bob, publishRef);
    ASSERT_TRUE(published);
    EXPECT_EQ(errorCode(*published), "");
    EXPECT_EQ((*published)["data"]["offset"].GetUint64(), 4u);
    EXPECT_EQ(messageOffsets(0, alice), (Offsets{4}));
}

TEST_F(ClusterTest, FramesSentBehindAHelloThatWaitsForItsRoomsAreAnsweredAfterTheWelcome) {
    ConnId alice = connect(0);
    join(0, alice, "general");
    settle();
    publish(0, alice, "general", 1);
    settle();
    // A client resuming on node 1 sends hello with its rooms and, without
    // waiting for the welcome, a join and a publish.
    ConnId bob = 900;
    ASSERT_TRUE(nodes[1].hub->admit({}, now).admitted());
    nodes[1].hub->open(bob, {}, now);
    sendText(1, bob, R"({"op":"hello","ref":1,"v":1,"resume":{"rooms":{"general":{"epoch":")" + rooms["general"].epoch +
                         R"(","offset":0}}}})");
    std::uint64_t j = join(1, bob, "random");
    std::uint64_t p = publish(1, bob, "general", 2);
    EXPECT_TRUE(closesFor(nodes[1].log, bob).empty());
    settle();
    EXPECT_TRUE(closesFor(nodes[1].log, bob).empty());
    auto seen = framesTo(nodes[1].log, bob);
    ASSERT_GE(seen.size(), 3u);
    EXPECT_EQ(seen[0]["ref"].GetUint64(), 1u);  // the welcome first
    EXPECT_TRUE(seen[0]["data"]["rooms"]["general"]["recovered"].GetBool());
    ASSERT_TRUE(answer(1, bob, j));
    EXPECT_EQ(errorCode(*answer(1, bob, j)), "");
    ASSERT_TRUE(answer(1, bob, p));
    EXPECT_EQ((*answer(1, bob, p))["data"]["offset"].GetUint64(), 2u);
}

TEST_F(ClusterTest, ASkippedOffsetIsReadFromTheBrokerAndDeliveredInOrder) {
    ConnId alice = connect(0), bob = connect(1);
    join(0, alice, "general");
    join(1, bob, "general");
    settle();
    publish(0, alice, "general", 1);
    settle();
    // Node 1 misses the fan-out of offsets 2 and 3 (as across a dropped subscription).
    nodes[1].watched.erase("general");
    publish(0, alice, "general", 2);
    publish(0, alice, "general", 3);
    settle();
    nodes[1].watched.insert("general");
    publish(0, alice, "general", 4);
    settle();
    EXPECT_EQ(messageOffsets(1, bob), (Offsets{1, 2, 3, 4}));
    std::vector<int> values;
    for (const auto& f : frames(1, bob, "message")) values.push_back(f["data"]["n"].GetInt());
    EXPECT_EQ(values, (std::vector<int>{1, 2, 3, 4}));
}

TEST_F(ClusterTest, AFailedCatchUpIsAskedAgainAtTheNextTick) {
    ConnId alice = connect(0), bob = connect(1);
    join(0, alice, "general");
    join(1, bob, "general");
    settle();
    nodes[1].watched.erase("general");
    publish(0, alice, "general", 1);
    settle();
    nodes[1].watched.insert("general");
    publish(0, alice, "general", 2);
    brokerDown = true;  // offset 2 arrives, and the read of offset 1 fails
    settle();
    brokerDown = false;
    EXPECT_TRUE(messageOffsets(1, bob).empty());
    now += 1000;
    run(1, [&](Outbox& o) { nodes[1].hub->tick(now, o); });
    settle();
    EXPECT_EQ(messageOffsets(1, bob), (Offsets{1, 2}));
}

TEST_F(ClusterTest, AfterTheFanOutWasInterruptedEveryRoomReadsWhatItMissed) {
    ConnId alice = connect(0), bob = connect(1);
    join(0, alice, "general");
    join(1, bob, "general");
    settle();
    nodes[1].watched.erase("general");
    publish(0, alice, "general", 1);
    publish(0, alice, "general", 2);
    settle();
    nodes[1].watched.insert("general");
    EXPECT_TRUE(messageOffsets(1, bob).empty());
    run(1, [&](Outbox& o) { nodes[1].hub->brokerResumed(o); });
    settle();
    EXPECT_EQ(messageOffsets(1, bob), (Offsets{1, 2}));
}

TEST_F(ClusterTest, WithTheBrokerAwayJoinsAndPublishesAnswerUnavailable) {
    ConnId alice = connect(0);
    join(0, alice, "general");
    settle();
    brokerDown = true;
    std::uint64_t r = publish(0, alice, "general", 1);
    ConnId bob = connect(1);
    std::uint64_t j = join(1, bob, "general");
    settle();
    ASSERT_TRUE(answer(0, alice, r));
    EXPECT_EQ(errorCode(*answer(0, alice, r)), "unavailable");
    ASSERT_TRUE(answer(1, bob, j));
    EXPECT_EQ(errorCode(*answer(1, bob, j)), "unavailable");
    // Back again: the same join now succeeds.
    brokerDown = false;
    std::uint64_t again = join(1, bob, "general");
    settle();
    ASSERT_TRUE(answer(1, bob, again));
    EXPECT_EQ(errorCode(*answer(1, bob, again)), "");
}

TEST_F(ClusterTest, AnAnonymousClientKeepsItsMidNamespaceOnAnotherNode) {
    ConnId first = connect(0);
    std::string token = frames(0, first, "reply")[0]["data"]["resumeToken"].GetString();
    join(0, first, "general");
    settle();
    std::uint64_t r1 = publish(0, first, "general", 1, R"(,"mid":"m-1")");
    settle();
    // Its node dies; the client resumes on the other one and retries the publish.
    ConnId again = connect(1, R"(,"resume":{"token":")" + token + R"(","rooms":{}})");
    EXPECT_EQ(std::string(frames(1, again, "reply")[0]["data"]["resumeToken"].GetString()), token);
    join(1, again, "general");
    settle();
    std::uint64_t r2 = publish(1, again, "general", 1, R"(,"mid":"m-1")");
    settle();
    auto retried = answer(1, again, r2);
    ASSERT_TRUE(retried);
    EXPECT_TRUE((*retried)["data"]["duplicate"].GetBool());
    EXPECT_EQ((*retried)["data"]["offset"].GetUint64(), (*answer(0, first, r1))["data"]["offset"].GetUint64());
    EXPECT_EQ(rooms["general"].messages.size(), 1u);
}

TEST_F(ClusterTest, ANodeStopsFollowingARoomWhenItsLastMemberThereLeaves) {
    ConnId alice = connect(0), bob = connect(0);
    join(0, alice, "general");
    join(0, bob, "general");
    settle();
    EXPECT_EQ(nodes[0].hub->watchedRooms(), 1u);
    leave(0, alice, "general");
    EXPECT_TRUE(nodes[0].watched.count("general"));
    run(0, [&](Outbox& o) { nodes[0].hub->closed(bob, now, o); });
    EXPECT_FALSE(nodes[0].watched.count("general"));
    EXPECT_EQ(nodes[0].hub->watchedRooms(), 0u);
    // A later join loads the room again, with what was published meanwhile.
    ConnId carol = connect(1);
    join(1, carol, "general");
    settle();
    publish(1, carol, "general", 1);
    settle();
    ConnId dave = connect(0);
    std::uint64_t j = join(0, dave, "general", R"(,"since":{"epoch":")" + rooms["general"].epoch + R"(","offset":0})");
    settle();
    ASSERT_TRUE(answer(0, dave, j));
    EXPECT_EQ((*answer(0, dave, j))["data"]["offset"].GetUint64(), 1u);
    EXPECT_EQ((*answer(0, dave, j))["data"]["missed"].Size(), 1u);
}

TEST_F(ClusterTest, MembersOnEveryNodeMakeOnePresenceList) {
    ConnId alice = connect(0);
    join(0, alice, "general", R"(,"info":{"name":"Alice"})");
    settle();
    ConnId bob = connect(1);
    std::uint64_t j = join(1, bob, "general");
    settle();
    // Bob's join reply lists Alice, who is on the other node.
    auto joined = answer(1, bob, j);
    ASSERT_TRUE(joined);
    EXPECT_EQ((*joined)["data"]["memberCount"].GetUint64(), 2u);
    std::set<std::string> names;
    for (const auto& m : (*joined)["data"]["members"].GetArray())
        if (m["info"].HasMember("name")) names.insert(m["info"]["name"].GetString());
    EXPECT_EQ(names, std::set<std::string>{"Alice"});
    // Alice hears Bob join, with the count of both nodes.
    auto heard = frames(0, alice, "presence");
    ASSERT_EQ(heard.size(), 1u);
    EXPECT_EQ(std::string(heard[0]["action"].GetString()), "join");
    EXPECT_EQ(heard[0]["memberCount"].GetUint64(), 2u);
    // Carol, on Bob's node, sees both in `members`.
    ConnId carol = connect(1);
    join(1, carol, "general");
    settle();
    auto members = answer(1, carol, sendText(1, carol, R"({"op":"members","ref":)" + std::to_string(++ref) + R"(,"room":"general"})"));
    ASSERT_TRUE(members);
    EXPECT_EQ((*members)["data"]["memberCount"].GetUint64(), 3u);
    // Alice leaves: both of the other node hear it.
    leave(0, alice, "general");
    settle();
    for (ConnId member : {bob, carol}) {
        auto got = frames(1, member, "presence");
        ASSERT_FALSE(got.empty());
        EXPECT_EQ(std::string(got.back()["action"].GetString()), "leave");
        EXPECT_EQ(std::string(got.back()["member"]["info"]["name"].GetString()), "Alice");
        EXPECT_EQ(got.back()["memberCount"].GetUint64(), 2u);
    }
    EXPECT_EQ(rooms["general"].members.size(), 2u);
}

TEST_F(ClusterTest, TheMembersOfADeadNodeLeaveEveryRoom) {
    ConnId alice = connect(0), bob = connect(1);
    join(0, alice, "general");
    join(0, alice, "random");
    join(1, bob, "general");
    join(1, bob, "random");
    settle();
    EXPECT_EQ(nodes[1].hub->remoteNodes(), std::set<std::string>{nodes[0].hub->nodeId()});
    nodes[0].watched.clear();  // it is dead: it hears nothing any more
    run(1, [&](Outbox& o) { nodes[1].hub->brokerNodeGone(nodes[0].hub->nodeId(), 0, o); });
    settle();
    auto left = frames(1, bob, "presence");
    ASSERT_EQ(left.size(), 4u);  // Alice's two joins and two leaves
    EXPECT_EQ(std::string(left[2]["action"].GetString()), "leave");
    EXPECT_EQ(std::string(left[3]["action"].GetString()), "leave");
    EXPECT_TRUE(nodes[1].hub->remoteNodes().empty());
    // Off the broker's lists too.
    EXPECT_EQ(rooms["general"].members.size(), 1u);
    EXPECT_EQ(rooms["random"].members.size(), 1u);
}

TEST_F(ClusterTest, AfterTheBrokerWasAwayANodeListsItsMembersAgain) {
    ConnId alice = connect(0), bob = connect(0);
    join(0, alice, "general");
    join(0, bob, "general");
    settle();
    // Bob's leave never reached the broker; a stale entry stayed.
    rooms["general"].members[nodes[0].hub->nodeId() + ":999"] = R"({"sid":"c-gone","user":null})";
    leave(0, bob, "general");
    pending.clear();
    run(0, [&](Outbox& o) { nodes[0].hub->brokerResumed(o); });
    settle();
    ASSERT_EQ(rooms["general"].members.size(), 1u);
    EXPECT_NE(rooms["general"].members.begin()->second.find(frames(0, alice, "reply")[0]["data"]["sid"].GetString()),
              std::string::npos);
}

TEST_F(ClusterTest, ANodeTakenForDeadThatCameBackKeepsItsMembers) {
    ConnId alice = connect(0), bob = connect(1);
    join(0, alice, "general");
    join(1, bob, "general");
    settle();
    // Node 1 found node 0's liveness lapsed, but node 0 renewed it before the drop ran.
    aliveAgain.insert(nodes[0].hub->nodeId());
    run(1, [&](Outbox& o) { nodes[1].hub->brokerNodeGone(nodes[0].hub->nodeId(), 0, o); });
    settle();
    for (const auto& p : frames(1, bob, "presence")) EXPECT_EQ(std::string(p["action"].GetString()), "join");
    EXPECT_EQ(rooms["general"].members.size(), 2u);
    EXPECT_EQ(nodes[1].hub->remoteNodes(), std::set<std::string>{nodes[0].hub->nodeId()});
}

TEST_F(ClusterTest, AMemberDroppedByANodeThatTookOursForDeadIsListedAgain) {
    ConnId alice = connect(0), bob = connect(1);
    join(0, alice, "general");
    join(1, bob, "general");
    settle();
    // Node 1 took node 0 for dead (say Redis stalled) and the drop went through.
    run(1, [&](Outbox& o) { nodes[1].hub->brokerNodeGone(nodes[0].hub->nodeId(), 0, o); });
    settle();
    auto seen = frames(1, bob, "presence");
    ASSERT_EQ(seen.size(), 3u);  // alice joined, was dropped, and is back
    EXPECT_EQ(std::string(seen[1]["action"].GetString()), "leave");
    EXPECT_EQ(std::string(seen[2]["action"].GetString()), "join");
    EXPECT_EQ(rooms["general"].members.size(), 2u);
    EXPECT_EQ(nodes[1].hub->remoteNodes(), std::set<std::string>{nodes[0].hub->nodeId()});
}

TEST_F(ClusterTest, ABrokerMessageThisVersionCannotReadIsSkipped) {
    ConnId alice = connect(0);
    join(0, alice, "general");
    settle();
    const std::string readable = R"({"op":"message","room":"general","event":"e","data":1,"from":{"sid":null,"user":null},"ts":1})";
    run(0, [&](Outbox& o) { nodes[0].hub->brokerPlaced("general", rooms["general"].epoch, PlacedMessage{1, "not json", ""}, now, o); });
    run(0, [&](Outbox& o) { nodes[0].hub->brokerPlaced("general", "bad\"epoch", PlacedMessage{1, readable, ""}, now, o); });
    EXPECT_TRUE(frames(0, alice, "message").empty());
    // The same message with a readable position is delivered: what was skipped above was the bad part.
    run(0, [&](Outbox& o) { nodes[0].hub->brokerPlaced("general", rooms["general"].epoch, PlacedMessage{1, readable, ""}, now, o); });
    EXPECT_EQ(messageOffsets(0, alice), (Offsets{1}));
    EXPECT_FALSE(BrokerOrigin::parse("node"));
    EXPECT_EQ(brolostack::server::connOfMemberKey("n1:42"), std::optional<std::uint64_t>(42));
    EXPECT_FALSE(brolostack::server::connOfMemberKey("n1:x"));
    EXPECT_FALSE(brolostack::server::connOfMemberKey("n1"));
    // A member another node lists that is not a member object is not taken.
    run(0, [&](Outbox& o) { nodes[0].hub->brokerPresence("general", "n9:1", true, R"({"user":"x"})", o); });
    EXPECT_TRUE(nodes[0].hub->remoteNodes().empty());
    run(0, [&](Outbox& o) { nodes[0].hub->brokerPresence("general", "n9:1", true, R"({"sid":"c-1","info":{"a":1}})", o); });
    EXPECT_EQ(nodes[0].hub->remoteNodes(), std::set<std::string>{"n9"});
    EXPECT_FALSE(BrokerOrigin::parse("node x 0"));
    auto origin = BrokerOrigin::parse(BrokerOrigin{"n1", 7, 9}.encode());
    ASSERT_TRUE(origin);
    EXPECT_EQ(origin->node, "n1");
    EXPECT_EQ(origin->token, 7u);
    EXPECT_EQ(origin->skip, 9u);
}


// ---- the HTTP API's reads of a room this node does not hold ----------------------

/// What a membersThen or historyThen call answered (none: not yet).
struct ReadAnswer {
    std::optional<std::variant<std::string, brolostack::protocol::Error>> got;
    Hub::ReadDone done() {
        return [this](const std::variant<std::string, brolostack::protocol::Error>& answer) { got = answer; };
    }
};

TEST_F(ClusterTest, ARoomHeldOnlyByAnotherNodeIsReadFromTheBroker) {
    ConnId alice = connect(0);
    join(0, alice, "general", R"(,"info":{"name":"Alice"})");
    settle();
    for (int i = 1; i <= 3; ++i) publish(0, alice, "general", i);
    settle();
    ReadAnswer history, since, members;
    run(1, [&](Outbox& o) {
        nodes[1].hub->historyThen("general", std::nullopt, 2u, o, history.done());
        nodes[1].hub->historyThen("general", brolostack::protocol::StreamPosition{rooms["general"].epoch, 1}, std::nullopt, o,
                                  since.done());
        nodes[1].hub->membersThen("general", o, members.done());
    });
    EXPECT_FALSE(history.got);  // the broker answers later
    settle();
    ASSERT_TRUE(history.got && std::holds_alternative<std::string>(*history.got));
    Document h = parse(std::get<std::string>(*history.got));
    EXPECT_EQ(std::string(h["epoch"].GetString()), rooms["general"].epoch);
    EXPECT_EQ(h["offset"].GetUint64(), 3u);
    ASSERT_EQ(h["messages"].Size(), 2u);  // the newest two, as the limit says
    EXPECT_EQ(h["messages"][0]["offset"].GetUint64(), 2u);
    EXPECT_EQ(h["messages"][1]["data"]["n"].GetInt(), 3);
    Document s = parse(std::get<std::string>(*since.got));
    ASSERT_EQ(s["messages"].Size(), 2u);
    EXPECT_EQ(s["messages"][0]["offset"].GetUint64(), 2u);
    EXPECT_TRUE(s["complete"].GetBool());
    Document m = parse(std::get<std::string>(*members.got));
    ASSERT_EQ(m["members"].Size(), 1u);
    EXPECT_EQ(std::string(m["members"][0]["info"]["name"].GetString()), "Alice");
    EXPECT_EQ(m["memberCount"].GetUint64(), 1u);
    // The node that holds the room answers the same from its own copy, at once.
    ReadAnswer local;
    run(0, [&](Outbox& o) { nodes[0].hub->historyThen("general", std::nullopt, 2u, o, local.done()); });
    ASSERT_TRUE(local.got);
    EXPECT_EQ(std::get<std::string>(*local.got), std::get<std::string>(*history.got));
    // Reading the room did not make node 1 follow it.
    EXPECT_EQ(nodes[1].watched.count("general"), 0u);
}

TEST_F(ClusterTest, ReadingARoomNobodyUsedOrWithTheBrokerAwayAnswersAnError) {
    ReadAnswer unknown, stale, away;
    run(1, [&](Outbox& o) { nodes[1].hub->historyThen("nobody-here", std::nullopt, std::nullopt, o, unknown.done()); });
    settle();
    ASSERT_TRUE(unknown.got && std::holds_alternative<brolostack::protocol::Error>(*unknown.got));
    EXPECT_EQ(std::get<brolostack::protocol::Error>(*unknown.got).code, brolostack::protocol::ErrorCode::NotFound);

    ConnId alice = connect(0);
    join(0, alice, "general");
    settle();
    publish(0, alice, "general", 1);
    settle();
    run(1, [&](Outbox& o) {
        nodes[1].hub->historyThen("general", brolostack::protocol::StreamPosition{"other-epoch", 1}, std::nullopt, o, stale.done());
    });
    settle();
    ASSERT_TRUE(stale.got && std::holds_alternative<brolostack::protocol::Error>(*stale.got));
    EXPECT_EQ(std::get<brolostack::protocol::Error>(*stale.got).code, brolostack::protocol::ErrorCode::Conflict);

    brokerDown = true;
    run(1, [&](Outbox& o) { nodes[1].hub->membersThen("general", o, away.done()); });
    settle();
    ASSERT_TRUE(away.got && std::holds_alternative<brolostack::protocol::Error>(*away.got));
    EXPECT_EQ(std::get<brolostack::protocol::Error>(*away.got).code, brolostack::protocol::ErrorCode::Unavailable);
}

}  // namespace
}  // namespace hubtest
