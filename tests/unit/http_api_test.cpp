// The HTTP API on the WebSocket port (PROTOCOL.md section 8), driven
// through HttpApi::handle with the same Hub harness.
#include "http_api.hpp"
#include "hub_test_support.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <stdexcept>

namespace hubtest {
namespace {

using brolostack::config::ApiKey;
using brolostack::native::HttpApi;
using brolostack::native::HttpRequest;
using brolostack::native::HttpResponse;

class HttpApiTest : public HubTest {
protected:
    Outbox out;  // what the last call asked the I/O layer to do
    brolostack::native::ServerMetrics metrics{"0.0.0-test"};

    std::optional<HttpResponse> call(const std::string& method, const std::string& target, const std::string& body = "",
                                     std::optional<std::string> apiKey = std::nullopt,
                                     std::optional<std::string> authorization = std::nullopt) {
        HttpRequest r;
        r.method = method;
        r.target = target;
        r.body = body;
        r.apiKey = std::move(apiKey);
        r.authorization = std::move(authorization);
        out.clear();
        HttpApi api(hub(), metrics);
        auto response = api.handle(r, now, out);
        log.insert(log.end(), out.begin(), out.end());
        return response;
    }
    /// A call that must be an API route.
    HttpResponse get(const std::string& target) {
        auto r = call("GET", target);
        if (!r) throw std::runtime_error("no response for " + target);
        return *r;
    }
    HttpResponse post(const std::string& target, const std::string& body) {
        auto r = call("POST", target, body);
        if (!r) throw std::runtime_error("no response for " + target);
        return *r;
    }
    /// The error code of a JSON error body {"error":{"code","message"}}.
    static std::string httpError(const HttpResponse& r) {
        Document d = parse(r.body);
        EXPECT_TRUE(d.HasMember("error") && d["error"].IsObject() && d["error"].HasMember("message") &&
                    d["error"]["message"].IsString())
            << r.body;
        return errorCode(d);
    }
};

TEST_F(HttpApiTest, HealthzIsOk) {
    HttpResponse r = get("/healthz");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"status":"ok"})");
    EXPECT_EQ(r.contentType, "application/json");
}

// "200 when accepting connections, 503 while draining"
TEST_F(HttpApiTest, ReadyzTurns503WhenDraining) {
    EXPECT_EQ(get("/readyz").status, 200);
    Outbox drained;
    hub().drain(drained);
    EXPECT_EQ(get("/readyz").status, 503);
    EXPECT_EQ(get("/healthz").status, 200);
}

TEST_F(HttpApiTest, MetricsArePrometheusText) {
    client();
    client();
    HttpResponse r = get("/metrics");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.contentType.rfind("text/plain", 0), 0u) << r.contentType;
    EXPECT_NE(r.body.find("# TYPE brolostack_connected_clients gauge"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("\nbrolostack_connected_clients 2"), std::string::npos) << r.body;
}

// Section 10: "at least the seed's fields ... plus rooms, messagesIn, ..."
TEST_F(HttpApiTest, StatsHaveEveryFieldOfSection10) {
    ConnId c = client();
    join(c, "general");
    now += 2500;
    HttpResponse r = get("/api/v1/stats");
    ASSERT_EQ(r.status, 200);
    Document d = parse(r.body);
    for (const char* field : {"environment", "activeSessions", "connectedClients", "totalAgents", "activeStreams",
                              "totalTasks", "completedTasks", "errorRate", "avgExecutionTime", "uptime", "rooms",
                              "messagesIn", "messagesOut", "bytesIn", "bytesOut", "droppedMessages",
                              "slowConsumerDisconnects"})
        EXPECT_TRUE(d.HasMember(field)) << field;
    EXPECT_STREQ(d["environment"].GetString(), "development");
    EXPECT_EQ(d["connectedClients"].GetUint64(), 1u);
    EXPECT_EQ(d["rooms"].GetUint64(), 1u);
    EXPECT_EQ(d["messagesIn"].GetUint64(), 2u);
    EXPECT_EQ(d["uptime"].GetInt64(), 2500);
    EXPECT_TRUE(d["errorRate"].IsNumber());
}

// "POST /api/v1/publish {"room","event","data"} -> {"offset","epoch"}"
TEST_F(HttpApiTest, PublishReachesEveryMember) {
    ConnId a = client(), b = client();
    std::string epoch = join(a, "general")["epoch"].GetString();
    join(b, "general");
    HttpResponse r = post("/api/v1/publish", R"({"room":"general","event":"notice","data":{"text":"hi"}})");
    ASSERT_EQ(r.status, 200) << r.body;
    Document d = parse(r.body);
    EXPECT_EQ(d["offset"].GetUint64(), 1u);
    EXPECT_EQ(d["epoch"].GetString(), epoch);
    for (ConnId c : {a, b}) {
        auto messages = framesTo(out, c, "message");
        ASSERT_EQ(messages.size(), 1u) << c;
        EXPECT_STREQ(messages[0]["event"].GetString(), "notice");
        EXPECT_EQ(str(messages[0]["data"]), R"({"text":"hi"})");
        EXPECT_EQ(str(messages[0]["from"]), R"({"sid":null,"user":null})");
        EXPECT_EQ(messages[0]["offset"].GetUint64(), 1u);
    }
    EXPECT_EQ(parse(post("/api/v1/publish", R"({"room":"general","event":"notice"})").body)["offset"].GetUint64(),
              2u);
}

TEST_F(HttpApiTest, PublishToARoomNobodyJoinedKeepsHistory) {
    ASSERT_EQ(post("/api/v1/publish", R"({"room":"later","event":"e","data":1})").status, 200);
    Document d = join(client(), "later");
    EXPECT_EQ(d["offset"].GetUint64(), 1u);
}

TEST_F(HttpApiTest, PublishWithABadBodyIs400) {
    for (const char* body : {"", "not json", "[1]", R"({"event":"e"})", R"({"room":"general"})",
                             R"({"room":5,"event":"e"})", R"({"room":"general","event":""})"}) {
        HttpResponse r = post("/api/v1/publish", body);
        EXPECT_EQ(r.status, 400) << body;
        EXPECT_EQ(httpError(r), "bad_request") << body;
        EXPECT_TRUE(out.empty()) << body;
    }
}

TEST_F(HttpApiTest, PublishToAnInvalidRoomIs400) {
    HttpResponse r = post("/api/v1/publish", R"({"room":"no spaces","event":"e"})");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(httpError(r), "bad_request");
    EXPECT_EQ(hub().stats(now).rooms, 0u);
}

TEST_F(HttpApiTest, PublishBodyOverMaxMessageBytesIs413) {
    settings.maxMessageBytes = 100;
    HttpResponse r = post("/api/v1/publish", R"({"room":"general","event":"e","data":")" + std::string(100, 'x') + "\"}");
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(httpError(r), "too_large");
}

TEST_F(HttpApiTest, WrongMethodIs405) {
    HttpResponse r = get("/api/v1/publish");
    EXPECT_EQ(r.status, 405);
    EXPECT_NE(r.body.find("\"error\""), std::string::npos);
    EXPECT_EQ(post("/api/v1/stats", "{}").status, 405);
}

TEST_F(HttpApiTest, MembersOfARoom) {
    ConnId a = client(), b = client();
    join(a, "general");
    join(b, "general");
    HttpResponse r = get("/api/v1/rooms/general/members");
    ASSERT_EQ(r.status, 200);
    Document d = parse(r.body);
    EXPECT_STREQ(d["room"].GetString(), "general");
    EXPECT_EQ(d["memberCount"].GetUint64(), 2u);
    std::set<std::string> listed;
    for (const auto& m : d["members"].GetArray()) listed.insert(m["sid"].GetString());
    EXPECT_EQ(listed, (std::set<std::string>{sids[a], sids[b]}));
}

TEST_F(HttpApiTest, UnknownRoomIs404) {
    HttpResponse members = get("/api/v1/rooms/nowhere/members");
    EXPECT_EQ(members.status, 404);
    EXPECT_EQ(httpError(members), "not_found");
    EXPECT_EQ(get("/api/v1/rooms/nowhere/history").status, 404);
}

TEST_F(HttpApiTest, HistoryWithSinceEpochAndLimit) {
    for (int i = 1; i <= 5; ++i) post("/api/v1/publish", R"({"room":"general","event":"e","data":)" + std::to_string(i) + "}");
    Document all = parse(get("/api/v1/rooms/general/history").body);
    EXPECT_EQ(all["messages"].Size(), 5u);
    std::string epoch = all["epoch"].GetString();

    HttpResponse r = get("/api/v1/rooms/general/history?sinceOffset=1&epoch=" + epoch + "&limit=2");
    ASSERT_EQ(r.status, 200) << r.body;
    Document d = parse(r.body);
    ASSERT_EQ(d["messages"].Size(), 2u);
    EXPECT_EQ(d["messages"][0]["offset"].GetUint64(), 2u);
    EXPECT_EQ(d["messages"][1]["offset"].GetUint64(), 3u);
    EXPECT_FALSE(d["complete"].GetBool());
    EXPECT_EQ(d["offset"].GetUint64(), 5u);

    Document newest = parse(get("/api/v1/rooms/general/history?limit=1").body);
    ASSERT_EQ(newest["messages"].Size(), 1u);
    EXPECT_EQ(newest["messages"][0]["offset"].GetUint64(), 5u);
}

TEST_F(HttpApiTest, HistoryQueryErrors) {
    post("/api/v1/publish", R"({"room":"general","event":"e"})");
    EXPECT_EQ(get("/api/v1/rooms/general/history?sinceOffset=1").status, 400);  // epoch missing
    EXPECT_EQ(get("/api/v1/rooms/general/history?sinceOffset=-1&epoch=x").status, 400);
    EXPECT_EQ(get("/api/v1/rooms/general/history?limit=0").status, 400);
    EXPECT_EQ(get("/api/v1/rooms/general/history?limit=abc").status, 400);
    HttpResponse conflict = get("/api/v1/rooms/general/history?sinceOffset=0&epoch=old");
    EXPECT_EQ(conflict.status, 409);
    EXPECT_EQ(httpError(conflict), "conflict");
}

TEST_F(HttpApiTest, BroadcastPublishesToEveryRoom) {
    ConnId a = client(), b = client();
    join(a, "r1");
    join(b, "r2");
    post("/api/v1/publish", R"({"room":"r2","event":"e"})");
    HttpResponse r = post("/api/v1/broadcast", R"({"rooms":["r1","r2"],"event":"alert","data":[1]})");
    ASSERT_EQ(r.status, 200) << r.body;
    auto ma = framesTo(out, a, "message");
    auto mb = framesTo(out, b, "message");
    ASSERT_EQ(ma.size(), 1u);
    ASSERT_EQ(mb.size(), 1u);
    EXPECT_STREQ(ma[0]["room"].GetString(), "r1");
    EXPECT_EQ(ma[0]["offset"].GetUint64(), 1u);
    EXPECT_STREQ(mb[0]["room"].GetString(), "r2");
    EXPECT_EQ(mb[0]["offset"].GetUint64(), 2u);
    EXPECT_EQ(str(mb[0]["data"]), "[1]");
}

TEST_F(HttpApiTest, BroadcastWithOneInvalidRoomPublishesNothing) {
    ConnId a = client();
    join(a, "r1");
    HttpResponse r = post("/api/v1/broadcast", R"({"rooms":["r1","bad room"],"event":"alert"})");
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(post("/api/v1/broadcast", R"({"rooms":"r1","event":"alert"})").status, 400);
    EXPECT_EQ(post("/api/v1/broadcast", R"({"rooms":[1],"event":"alert"})").status, 400);
}

// "POST /api/v1/disconnect {"user"} or {"sid"}: close with 4003"
TEST_F(HttpApiTest, DisconnectClosesWith4003) {
    settings.apiKeys = {ApiKey{"web", "k1"}};
    ConnId a = client(), b = connect();
    hello(b, R"("apiKey":"k1")");
    HttpResponse bySid = post("/api/v1/disconnect", R"({"sid":")" + sids[a] + R"("})");
    EXPECT_EQ(bySid.status, 200);
    EXPECT_EQ(closesFor(out, a), std::vector<std::uint16_t>{4003});
    EXPECT_TRUE(closesFor(out, b).empty());
    post("/api/v1/disconnect", R"({"user":"key:web"})");
    EXPECT_EQ(closesFor(out, b), std::vector<std::uint16_t>{4003});
    HttpResponse neither = post("/api/v1/disconnect", "{}");
    EXPECT_EQ(neither.status, 400);
}

TEST_F(HttpApiTest, UnknownApiPathIs404) {
    HttpResponse r = get("/api/v1/nothing-here");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(httpError(r), "not_found");
    EXPECT_EQ(get("/api/v1/rooms/general/other").status, 404);
}

TEST_F(HttpApiTest, NonApiPathIsLeftToStaticFiles) {
    EXPECT_FALSE(call("GET", "/").has_value());
    EXPECT_FALSE(call("GET", "/index.html").has_value());
    EXPECT_FALSE(call("GET", "/apiary").has_value());
}

// "Auth: Authorization: Bearer <API key> or X-API-Key, required wherever ... authentication is on;
// /healthz, /readyz and /metrics stay open."
class HttpAuthTest : public HttpApiTest {
protected:
    void SetUp() override {
        settings.authRequired = true;
        settings.apiKeys = {ApiKey{"ops", "s3cret"}};
    }
};

TEST_F(HttpAuthTest, ApiNeedsAKey) {
    for (const char* target : {"/api/v1/stats", "/api/v1/rooms/general/members", "/api/v1/nothing"}) {
        auto r = call("GET", target);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 401) << target;
        EXPECT_EQ(httpError(*r), "unauthorized");
    }
    auto publish = call("POST", "/api/v1/publish", R"({"room":"general","event":"e"})");
    EXPECT_EQ(publish->status, 401);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(hub().stats(now).rooms, 0u);
}

TEST_F(HttpAuthTest, XApiKeyOrBearerGrantsAccess) {
    EXPECT_EQ(call("GET", "/api/v1/stats", "", std::string("s3cret"))->status, 200);
    EXPECT_EQ(call("GET", "/api/v1/stats", "", std::nullopt, std::string("Bearer s3cret"))->status, 200);
}

TEST_F(HttpAuthTest, WrongKeysAreRefused) {
    EXPECT_EQ(call("GET", "/api/v1/stats", "", std::string("nope"))->status, 401);
    EXPECT_EQ(call("GET", "/api/v1/stats", "", std::nullopt, std::string("Bearer nope"))->status, 401);
    EXPECT_EQ(call("GET", "/api/v1/stats", "", std::nullopt, std::string("s3cret"))->status, 401);
    EXPECT_EQ(call("GET", "/api/v1/stats", "", std::nullopt, std::string("Basic s3cret"))->status, 401);
}

TEST_F(HttpAuthTest, ProbesStayOpen) {
    EXPECT_EQ(call("GET", "/healthz")->status, 200);
    EXPECT_EQ(call("GET", "/readyz")->status, 200);
    EXPECT_EQ(call("GET", "/metrics")->status, 200);
}

TEST_F(HttpApiTest, PercentEncodedRoomIds) {
    ConnId a = client();
    join(a, "$session:abc");
    HttpResponse r = get("/api/v1/rooms/%24session%3Aabc/members");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_STREQ(parse(r.body)["room"].GetString(), "$session:abc");
    EXPECT_EQ(get("/api/v1/rooms/%24session%3aabc/history").status, 200);
}

TEST_F(HttpApiTest, MalformedPercentEncodingIs400) {
    HttpResponse r = get("/api/v1/rooms/%zz/members");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(httpError(r), "bad_request");
}

}  // namespace
}  // namespace hubtest

namespace hubtest {
namespace {

// Dead letters over HTTP: the failed tasks of a session, and their requeue.
TEST_F(HttpApiTest, DeadLettersListFailedTasksAndRequeueThem) {
    settings.assignTimeoutMs = 10;
    HttpResponse started = post("/api/v1/sessions/s1/tasks", R"({"id":"t1","requirements":{"agentTypes":["nobody"]}})");
    ASSERT_EQ(started.status, 202) << started.body;
    advance(20);  // no agent of that type: it fails
    HttpResponse letters = get("/api/v1/sessions/s1/dead-letters");
    ASSERT_EQ(letters.status, 200) << letters.body;
    Document d = parse(letters.body);
    ASSERT_EQ(d["count"].GetUint(), 1u);
    EXPECT_STREQ(d["tasks"][0]["taskId"].GetString(), "t1");
    EXPECT_STREQ(d["tasks"][0]["error"]["code"].GetString(), "no_suitable_agent");

    HttpResponse requeued = post("/api/v1/sessions/s1/dead-letters/t1/requeue", "");
    EXPECT_EQ(requeued.status, 202) << requeued.body;
    EXPECT_EQ(parse(requeued.body)["state"].GetString(), std::string("queued"));
    EXPECT_EQ(parse(get("/api/v1/sessions/s1/dead-letters").body)["count"].GetUint(), 0u);
    EXPECT_EQ(httpError(post("/api/v1/sessions/s1/dead-letters/t1/requeue", "")), "conflict") << "queued, not failed";
}

TEST_F(HttpApiTest, DeadLetterRoutesRefuseWhatTheyCannotDo) {
    EXPECT_EQ(get("/api/v1/sessions/none/dead-letters").status, 404);
    EXPECT_EQ(post("/api/v1/sessions/none/dead-letters/t1/requeue", "").status, 404);
    EXPECT_EQ(post("/api/v1/sessions/none/dead-letters", "").status, 405);
    EXPECT_EQ(get("/api/v1/sessions/none/dead-letters/t1/requeue").status, 405);
}

}  // namespace
}  // namespace hubtest
