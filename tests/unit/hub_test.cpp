// The Hub's connection start, rooms, presence, publish, dedupe, history,
// errors and authentication (PROTOCOL.md sections 2-5).
#include "hub_test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace hubtest {
namespace {

using brolostack::config::ApiKey;
using brolostack::config::Environment;

bool isOk(const Value& reply) { return reply.HasMember("ok") && reply["ok"].IsTrue(); }

std::vector<std::uint64_t> offsetsOf(const std::vector<Document>& frames) {
    std::vector<std::uint64_t> offsets;
    for (const auto& f : frames) offsets.push_back(f["offset"].GetUint64());
    return offsets;
}

// ---- hello (section 3) ------------------------------------------------------

TEST_F(HubTest, HelloReplyDescribesTheServer) {
    settings.heartbeatMs = 15000;
    settings.maxMessageBytes = 4096;
    settings.rateLimitRpm = 600;
    settings.maxRoomsPerConnection = 7;
    ConnId c = connect();
    Document r = hello(c);
    ASSERT_TRUE(isOk(r)) << str(r);
    const Value& d = r["data"];
    ASSERT_TRUE(d["sid"].IsString());
    EXPECT_GT(d["sid"].GetStringLength(), 0u);
    EXPECT_TRUE(d["user"].IsNull());
    EXPECT_STREQ(d["protocol"].GetString(), "ARGS");
    EXPECT_STREQ(d["version"].GetString(), "1.0.0");
    EXPECT_EQ(d["v"].GetInt(), 1);
    EXPECT_STREQ(d["environment"].GetString(), "development");
    EXPECT_EQ(d["heartbeatMs"].GetInt64(), 15000);
    std::set<std::string> caps;
    for (const auto& cap : d["capabilities"].GetArray()) caps.insert(cap.GetString());
    for (const char* cap : {"rooms", "presence", "history", "recovery", "args", "streams"})
        EXPECT_EQ(caps.count(cap), 1u) << cap;
    EXPECT_EQ(d["limits"]["maxMessageBytes"].GetUint64(), 4096u);
    EXPECT_EQ(d["limits"]["rateLimitPerMinute"].GetUint(), 600u);
    EXPECT_EQ(d["limits"]["maxRoomsPerConnection"].GetUint64(), 7u);
    EXPECT_EQ(str(d["rooms"]), "{}");
    // docs/protocol.md: a secret "resumeToken" of 32 hex characters (ids here are 16 hex, as the server's)
    ASSERT_TRUE(d["resumeToken"].IsString());
    std::string token = d["resumeToken"].GetString();
    EXPECT_EQ(token.size(), 32u);
    EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << token;
    EXPECT_EQ(token.find(d["sid"].GetString() + 2), std::string::npos) << "the token must not reveal the sid";
}

TEST_F(HubTest, HelloNamesTheEnvironment) {
    settings.environment = Environment::Staging;
    Document r = hello(connect());
    EXPECT_STREQ(r["data"]["environment"].GetString(), "staging");
}

TEST_F(HubTest, EachConnectionGetsItsOwnSid) {
    ConnId a = client(), b = client();
    EXPECT_NE(sids[a], sids[b]);
}

// "A second hello on the same connection is bad_request."
TEST_F(HubTest, SecondHelloIsBadRequestAndKeepsTheConnection) {
    ConnId c = client();
    std::uint64_t before = log.size();
    Document r = hello(c);
    EXPECT_FALSE(isOk(r));
    EXPECT_EQ(errorCode(r), "bad_request");
    Outbox after(log.begin() + static_cast<std::ptrdiff_t>(before), log.end());
    EXPECT_TRUE(closesFor(after, c).empty());
}

// "a first frame that is not a valid hello closes with 4000"
TEST_F(HubTest, FirstFrameNotHelloIsAnsweredAndClosedWith4000) {
    ConnId c = connect();
    Outbox out = send(c, R"({"op":"join","ref":5,"room":"general"})");
    auto replies = framesTo(out, c, "reply");
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0]["ref"].GetUint64(), 5u);
    EXPECT_EQ(errorCode(replies[0]), "bad_request");
    EXPECT_EQ(closesFor(out, c), std::vector<std::uint16_t>{4000});
}

TEST_F(HubTest, NonJsonFirstFrameClosesWith4000) {
    ConnId c = connect();
    Outbox out = send(c, "hello?");
    auto errors = framesTo(out, c, "error");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errorCode(errors[0]), "bad_request");
    EXPECT_EQ(closesFor(out, c), std::vector<std::uint16_t>{4000});
}

TEST_F(HubTest, HelloWithUnsupportedVersionClosesWith4000) {
    ConnId c = connect();
    Outbox out = send(c, R"({"op":"hello","ref":1,"v":2})");
    auto replies = framesTo(out, c, "reply");
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(errorCode(replies[0]), "bad_request");
    EXPECT_EQ(closesFor(out, c), std::vector<std::uint16_t>{4000});
}

TEST_F(HubTest, FramesAfterACloseAreIgnored) {
    ConnId c = connect();
    send(c, "nope");
    Outbox out = send(c, R"({"op":"hello","ref":1,"v":1})");
    EXPECT_TRUE(out.empty());
}

// "the server answers {"op":"pong","ts":123,"serverTs":...}"
TEST_F(HubTest, PingIsAnsweredWithPongCarryingTsAndServerTime) {
    ConnId c = client();
    now += 1234;
    Outbox out = send(c, R"({"op":"ping","ts":123})");
    auto pongs = framesTo(out, c, "pong");
    ASSERT_EQ(pongs.size(), 1u);
    EXPECT_EQ(pongs[0]["ts"].GetInt64(), 123);
    EXPECT_EQ(pongs[0]["serverTs"].GetInt64(), now);
}

TEST_F(HubTest, PongEchoesAFractionalTsExactly) {
    ConnId c = client();
    auto texts = textsTo(send(c, R"({"op":"ping","ts":1732550000000.25})"), c);
    ASSERT_EQ(texts.size(), 1u);
    EXPECT_NE(texts[0].find("\"ts\":1732550000000.25"), std::string::npos) << texts[0];
}

// ---- join, presence, leave (section 5) --------------------------------------

TEST_F(HubTest, JoinReplyDescribesTheRoom) {
    ConnId c = client();
    Document d = join(c, "general", R"("name":"General Discussion","info":{"name":"Ada"})");
    EXPECT_STREQ(d["room"].GetString(), "general");
    EXPECT_STREQ(d["name"].GetString(), "General Discussion");
    ASSERT_TRUE(d["epoch"].IsString());
    EXPECT_GT(d["epoch"].GetStringLength(), 0u);
    EXPECT_EQ(d["offset"].GetUint64(), 0u);  // empty room
    ASSERT_EQ(d["members"].Size(), 1u);
    EXPECT_EQ(d["members"][0]["sid"].GetString(), sids[c]);
    EXPECT_TRUE(d["members"][0]["user"].IsNull());
    EXPECT_EQ(str(d["members"][0]["info"]), R"({"name":"Ada"})");
    EXPECT_EQ(d["memberCount"].GetUint64(), 1u);
    EXPECT_FALSE(d["recovered"].GetBool());
    EXPECT_EQ(str(d["missed"]), "[]");
}

TEST_F(HubTest, JoinSendsPresenceToOtherMembersOnly) {
    ConnId a = client(), b = client();
    join(a, "general");
    Outbox out;
    Document d = join(b, "general", R"("info":{"name":"Bob"})", &out);
    EXPECT_EQ(d["memberCount"].GetUint64(), 2u);
    auto presence = framesTo(out, a, "presence");
    ASSERT_EQ(presence.size(), 1u);
    EXPECT_STREQ(presence[0]["room"].GetString(), "general");
    EXPECT_STREQ(presence[0]["action"].GetString(), "join");
    EXPECT_EQ(presence[0]["member"]["sid"].GetString(), sids[b]);
    EXPECT_EQ(str(presence[0]["member"]["info"]), R"({"name":"Bob"})");
    EXPECT_EQ(presence[0]["memberCount"].GetUint64(), 2u);
    EXPECT_TRUE(framesTo(out, b, "presence").empty());
}

// "Joining a room already joined is idempotent: same reply, no new presence."
TEST_F(HubTest, RejoinIsIdempotent) {
    ConnId a = client(), b = client();
    join(a, "general");
    Document first = join(b, "general");
    Outbox out;
    Document second = join(b, "general", "", &out);
    EXPECT_EQ(str(first), str(second));
    EXPECT_TRUE(framesTo(out, a).empty());
    EXPECT_EQ(second["memberCount"].GetUint64(), 2u);
}

TEST_F(HubTest, LeaveRepliesAndSendsLeavePresence) {
    ConnId a = client(), b = client();
    join(a, "general");
    join(b, "general");
    Outbox out;
    Document d = parse(ok(b, "leave", R"("room":"general")", &out));
    EXPECT_EQ(str(d), R"({"room":"general"})");
    auto presence = framesTo(out, a, "presence");
    ASSERT_EQ(presence.size(), 1u);
    EXPECT_STREQ(presence[0]["action"].GetString(), "leave");
    EXPECT_EQ(presence[0]["member"]["sid"].GetString(), sids[b]);
    EXPECT_EQ(presence[0]["memberCount"].GetUint64(), 1u);
    // b no longer receives the room's messages
    Outbox pub;
    publish(a, "general", 1, "", &pub);
    EXPECT_TRUE(framesTo(pub, b).empty());
}

// docs/protocol.md: "leave of a room not joined succeeds (idempotent), with no presence"
TEST_F(HubTest, LeavingARoomNotJoinedSucceedsSilently) {
    ConnId a = client(), b = client();
    join(a, "general");
    Outbox out;
    EXPECT_EQ(ok(b, "leave", R"("room":"general")", &out), R"({"room":"general"})");
    EXPECT_TRUE(framesTo(out, a).empty());
    EXPECT_EQ(ok(b, "leave", R"("room":"never-made")"), R"({"room":"never-made"})");
}

// "When a connection closes, the server sends leave presence for each of its rooms."
TEST_F(HubTest, CloseSendsLeavePresenceInEachRoomOfThatConnection) {
    ConnId a = client(), b = client(), c = client(), d = client();
    join(a, "r1");
    join(a, "r2");
    join(b, "r1");
    join(c, "r2");
    join(d, "r3");
    join(b, "r4");
    join(d, "r4");
    Outbox out = close(a);
    auto pb = framesTo(out, b, "presence");
    auto pc = framesTo(out, c, "presence");
    ASSERT_EQ(pb.size(), 1u);
    ASSERT_EQ(pc.size(), 1u);
    EXPECT_STREQ(pb[0]["room"].GetString(), "r1");
    EXPECT_STREQ(pc[0]["room"].GetString(), "r2");
    EXPECT_STREQ(pb[0]["action"].GetString(), "leave");
    EXPECT_EQ(pc[0]["member"]["sid"].GetString(), sids[a]);
    EXPECT_TRUE(framesTo(out, d).empty());
    EXPECT_TRUE(framesTo(out, a).empty());
}

// ---- publish (section 5) ----------------------------------------------------

TEST_F(HubTest, PublishRepliesWithOffsetAndReachesOtherMembers) {
    ConnId a = client(), b = client(), c = client();
    for (ConnId x : {a, b, c}) join(x, "general");
    std::string epoch = join(a, "general")["epoch"].GetString();
    now += 500;
    Outbox out;
    Document r = publish(a, "general", 7, R"("mid":"m-1")", &out);
    ASSERT_TRUE(isOk(r)) << str(r);
    EXPECT_EQ(str(r["data"]), R"({"room":"general","offset":1,"epoch":")" + epoch + R"(","duplicate":false})");
    for (ConnId x : {b, c}) {
        auto messages = framesTo(out, x, "message");
        ASSERT_EQ(messages.size(), 1u);
        const Value& m = messages[0];
        EXPECT_STREQ(m["room"].GetString(), "general");
        EXPECT_STREQ(m["event"].GetString(), "message");
        EXPECT_EQ(str(m["data"]), R"({"n":7})");
        EXPECT_EQ(m["from"]["sid"].GetString(), sids[a]);
        EXPECT_TRUE(m["from"]["user"].IsNull());
        EXPECT_EQ(m["offset"].GetUint64(), 1u);
        EXPECT_EQ(m["epoch"].GetString(), epoch);
        EXPECT_EQ(m["ts"].GetInt64(), now);
        EXPECT_STREQ(m["mid"].GetString(), "m-1");
    }
    EXPECT_TRUE(framesTo(out, a, "message").empty());  // echo defaults to false
}

TEST_F(HubTest, PublishWithEchoReachesTheSenderToo) {
    ConnId a = client(), b = client();
    join(a, "general");
    join(b, "general");
    Outbox out;
    publish(a, "general", 1, R"("echo":true)", &out);
    EXPECT_EQ(framesTo(out, a, "message").size(), 1u);
    EXPECT_EQ(framesTo(out, b, "message").size(), 1u);
}

// docs/protocol.md: "with echo: true the sender's own copy follows the reply"
TEST_F(HubTest, PublishReplyComesBeforeTheEcho) {
    ConnId a = client();
    join(a, "general");
    Outbox out;
    publish(a, "general", 1, R"("echo":true)", &out);
    auto frames = framesTo(out, a);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_STREQ(frames[0]["op"].GetString(), "reply");
    EXPECT_STREQ(frames[1]["op"].GetString(), "message");
    EXPECT_EQ(frames[1]["offset"].GetUint64(), frames[0]["data"]["offset"].GetUint64());
}

// DESIGN.md: "a room broadcast serializes the message once and sends the same prepared frame"
TEST_F(HubTest, BroadcastSendsOneSharedFrameToEveryRecipient) {
    std::vector<ConnId> members;
    for (int i = 0; i < 4; ++i) members.push_back(client());
    for (ConnId m : members) join(m, "general");
    Outbox out;
    publish(members[0], "general", 1, R"("echo":true)", &out);
    std::set<const std::string*> frames;
    std::set<ConnId> recipients;
    std::size_t sends = 0;
    for (const auto& a : out) {
        if (a.kind != Action::Kind::Send || a.frame->find("\"op\":\"message\"") == std::string::npos) continue;
        ++sends;
        frames.insert(a.frame.get());
        a.forEachReceiver([&](ConnId conn) { recipients.insert(conn); });
    }
    EXPECT_EQ(recipients.size(), 4u);
    EXPECT_EQ(frames.size(), 1u);
    EXPECT_EQ(sends, 1u) << "one action for the whole room, its receivers listed in it";
}

TEST_F(HubTest, OffsetsRiseByOneInPublishOrder) {
    ConnId a = client(), b = client();
    join(a, "general");
    join(b, "general");
    std::vector<std::uint64_t> replied;
    for (int i = 1; i <= 3; ++i) replied.push_back(publish(a, "general", i)["data"]["offset"].GetUint64());
    EXPECT_EQ(replied, (std::vector<std::uint64_t>{1, 2, 3}));
    auto received = framesTo(log, b, "message");
    EXPECT_EQ(offsetsOf(received), (std::vector<std::uint64_t>{1, 2, 3}));
    for (std::size_t i = 0; i < received.size(); ++i)
        EXPECT_EQ(received[i]["data"]["n"].GetInt(), static_cast<int>(i + 1));
}

TEST_F(HubTest, OffsetsAreCountedPerRoom) {
    ConnId a = client();
    join(a, "r1");
    join(a, "r2");
    publish(a, "r1", 1);
    publish(a, "r1", 2);
    EXPECT_EQ(publish(a, "r2", 3)["data"]["offset"].GetUint64(), 1u);
}

// "The sender must have joined the room (else forbidden)."
TEST_F(HubTest, PublishWithoutMembershipIsForbidden) {
    ConnId a = client(), b = client();
    join(b, "general");
    Outbox out;
    Document r = publish(a, "general", 1, "", &out);
    EXPECT_EQ(errorCode(r), "forbidden");
    EXPECT_TRUE(framesTo(out, b).empty());
    EXPECT_TRUE(closesFor(out, a).empty());
}

// "Room ids starting with $ belong to the server: clients can never publish there directly."
TEST_F(HubTest, PublishToServerRoomIsForbiddenEvenForMembers) {
    ConnId a = client();
    join(a, "$session:abc");
    EXPECT_EQ(errorCode(publish(a, "$session:abc", 1)), "forbidden");
    EXPECT_EQ(errorCode(publish(a, "$other", 1)), "forbidden");
}

// "A client may join (never publish to) the server room $session:<id>"
TEST_F(HubTest, OnlySessionServerRoomsMayBeJoined) {
    ConnId a = client();
    EXPECT_EQ(errorCode(request(a, "join", R"("room":"$foo")")), "forbidden");
    Document d = join(a, "$session:abc");
    EXPECT_STREQ(d["room"].GetString(), "$session:abc");
}

TEST_F(HubTest, InvalidRoomIdIsBadRequest) {
    ConnId a = client();
    EXPECT_EQ(errorCode(request(a, "join", R"("room":"has space")")), "bad_request");
    EXPECT_EQ(errorCode(request(a, "join", R"("room":"")")), "bad_request");
    EXPECT_EQ(errorCode(request(a, "join", "\"room\":\"" + std::string(129, 'x') + "\"")), "bad_request");
    join(a, std::string(128, 'x'));
}

// ---- mid dedupe (section 5) ---------------------------------------------------

TEST_F(HubTest, RepeatedMidIsNotPublishedAgain) {
    ConnId a = client(), b = client();
    join(a, "general");
    join(b, "general");
    publish(a, "general", 1, R"("mid":"m-1")");
    publish(a, "general", 2);
    Outbox out;
    Document r = publish(a, "general", 1, R"("mid":"m-1")", &out);
    ASSERT_TRUE(isOk(r));
    EXPECT_TRUE(r["data"]["duplicate"].GetBool());
    EXPECT_EQ(r["data"]["offset"].GetUint64(), 1u);
    EXPECT_TRUE(framesTo(out, b).empty());
    EXPECT_EQ(framesTo(log, b, "message").size(), 2u);
}

// "The mid dedupe window covers all of a user's publishes and events, whatever the room."
TEST_F(HubTest, SameMidInAnotherRoomIsADuplicate) {
    ConnId a = client(), b = client();
    join(a, "r1");
    join(a, "r2");
    join(b, "r2");
    publish(a, "r1", 1, R"("mid":"m-1")");
    Outbox out;
    Document r = publish(a, "r2", 1, R"("mid":"m-1")", &out);
    EXPECT_TRUE(r["data"]["duplicate"].GetBool());
    EXPECT_STREQ(r["data"]["room"].GetString(), "r1");
    EXPECT_EQ(r["data"]["offset"].GetUint64(), 1u);
    EXPECT_TRUE(framesTo(out, b).empty());
}

TEST_F(HubTest, MidsOfDifferentAnonymousConnectionsDoNotCollide) {
    ConnId a = client(), b = client();
    join(a, "general");
    join(b, "general");
    publish(a, "general", 1, R"("mid":"m-1")");
    Document r = publish(b, "general", 1, R"("mid":"m-1")");
    EXPECT_FALSE(r["data"]["duplicate"].GetBool());
    EXPECT_EQ(r["data"]["offset"].GetUint64(), 2u);
}

// "the server remembers mids ... for at least 10 minutes"
TEST_F(HubTest, MidIsRememberedForTenMinutesThenForgotten) {
    settings.heartbeatMs = 24 * 3600 * 1000;  // keep the silent test peer open
    ConnId a = client();
    join(a, "general");
    publish(a, "general", 1, R"("mid":"m-1")");
    advance(10 * 60 * 1000 - 1);
    EXPECT_TRUE(publish(a, "general", 1, R"("mid":"m-1")")["data"]["duplicate"].GetBool());
    advance(2);
    Document r = publish(a, "general", 1, R"("mid":"m-1")");
    EXPECT_FALSE(r["data"]["duplicate"].GetBool());
    EXPECT_EQ(r["data"]["offset"].GetUint64(), 2u);
}

// docs/protocol.md (extension): an anonymous client resuming with its earlier
// connection's secret resumeToken keeps that connection's mids.
TEST_F(HubTest, AnonymousResumeWithTokenDedupesEarlierMids) {
    ConnId a = connect(), watcher = client();
    Document welcome = hello(a);
    ASSERT_TRUE(welcome["data"]["resumeToken"].IsString()) << str(welcome);
    std::string token = welcome["data"]["resumeToken"].GetString();
    join(a, "general");
    join(watcher, "general");
    publish(a, "general", 1, R"("mid":"m-1")");
    close(a);
    ConnId again = connect();
    Document r2 = hello(again, R"("resume":{"token":")" + token + R"("})");
    ASSERT_TRUE(isOk(r2)) << str(r2);
    EXPECT_NE(r2["data"]["resumeToken"].GetString(), token);  // a new token every connection
    join(again, "general");
    Outbox out;
    Document r = publish(again, "general", 1, R"("mid":"m-1")", &out);
    EXPECT_TRUE(r["data"]["duplicate"].GetBool());
    EXPECT_EQ(r["data"]["offset"].GetUint64(), 1u);
    EXPECT_TRUE(framesTo(out, watcher, "message").empty());
}

// Sids are public (member lists show them), so a sid alone must not grant another's mids.
TEST_F(HubTest, ResumeWithSidAloneDoesNotShareMids) {
    ConnId a = client(), b = client();
    join(a, "general");
    join(b, "general");
    publish(a, "general", 1, R"("mid":"m-1")");
    ConnId thief = connect();
    ASSERT_TRUE(isOk(hello(thief, R"("resume":{"sid":")" + sids[a] + R"("})")));
    join(thief, "general");
    Outbox out;
    Document r = publish(thief, "general", 1, R"("mid":"m-1")", &out);
    EXPECT_FALSE(r["data"]["duplicate"].GetBool());
    EXPECT_EQ(framesTo(out, b, "message").size(), 1u);
}

TEST_F(HubTest, UnknownResumeTokenIsIgnored) {
    ConnId a = client();
    join(a, "general");
    publish(a, "general", 1, R"("mid":"m-1")");
    ConnId b = connect();
    ASSERT_TRUE(isOk(hello(b, R"("resume":{"token":"0123456789abcdef0123456789abcdef"})")));
    join(b, "general");
    EXPECT_FALSE(publish(b, "general", 1, R"("mid":"m-1")")["data"]["duplicate"].GetBool());
}

// "A token is honoured while its connection lives and for MID_TTL_MS after it closes."
TEST_F(HubTest, ResumeTokenIsHonouredForAMidWindowAfterTheClose) {
    settings.midTtlMs = 60000;
    settings.heartbeatMs = 3600000;
    ConnId a = connect();
    std::string tokenA = hello(a)["data"]["resumeToken"].GetString();
    close(a);  // tokenA is good until +60 s
    advance(30000);
    ConnId b = connect();
    std::string tokenB = hello(b, R"("resume":{"token":")" + tokenA + R"("})")["data"]["resumeToken"].GetString();
    join(b, "general");
    publish(b, "general", 1, R"("mid":"m-2")");  // in a's namespace, remembered until +90 s
    close(b);                                     // tokenB is good until +90 s
    now += 30001;                                 // no tick: hello itself must see tokenA expired
    ConnId c = connect();
    hello(c, R"("resume":{"token":")" + tokenA + R"("})");
    join(c, "general");
    EXPECT_FALSE(publish(c, "general", 1, R"("mid":"m-2")")["data"]["duplicate"].GetBool()) << "tokenA expired";
    ConnId d = connect();
    hello(d, R"("resume":{"token":")" + tokenB + R"("})");
    join(d, "general");
    EXPECT_TRUE(publish(d, "general", 1, R"("mid":"m-2")")["data"]["duplicate"].GetBool()) << "tokenB still good";
}

// "remembers mids per user"
TEST_F(HubTest, AuthenticatedUserSharesMidsAcrossConnections) {
    settings.apiKeys = {ApiKey{"web", "k1"}};
    ConnId a = connect(), b = connect();
    hello(a, R"("apiKey":"k1")");
    hello(b, R"("apiKey":"k1")");
    join(a, "general");
    join(b, "general");
    publish(a, "general", 1, R"("mid":"m-1")");
    EXPECT_TRUE(publish(b, "general", 1, R"("mid":"m-1")")["data"]["duplicate"].GetBool());
}

// ---- history and members (section 5) -------------------------------------------

class HistoryTest : public HubTest {
protected:
    ConnId a = 0;
    std::string epoch;
    void fill(int n) {
        a = client();
        epoch = join(a, "general")["epoch"].GetString();
        for (int i = 1; i <= n; ++i) publish(a, "general", i);
    }
    std::string since(std::uint64_t offset) const {
        return R"("since":{"epoch":")" + epoch + R"(","offset":)" + std::to_string(offset) + "}";
    }
};

TEST_F(HistoryTest, WithoutSinceReturnsTheNewestOldestFirst) {
    fill(5);
    Document d = parse(ok(a, "history", R"("room":"general","limit":2)"));
    EXPECT_STREQ(d["room"].GetString(), "general");
    EXPECT_EQ(d["epoch"].GetString(), epoch);
    EXPECT_EQ(d["offset"].GetUint64(), 5u);
    ASSERT_EQ(d["messages"].Size(), 2u);
    EXPECT_EQ(d["messages"][0]["offset"].GetUint64(), 4u);
    EXPECT_EQ(d["messages"][1]["offset"].GetUint64(), 5u);
    EXPECT_STREQ(d["messages"][0]["op"].GetString(), "message");
    EXPECT_TRUE(d["complete"].GetBool());
}

TEST_F(HistoryTest, WithSinceReturnsTheFirstLimitAfterIt) {
    fill(5);
    Document d = parse(ok(a, "history", R"("room":"general","limit":2,)" + since(1)));
    ASSERT_EQ(d["messages"].Size(), 2u);
    EXPECT_EQ(d["messages"][0]["offset"].GetUint64(), 2u);
    EXPECT_EQ(d["messages"][1]["offset"].GetUint64(), 3u);
    EXPECT_FALSE(d["complete"].GetBool());  // 4 and 5 follow
    Document rest = parse(ok(a, "history", R"("room":"general","limit":10,)" + since(3)));
    ASSERT_EQ(rest["messages"].Size(), 2u);
    EXPECT_EQ(rest["messages"][0]["offset"].GetUint64(), 4u);
    EXPECT_TRUE(rest["complete"].GetBool());
}

TEST_F(HistoryTest, SinceTheLatestIsEmptyAndComplete) {
    fill(3);
    Document d = parse(ok(a, "history", R"("room":"general",)" + since(3)));
    EXPECT_EQ(d["messages"].Size(), 0u);
    EXPECT_TRUE(d["complete"].GetBool());
}

TEST_F(HistoryTest, OtherEpochIsConflict) {
    fill(2);
    Document r = request(a, "history", R"("room":"general","since":{"epoch":"other","offset":1})");
    EXPECT_EQ(errorCode(r), "conflict");
}

// "Requires membership"
TEST_F(HistoryTest, NonMemberIsForbidden) {
    fill(2);
    ConnId b = client();
    EXPECT_EQ(errorCode(request(b, "history", R"("room":"general")")), "forbidden");
}

TEST_F(HistoryTest, MessagesAreTheFramesMembersReceived) {
    fill(0);
    ConnId b = client();
    join(b, "general");
    publish(a, "general", 1);
    publish(a, "general", 2);
    auto live = textsTo(log, b);
    Document d = parse(ok(a, "history", R"("room":"general")"));
    ASSERT_EQ(d["messages"].Size(), 2u);
    EXPECT_EQ(str(d["messages"][0]), live[live.size() - 2]);
    EXPECT_EQ(str(d["messages"][1]), live[live.size() - 1]);
}

TEST_F(HubTest, MembersListsEveryMember) {
    ConnId a = client(), b = client();
    join(a, "general", R"("info":{"n":1})");
    join(b, "general");
    Document d = parse(ok(a, "members", R"("room":"general")"));
    EXPECT_STREQ(d["room"].GetString(), "general");
    EXPECT_EQ(d["memberCount"].GetUint64(), 2u);
    std::set<std::string> listed;
    for (const auto& m : d["members"].GetArray()) listed.insert(m["sid"].GetString());
    EXPECT_EQ(listed, (std::set<std::string>{sids[a], sids[b]}));
}

TEST_F(HubTest, MembersRequiresMembership) {
    ConnId a = client(), b = client();
    join(a, "general");
    EXPECT_EQ(errorCode(request(b, "members", R"("room":"general")")), "forbidden");
}

// ---- other ops and error shapes (sections 2, 6, 7) --------------------------------

// "with no webhook it is not_found"
TEST_F(HubTest, SendWithoutWebhookIsNotFound) {
    ConnId a = client();
    EXPECT_EQ(errorCode(request(a, "send", R"("event":"start-thing","data":{})")), "not_found");
}

// Section 7: "id, type, timestamp, sessionId and payload are required"
TEST_F(HubTest, ArgsMessageMissingRequiredFieldsIsBadRequest) {
    ConnId a = client();
    Outbox out;
    EXPECT_EQ(errorCode(request(a, "args", R"("msg":{"id":"x"})", &out)), "bad_request");
    EXPECT_TRUE(closesFor(out, a).empty());
}

TEST_F(HubTest, UnknownOpIsAnsweredAndKeepsTheConnection) {
    ConnId a = client();
    Outbox out;
    Document r = request(a, "dance", "", &out);
    EXPECT_EQ(errorCode(r), "unknown_op");
    EXPECT_TRUE(closesFor(out, a).empty());
}

// "A frame without ref gets ... {"op":"error","error":{...},"op_of":"publish"}"
TEST_F(HubTest, FailureWithoutRefIsAnErrorFrameNamingTheOp) {
    ConnId a = client();
    Outbox out = send(a, R"({"op":"publish","room":"general","event":"e","data":1})");
    auto frames = framesTo(out, a);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_STREQ(frames[0]["op"].GetString(), "error");
    EXPECT_EQ(errorCode(frames[0]), "forbidden");
    EXPECT_TRUE(frames[0]["error"]["message"].IsString());
    EXPECT_TRUE(frames[0]["error"]["details"].IsObject());
    EXPECT_STREQ(frames[0]["op_of"].GetString(), "publish");
    EXPECT_FALSE(frames[0].HasMember("ref"));
}

TEST_F(HubTest, FailureWithRefIsAFailedReply) {
    ConnId a = client();
    Document r = publish(a, "general", 1);
    EXPECT_STREQ(r["op"].GetString(), "reply");
    EXPECT_FALSE(r["ok"].GetBool());
    EXPECT_FALSE(r.HasMember("data"));
    EXPECT_EQ(errorCode(r), "forbidden");
    EXPECT_TRUE(r["error"]["message"].IsString());
}

TEST_F(HubTest, SuccessWithoutRefIsSilent) {
    ConnId a = client();
    Outbox out = send(a, R"({"op":"join","room":"general"})");
    EXPECT_TRUE(framesTo(out, a).empty());
    EXPECT_EQ(publish(a, "general", 1)["data"]["offset"].GetUint64(), 1u);  // the join happened
}

TEST_F(HubTest, MalformedFrameAfterHelloIsBadRequestNotAClose) {
    ConnId a = client();
    for (const char* text : {"not json", "[1,2]", R"({"op":5})", R"({"op":"join","ref":9,"room":7})"}) {
        Outbox out = send(a, text);
        auto frames = framesTo(out, a);
        ASSERT_EQ(frames.size(), 1u) << text;
        EXPECT_EQ(errorCode(frames[0]), "bad_request") << text;
        EXPECT_TRUE(closesFor(out, a).empty()) << text;
    }
}

// "Where detailed errors are off ... message stays generic"
TEST_F(HubTest, WithoutDetailedErrorsTheMessageIsGenericAndTheCodeKept) {
    settings.detailedErrors = false;
    ConnId a = client();
    Document r = publish(a, "secret-room", 1);
    EXPECT_EQ(errorCode(r), "forbidden");
    EXPECT_STREQ(r["error"]["message"].GetString(), "forbidden");
    Outbox out = send(a, "{bad json");
    auto frames = framesTo(out, a);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(errorCode(frames[0]), "bad_request");
    EXPECT_STREQ(frames[0]["error"]["message"].GetString(), "bad request");
}

// docs/protocol.md: details keep "only what a client acts on (field, offset, retryAfterMs, epoch)"
TEST_F(HubTest, WithoutDetailedErrorsActionableDetailsStay) {
    settings.detailedErrors = false;
    settings.rateLimitRpm = 12;  // a bucket of two frames
    ConnId a = client();
    std::string epoch = join(a, "general")["epoch"].GetString();
    Document limited = request(a, "members", R"("room":"general")");
    EXPECT_EQ(errorCode(limited), "rate_limited");
    EXPECT_STREQ(limited["error"]["message"].GetString(), "rate limited");
    EXPECT_TRUE(limited["error"]["details"]["retryAfterMs"].IsInt64()) << str(limited);
    now += 60000;
    Document conflict = request(a, "history", R"("room":"general","since":{"epoch":"old","offset":0})");
    EXPECT_EQ(errorCode(conflict), "conflict");
    EXPECT_STREQ(conflict["error"]["message"].GetString(), "conflict");
    ASSERT_TRUE(conflict["error"]["details"]["epoch"].IsString()) << str(conflict);
    EXPECT_EQ(conflict["error"]["details"]["epoch"].GetString(), epoch);
}

TEST_F(HubTest, WithDetailedErrorsTheMessageExplains) {
    ConnId a = client();
    Document r = publish(a, "general", 1);
    EXPECT_STRNE(r["error"]["message"].GetString(), "forbidden");
}

// ---- authentication (section 4) ----------------------------------------------------

TEST_F(HubTest, ValidApiKeyInHelloNamesTheUser) {
    settings.apiKeys = {ApiKey{"web", "k1"}, ApiKey{"ops", "k2"}};
    ConnId c = connect();
    Document r = hello(c, R"("apiKey":"k2")");
    ASSERT_TRUE(isOk(r)) << str(r);
    EXPECT_EQ(str(r["data"]["user"]), R"({"id":"key:ops"})");
    Document d = join(c, "general");
    EXPECT_STREQ(d["members"][0]["user"].GetString(), "key:ops");
}

TEST_F(HubTest, AuthenticatedSenderIsNamedInMessages) {
    settings.apiKeys = {ApiKey{"web", "k1"}};
    ConnId a = connect(), b = client();
    hello(a, R"("apiKey":"k1")");
    join(a, "general");
    join(b, "general");
    Outbox out;
    publish(a, "general", 1, "", &out);
    auto messages = framesTo(out, b, "message");
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_STREQ(messages[0]["from"]["user"].GetString(), "key:web");
}

TEST_F(HubTest, InvalidApiKeyInHelloIsUnauthorizedAndClosed4001) {
    settings.apiKeys = {ApiKey{"web", "k1"}};
    ConnId c = connect();
    std::size_t before = log.size();
    Document r = hello(c, R"("apiKey":"wrong")");
    EXPECT_EQ(errorCode(r), "unauthorized");
    Outbox after(log.begin() + static_cast<std::ptrdiff_t>(before), log.end());
    EXPECT_EQ(closesFor(after, c), std::vector<std::uint16_t>{4001});
}

TEST_F(HubTest, InvalidTokenInHelloIsClosed4001) {
    settings.apiKeys = {ApiKey{"web", "k1"}};
    ConnId c = connect();
    Document r = hello(c, R"("token":"not-a-key")");
    EXPECT_EQ(errorCode(r), "unauthorized");
    EXPECT_EQ(closesFor(log, c), std::vector<std::uint16_t>{4001});
}

// Where credentials are optional (development), bad ones are still bad:
// a wrong key in the hello is refused even after a good key at upgrade,
// and never downgraded to an anonymous connection.
TEST_F(HubTest, BadHelloCredentialsAreRefusedWhereAuthIsOptional) {
    settings.authRequired = false;
    settings.apiKeys = {ApiKey{"web", "k1"}};
    UpgradeRequest up;
    up.apiKey = "k1";
    ConnId c = connect(up);
    Document r = hello(c, R"("apiKey":"k2")");
    EXPECT_EQ(errorCode(r), "unauthorized");
    EXPECT_EQ(closesFor(log, c), std::vector<std::uint16_t>{4001});
    ConnId d = connect();
    EXPECT_EQ(errorCode(hello(d, R"("token":"a.b.c")")), "unauthorized");
    EXPECT_EQ(closesFor(log, d), std::vector<std::uint16_t>{4001});
    ConnId e = connect();
    EXPECT_TRUE(isOk(hello(e))) << "no credentials at all stay welcome where they are optional";
}

// "Where auth is required and the hello carries no valid credentials ... closes with 4001."
TEST_F(HubTest, AuthRequiredWithoutCredentialsIsClosed4001) {
    settings.authRequired = true;
    settings.apiKeys = {ApiKey{"web", "k1"}};
    ConnId c = connect();
    Document r = hello(c);
    EXPECT_EQ(errorCode(r), "unauthorized");
    EXPECT_EQ(closesFor(log, c), std::vector<std::uint16_t>{4001});
    ConnId d = connect();
    EXPECT_TRUE(isOk(hello(d, R"("apiKey":"k1")")));
}

TEST_F(HubTest, UpgradeApiKeyIsUsedAtHello) {
    settings.authRequired = true;
    settings.apiKeys = {ApiKey{"web", "k1"}};
    UpgradeRequest up;
    up.apiKey = "k1";
    Document r = hello(connect(up));
    ASSERT_TRUE(isOk(r)) << str(r);
    EXPECT_EQ(str(r["data"]["user"]), R"({"id":"key:web"})");
}

TEST_F(HubTest, UpgradeBearerIsUsedAtHello) {
    settings.authRequired = true;
    settings.apiKeys = {ApiKey{"web", "k1"}};
    UpgradeRequest up;
    up.bearer = "k1";
    Document r = hello(connect(up));
    ASSERT_TRUE(isOk(r)) << str(r);
    EXPECT_EQ(str(r["data"]["user"]), R"({"id":"key:web"})");
}

TEST_F(HubTest, UnnamedKeysAreNamedByPosition) {
    settings.apiKeys = {ApiKey{"1", "a"}, ApiKey{"2", "b"}};
    Document r = hello(connect(), R"("apiKey":"b")");
    EXPECT_EQ(str(r["data"]["user"]), R"({"id":"key:2"})");
}

// Section 8: disconnect {"user"} or {"sid"}: close with 4003.
TEST_F(HubTest, DisconnectByUserClosesEveryConnectionOfThatUser) {
    settings.apiKeys = {ApiKey{"web", "k1"}, ApiKey{"ops", "k2"}};
    ConnId a = connect(), b = connect(), other = connect();
    hello(a, R"("apiKey":"k1")");
    hello(b, R"("apiKey":"k1")");
    hello(other, R"("apiKey":"k2")");
    Outbox out;
    EXPECT_EQ(hub().disconnect(std::string("key:web"), std::nullopt, out), 2u);
    EXPECT_EQ(closesFor(out, a), std::vector<std::uint16_t>{4003});
    EXPECT_EQ(closesFor(out, b), std::vector<std::uint16_t>{4003});
    EXPECT_TRUE(closesFor(out, other).empty());
}

TEST_F(HubTest, DisconnectBySidClosesThatConnection) {
    ConnId a = client(), b = client();
    Outbox out;
    EXPECT_EQ(hub().disconnect(std::nullopt, sids[b], out), 1u);
    EXPECT_EQ(closesFor(out, b), std::vector<std::uint16_t>{4003});
    EXPECT_TRUE(closesFor(out, a).empty());
    Outbox none;
    EXPECT_EQ(hub().disconnect(std::nullopt, std::string("c-nobody"), none), 0u);
    EXPECT_TRUE(none.empty());
}

}  // namespace
}  // namespace hubtest
