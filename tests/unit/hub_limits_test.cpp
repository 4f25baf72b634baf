// Limits, liveness, admission, rate limiting, draining and counters
// (PROTOCOL.md sections 1-4; DESIGN.md: "every limit ... is enforced and tested").
#include "hub_test_support.hpp"

#include <gtest/gtest.h>

namespace hubtest {
namespace {

using brolostack::config::ApiKey;
using Codes = std::vector<std::uint16_t>;

// ---- protocol errors (section 2) ---------------------------------------------

// "More than 20 of those two codes from one connection within 60 s closes it with 4000."
TEST_F(HubTest, MoreThanTwentyBadFramesWithinAMinuteCloseWith4000) {
    ConnId c = client();
    for (int i = 1; i <= 20; ++i) {
        now += 100;
        Outbox out = send(c, i % 2 ? "garbage" : R"({"op":"dance"})");
        ASSERT_TRUE(closesFor(out, c).empty()) << "closed at bad frame " << i;
        ASSERT_EQ(framesTo(out, c, "error").size(), 1u);
    }
    Outbox out = send(c, "garbage");
    EXPECT_EQ(closesFor(out, c), Codes{4000});
}

TEST_F(HubTest, BadFramesSpreadOverMoreThanAMinuteDoNotClose) {
    ConnId c = client();
    for (int i = 0; i < 45; ++i) {
        now += 3100;  // at most 20 in any 60 s
        Outbox out = send(c, "garbage");
        ASSERT_TRUE(closesFor(out, c).empty()) << "closed at bad frame " << i;
    }
}

TEST_F(HubTest, OtherErrorCodesDoNotCountAsProtocolErrors) {
    ConnId c = client();
    for (int i = 0; i < 30; ++i) {
        Outbox out;
        EXPECT_EQ(errorCode(publish(c, "not-joined", i, "", &out)), "forbidden");
        ASSERT_TRUE(closesFor(out, c).empty()) << i;
    }
}

// ---- rooms per connection ------------------------------------------------------

TEST_F(HubTest, JoiningMoreThanMaxRoomsIsLimitExceeded) {
    settings.maxRoomsPerConnection = 2;
    ConnId c = client();
    join(c, "a");
    join(c, "b");
    EXPECT_EQ(errorCode(request(c, "join", R"("room":"c")")), "limit_exceeded");
    join(c, "a");  // re-joining a joined room is not a new room
    ok(c, "leave", R"("room":"a")");
    join(c, "c");
}

// ---- admission (section 1) -------------------------------------------------------

TEST_F(HubTest, ConnectionLimitRefusesWith503AndRetryAfter) {
    settings.maxConnections = 2;
    ConnId a = connect();
    connect();
    auto refused = hub().admit({}, now);
    EXPECT_EQ(refused.status, 503);
    EXPECT_GT(refused.retryAfterSeconds, 0);
    close(a);
    EXPECT_TRUE(hub().admit({}, now).admitted());
}

TEST_F(HubTest, PendingAdmissionsHoldASlotUntilAbandoned) {
    settings.maxConnections = 2;
    ASSERT_TRUE(hub().admit({}, now).admitted());
    ASSERT_TRUE(hub().admit({}, now).admitted());
    EXPECT_EQ(hub().admit({}, now).status, 503);
    hub().abandon();
    EXPECT_TRUE(hub().admit({}, now).admitted());
    EXPECT_EQ(hub().stats(now).rejectedConnections, 1u);
}

TEST_F(HubTest, OriginOutsideTheAllowedListIsRefusedWith403) {
    settings.anyOrigin = false;
    settings.allowedOrigins = {"https://app.example"};
    UpgradeRequest evil;
    evil.origin = "https://evil.example";
    EXPECT_EQ(hub().admit(evil, now).status, 403);
    UpgradeRequest good;
    good.origin = "https://app.example";
    EXPECT_TRUE(hub().admit(good, now).admitted());
    // "no Origin header = non-browser client, allowed"
    EXPECT_TRUE(hub().admit({}, now).admitted());
}

// MAX_ROOMS bounds the rooms the server holds, however they would be made:
// joins, publishes from the HTTP API, multi-room broadcasts (all or nothing).
TEST_F(HubTest, NoRoomIsCreatedPastMaxRooms) {
    settings.maxRooms = 3;
    ConnId c = client();
    join(c, "a");
    join(c, "b");
    Outbox out;
    ASSERT_TRUE(std::holds_alternative<brolostack::server::Published>(hub().publish("c", "e", "1", now, out)));
    EXPECT_EQ(errorCode(request(c, "join", R"("room":"d")")), "limit_exceeded");
    auto viaApi = hub().publish("e", "e", "1", now, out);
    ASSERT_TRUE(std::holds_alternative<brolostack::protocol::Error>(viaApi));
    EXPECT_EQ(brolostack::protocol::errorCodeName(std::get<brolostack::protocol::Error>(viaApi).code), "limit_exceeded");
    EXPECT_FALSE(hub().checkRoomCapacity({"a", "b", "c"}).has_value()) << "rooms that exist are always fine";
    EXPECT_TRUE(hub().checkRoomCapacity({"a", "new"}).has_value());
    join(client(), "a");  // joining an existing room still works
    join(client(), "$session:s1");  // sessions' rooms are bounded by MAX_SESSIONS instead
    EXPECT_EQ(hub().stats(now).rooms, 4u);
}

// Near misses: an allow-list compared by prefix, suffix, case-folding or
// without its scheme and port would let each of these in.
TEST_F(HubTest, OriginsThatNearlyMatchTheAllowedOneAreRefused) {
    settings.anyOrigin = false;
    settings.allowedOrigins = {"https://app.example.com"};
    for (const char* origin : {"https://app.example.com.evil.net", "https://app.example.co", "https://evilapp.example.com",
                               "https://xapp.example.com", "http://app.example.com", "https://app.example.com:8443",
                               "https://APP.EXAMPLE.COM", "https://app.example.com/", "https://app.example.com.",
                               " https://app.example.com", "https://app.example.com\t", "null", ""}) {
        UpgradeRequest r;
        r.origin = origin;
        EXPECT_EQ(hub().admit(r, now).status, 403) << "admitted origin '" << origin << "'";
    }
    UpgradeRequest exact;
    exact.origin = "https://app.example.com";
    EXPECT_TRUE(hub().admit(exact, now).admitted());
}

// Section 4: "With ALLOWED_ORIGINS unset ... requests that carry an Origin header are refused with 403"
TEST_F(HubTest, NoAllowedOriginsRefusesBrowsersButNotOtherClients) {
    settings.anyOrigin = false;
    UpgradeRequest browser;
    browser.origin = "https://app.example";
    EXPECT_EQ(hub().admit(browser, now).status, 403);
    EXPECT_TRUE(hub().admit({}, now).admitted());
}

TEST_F(HubTest, AnyOriginAllowsEveryOrigin) {
    UpgradeRequest r;
    r.origin = "https://whatever.example";
    EXPECT_TRUE(hub().admit(r, now).admitted());
}

// "checks, in order: the Origin header ..., the connection limit ..., and credentials"
TEST_F(HubTest, OriginIsCheckedBeforeTheConnectionLimit) {
    settings.anyOrigin = false;
    settings.maxConnections = 1;
    connect();
    UpgradeRequest evil;
    evil.origin = "https://evil.example";
    EXPECT_EQ(hub().admit(evil, now).status, 403);
    EXPECT_EQ(hub().admit({}, now).status, 503);
}

TEST_F(HubTest, ConnectionLimitIsCheckedBeforeCredentials) {
    settings.maxConnections = 1;
    settings.apiKeys = {ApiKey{"web", "k1"}};
    connect();
    UpgradeRequest bad;
    bad.apiKey = "wrong";
    EXPECT_EQ(hub().admit(bad, now).status, 503);
}

TEST_F(HubTest, InvalidUpgradeCredentialsAreRefusedWith401) {
    settings.apiKeys = {ApiKey{"web", "k1"}};
    UpgradeRequest badKey;
    badKey.apiKey = "wrong";
    EXPECT_EQ(hub().admit(badKey, now).status, 401);
    UpgradeRequest badBearer;
    badBearer.bearer = "wrong";
    EXPECT_EQ(hub().admit(badBearer, now).status, 401);
    UpgradeRequest good;
    good.bearer = "k1";
    EXPECT_TRUE(hub().admit(good, now).admitted());
}

// Section 4: "New connections per IP ... over the limit get HTTP 429 with Retry-After,
// checked after the origin and before the connection limit."
TEST_F(HubTest, NewConnectionsPerIpOverTheLimitGet429) {
    settings.connectionRatePerIp = 2;
    UpgradeRequest from;
    from.remoteAddress = "10.0.0.1";
    ASSERT_TRUE(hub().admit(from, now).admitted());
    ASSERT_TRUE(hub().admit(from, now).admitted());
    auto refused = hub().admit(from, now);
    EXPECT_EQ(refused.status, 429);
    EXPECT_GT(refused.retryAfterSeconds, 0);
    EXPECT_LE(refused.retryAfterSeconds, 60);
    UpgradeRequest other;
    other.remoteAddress = "10.0.0.2";
    EXPECT_TRUE(hub().admit(other, now).admitted());
    now += 60000;
    EXPECT_TRUE(hub().admit(from, now).admitted());
}

TEST_F(HubTest, PerIpLimitComesAfterOriginAndBeforeTheConnectionLimit) {
    settings.connectionRatePerIp = 1;
    settings.maxConnections = 1;
    settings.anyOrigin = false;
    settings.allowedOrigins = {"https://app.example"};
    UpgradeRequest first;
    first.remoteAddress = "10.0.0.1";
    ASSERT_TRUE(hub().admit(first, now).admitted());
    UpgradeRequest evil = first;
    evil.origin = "https://evil.example";
    EXPECT_EQ(hub().admit(evil, now).status, 403);
    EXPECT_EQ(hub().admit(first, now).status, 429);
    UpgradeRequest other;
    other.remoteAddress = "10.0.0.2";
    EXPECT_EQ(hub().admit(other, now).status, 503);
}

// ---- liveness (section 3) ------------------------------------------------------------

// "no hello within helloTimeoutMs" closes with 4008
TEST_F(HubTest, NoHelloInTimeClosesWith4008) {
    settings.helloTimeoutMs = 10000;
    ConnId c = connect();
    EXPECT_TRUE(closesFor(advance(9999), c).empty());
    EXPECT_EQ(closesFor(advance(1), c), Codes{4008});
}

TEST_F(HubTest, HelloInTimeIsNotClosed) {
    settings.helloTimeoutMs = 10000;
    ConnId c = connect();
    now += 9000;
    ASSERT_TRUE(hello(c)["ok"].GetBool());
    EXPECT_TRUE(closesFor(advance(5000), c).empty());
}

TEST_F(HubTest, PingActionEveryHeartbeat) {
    settings.heartbeatMs = 1000;
    ConnId c = client();
    EXPECT_EQ(pingsFor(advance(999), c), 0u);
    EXPECT_EQ(pingsFor(advance(1), c), 1u);
    hub().activity(c, now);
    EXPECT_EQ(pingsFor(advance(500), c), 0u);
    hub().activity(c, now);
    EXPECT_EQ(pingsFor(advance(500), c), 1u);
}

// "closes a connection that has sent nothing (pong included) for 2 x heartbeatMs"
TEST_F(HubTest, SilentPeerIsClosedWith4008AfterTwoHeartbeats) {
    settings.heartbeatMs = 1000;
    ConnId c = client();
    EXPECT_TRUE(closesFor(advance(1999), c).empty());
    EXPECT_EQ(closesFor(advance(1), c), Codes{4008});
}

TEST_F(HubTest, ActivityKeepsAPeerAlive) {
    settings.heartbeatMs = 1000;
    ConnId c = client();
    for (int i = 0; i < 10; ++i) {
        Outbox out = advance(1000);
        EXPECT_EQ(pingsFor(out, c), 1u);
        EXPECT_TRUE(closesFor(out, c).empty());
        hub().activity(c, now);  // the pong
    }
}

TEST_F(HubTest, DataFramesKeepAPeerAlive) {
    settings.heartbeatMs = 1000;
    ConnId c = client();
    for (int i = 0; i < 10; ++i) {
        EXPECT_TRUE(closesFor(advance(1500), c).empty());
        send(c, R"({"op":"ping"})");
    }
}

// ---- rate limiting (section 4) --------------------------------------------------------

// "a token bucket holding 10 seconds' worth of RATE_LIMIT_RPM"
TEST_F(HubTest, FramesOverTheBurstAreRateLimitedWithRetryAfter) {
    settings.rateLimitRpm = 60;  // bucket of 10 frames, one more per second
    ConnId c = client();           // the hello took one
    for (int i = 0; i < 9; ++i) ASSERT_EQ(errorCode(request(c, "members", R"("room":"x")")), "forbidden") << i;
    Document r = request(c, "members", R"("room":"x")");
    EXPECT_EQ(errorCode(r), "rate_limited");
    ASSERT_TRUE(r["error"]["details"]["retryAfterMs"].IsInt64());
    std::int64_t retryAfter = r["error"]["details"]["retryAfterMs"].GetInt64();
    EXPECT_GT(retryAfter, 0);
    EXPECT_LE(retryAfter, 1000);
    now += retryAfter;
    EXPECT_EQ(errorCode(request(c, "members", R"("room":"x")")), "forbidden");
}

TEST_F(HubTest, RateLimitedFrameWithoutRefIsAnErrorFrame) {
    settings.rateLimitRpm = 6;  // bucket of one frame: the hello
    ConnId c = client();
    Outbox out = send(c, R"({"op":"join","room":"general"})");
    auto errors = framesTo(out, c, "error");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errorCode(errors[0]), "rate_limited");
    EXPECT_STREQ(errors[0]["op_of"].GetString(), "join");
}

TEST_F(HubTest, AConnectionSendingPastItsByteRateIsReadFromMoreSlowly) {
    settings.inboundBytesPerSecond = 10000;
    settings.maxMessageBytes = 4096;  // the burst: one second's worth, at least one message
    ConnId c = client();
    ConnId other = client();
    std::string big = R"({"op":"ping","ts":1,"pad":")" + std::string(3000, 'x') + R"("})";
    auto pausesFor = [&](const Outbox& out, ConnId conn) {
        std::vector<std::int64_t> delays;
        for (const auto& a : out)
            if (a.kind == brolostack::server::Action::Kind::PauseReading && a.conn == conn) delays.push_back(a.delayMs);
        return delays;
    };
    for (int i = 0; i < 3; ++i) {
        Outbox out = send(c, big);
        ASSERT_EQ(framesTo(out, c, "pong").size(), 1u) << "every frame read is handled";
        ASSERT_TRUE(pausesFor(out, c).empty()) << i;
    }
    Outbox out = send(c, big);
    EXPECT_EQ(framesTo(out, c, "pong").size(), 1u);
    auto pauses = pausesFor(out, c);
    ASSERT_EQ(pauses.size(), 1u);
    EXPECT_GT(pauses[0], 0);
    EXPECT_LE(pauses[0], 400);  // about 2.3 kB of debt at 10 bytes a millisecond
    EXPECT_TRUE(pausesFor(send(other, big), other).empty()) << "the budget is per connection";
    EXPECT_EQ(hub().stats(now).inboundPauses, 1u);
}

// "Rate limits count every client frame except ping"
TEST_F(HubTest, PingsAreNotRateLimited) {
    settings.rateLimitRpm = 60;
    ConnId c = client();
    for (int i = 0; i < 100; ++i) ASSERT_EQ(framesTo(send(c, R"({"op":"ping","ts":1})"), c, "pong").size(), 1u) << i;
    for (int i = 0; i < 9; ++i) EXPECT_NE(errorCode(request(c, "members", R"("room":"x")")), "rate_limited") << i;
    EXPECT_EQ(errorCode(request(c, "members", R"("room":"x")")), "rate_limited");
    EXPECT_EQ(framesTo(send(c, R"({"op":"ping","ts":1})"), c, "pong").size(), 1u);
}

TEST_F(HubTest, RateLimitingIsPerConnection) {
    settings.rateLimitRpm = 60;
    ConnId a = client(), b = client();
    for (int i = 0; i < 20; ++i) request(a, "members", R"("room":"x")");
    EXPECT_EQ(errorCode(request(b, "members", R"("room":"x")")), "forbidden");
}

// "a connection that keeps sending while limited for 10 s is closed with 4029"
TEST_F(HubTest, ConnectionRefusedWithoutPauseForTenSecondsIsClosedWith4029) {
    settings.rateLimitRpm = 3;  // one token per 20 s: every frame after the hello is refused
    settings.heartbeatMs = 60000;
    ConnId c = client();
    std::int64_t firstRefusal = now + 100;
    Codes closes;
    while (closes.empty() && now < firstRefusal + 20000) {
        now += 100;
        closes = closesFor(send(c, R"({"op":"members","room":"x"})"), c);
        if (now < firstRefusal + 10000) {
            ASSERT_TRUE(closes.empty()) << "closed after " << now - firstRefusal << " ms";
        }
    }
    EXPECT_EQ(closes, Codes{4029});
    EXPECT_LE(now - firstRefusal, 10000);
}

// The same rule at a realistic rate: a flood at ten times the limit is
// "sending while limited" even though one frame a second still gets through.
TEST_F(HubTest, FloodAtTenTimesTheRateForTenSecondsIsClosedWith4029) {
    settings.rateLimitRpm = 60;  // one token a second
    settings.heartbeatMs = 60000;
    ConnId c = client();
    for (int i = 0; i < 9; ++i) request(c, "members", R"("room":"x")");  // burst used up
    std::int64_t limitedFrom = now;
    Codes closes;
    int refused = 0;
    while (closes.empty() && now < limitedFrom + 30000) {
        now += 100;  // ten frames a second
        Outbox out = send(c, R"({"op":"members","room":"x"})");
        closes = closesFor(out, c);
        for (const auto& f : framesTo(out, c, "error")) refused += errorCode(f) == "rate_limited";
    }
    EXPECT_GT(refused, 80);
    EXPECT_EQ(closes, Codes{4029}) << "still open after " << now - limitedFrom << " ms of flooding";
    EXPECT_LE(now - limitedFrom, 11000);
}

// Binary frames draw on the same bucket and meet the same end: a client
// flooding stream chunks is closed with 4029 like one flooding text.
TEST_F(HubTest, BinaryFloodPastTheRateLimitIsClosedWith4029) {
    settings.rateLimitRpm = 60;
    settings.heartbeatMs = 60000;
    ConnId c = client();
    std::string chunk("\0\0\0\2{}", 6);
    for (int i = 0; i < 9; ++i) sendBinary(c, chunk);  // burst used up
    std::int64_t limitedFrom = now;
    Codes closes;
    int refused = 0;
    while (closes.empty() && now < limitedFrom + 30000) {
        now += 100;
        Outbox out = sendBinary(c, chunk);
        closes = closesFor(out, c);
        for (const auto& f : framesTo(out, c, "error")) refused += errorCode(f) == "rate_limited";
    }
    EXPECT_GT(refused, 80);
    EXPECT_EQ(closes, Codes{4029}) << "still open after " << now - limitedFrom << " ms of binary flooding";
    EXPECT_LE(now - limitedFrom, 11000);
}

// ---- slow consumers, draining --------------------------------------------------------------

TEST_F(HubTest, SlowConsumerIsClosedWith4090AndCounted) {
    ConnId c = client(), other = client();
    Outbox out;
    hub().slowConsumer(c, out);
    EXPECT_EQ(closesFor(out, c), Codes{4090});
    EXPECT_TRUE(closesFor(out, other).empty());
    EXPECT_EQ(hub().stats(now).slowConsumerDisconnects, 1u);
}

TEST_F(HubTest, MessagesToAClosingConnectionAreDroppedAndCounted) {
    ConnId a = client(), b = client();
    join(a, "general");
    join(b, "general");
    Outbox out;
    hub().slowConsumer(b, out);
    Outbox pub;
    publish(a, "general", 1, "", &pub);
    EXPECT_TRUE(framesTo(pub, b).empty());
    EXPECT_EQ(hub().stats(now).droppedMessages, 1u);
}

// "shutdown() (drains: closes with 1001 ...)"; /readyz 503 while draining
TEST_F(HubTest, DrainClosesEveryConnectionWith1001AndRefusesNewOnes) {
    ConnId a = client(), b = client(), pending = connect();
    Outbox out;
    hub().drain(out);
    EXPECT_TRUE(hub().draining());
    for (ConnId c : {a, b, pending}) EXPECT_EQ(closesFor(out, c), Codes{1001}) << c;
    auto refused = hub().admit({}, now);
    EXPECT_EQ(refused.status, 503);
    EXPECT_GT(refused.retryAfterSeconds, 0);
}

// ---- sizes and binary frames ----------------------------------------------------------------

TEST_F(HubTest, FrameOverMaxMessageBytesIsTooLarge) {
    settings.maxMessageBytes = 200;
    ConnId c = client();
    join(c, "general");
    std::string big = R"({"op":"publish","ref":77,"room":"general","event":"e","data":")" + std::string(200, 'x') +
                      "\"}";
    Outbox out = send(c, big);
    auto frames = framesTo(out, c);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(errorCode(frames[0]), "too_large");
    EXPECT_EQ(hub().stats(now).rooms, 1u);
    EXPECT_EQ(publish(c, "general", 1)["data"]["offset"].GetUint64(), 1u);  // nothing was published
}

TEST_F(HubTest, FrameOfExactlyMaxMessageBytesIsAccepted) {
    settings.maxMessageBytes = 200;
    ConnId c = client();
    join(c, "general");
    std::string head = R"({"op":"publish","ref":77,"room":"general","event":"e","data":")";
    std::string text = head + std::string(200 - head.size() - 2, 'x') + "\"}";
    ASSERT_EQ(text.size(), 200u);
    auto replies = framesTo(send(c, text), c, "reply");
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_TRUE(replies[0]["ok"].GetBool()) << str(replies[0]);
}

TEST_F(HubTest, DeepJsonIsBadRequest) {
    settings.maxJsonDepth = 8;
    ConnId c = client();
    std::string deep = R"({"op":"ping","x":)" + std::string(20, '[') + std::string(20, ']') + "}";
    auto frames = framesTo(send(c, deep), c);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(errorCode(frames[0]), "bad_request");
}

// "Binary frames are used only for binary stream chunks"
TEST_F(HubTest, BinaryFrameIsBadRequest) {
    ConnId c = client();
    Outbox out = sendBinary(c, std::string(16, '\x01'));
    auto frames = framesTo(out, c);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(errorCode(frames[0]), "bad_request");
    EXPECT_TRUE(closesFor(out, c).empty());
}

TEST_F(HubTest, BinaryFrameBeforeHelloClosesWith4000) {
    ConnId c = connect();
    Outbox out = sendBinary(c, std::string(16, '\x01'));
    EXPECT_EQ(closesFor(out, c), Codes{4000});
}

// ---- stats (section 10) -------------------------------------------------------------------

TEST_F(HubTest, StatsCountFramesBytesClientsRoomsAndUptime) {
    std::int64_t start = now;
    auto before = hub().stats(now);
    EXPECT_EQ(before.connectedClients, 0u);
    EXPECT_EQ(before.uptime, 0);
    EXPECT_EQ(before.environment, "development");

    std::size_t bytesIn = 0, framesIn = 0;
    auto sendCounted = [&](ConnId c, const std::string& text) {
        bytesIn += text.size();
        ++framesIn;
        return send(c, text);
    };
    ConnId a = connect(), b = connect();
    sendCounted(a, R"({"op":"hello","ref":1,"v":1})");
    sendCounted(b, R"({"op":"hello","ref":1,"v":1})");
    sendCounted(a, R"({"op":"join","ref":2,"room":"r1"})");
    sendCounted(b, R"({"op":"join","ref":2,"room":"r1"})");
    sendCounted(b, R"({"op":"join","ref":3,"room":"r2"})");
    sendCounted(a, R"({"op":"publish","ref":3,"room":"r1","event":"e","data":1})");
    sendCounted(a, "junk");
    now += 4321;

    std::size_t bytesOut = 0, framesOut = 0;
    for (const auto& action : log)
        if (action.kind == Action::Kind::Send) {
            framesOut += action.receivers();
            bytesOut += action.frame->size() * action.receivers();
        }
    auto s = hub().stats(now);
    EXPECT_EQ(s.connectedClients, 2u);
    EXPECT_EQ(s.rooms, 2u);
    EXPECT_EQ(s.messagesIn, framesIn);
    EXPECT_EQ(s.bytesIn, bytesIn);
    EXPECT_EQ(s.messagesOut, framesOut);
    EXPECT_EQ(s.bytesOut, bytesOut);
    EXPECT_EQ(s.uptime, now - start);
    EXPECT_EQ(s.protocolErrors, 1u);
    close(a);
    EXPECT_EQ(hub().stats(now).connectedClients, 1u);
}

}  // namespace
}  // namespace hubtest
