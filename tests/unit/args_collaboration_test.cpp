// ARGS collaboration (PROTOCOL.md section 7, "Collaboration"): requests go
// to their addressees only, responses to the requester, and unanswered
// requests time out.
#include "args_test_support.hpp"

#include <set>

namespace argstest {
namespace {

class ArgsCollaboration : public ArgsTest {
protected:
    void SetUp() override {
        settings.collaborationTimeoutMs = 10'000;
        registerAgent(1, "asker", "planner", {"x", "y"});
        registerAgent(2, "both", "helper", {"x", "y"});
        registerAgent(3, "only-x", "helper", {"x"});
        registerAgent(4, "more", "helper", {"z", "y", "x"});
        log.clear();
    }

    /// Collaboration messages must never be announced to the session.
    void TearDown() override {
        for (const auto& r : log) {
            if (r.msg.type == MessageType::CollaborationRequest || r.msg.type == MessageType::CollaborationResponse) {
                EXPECT_NE(r.route, Route::Announce) << "announced: " << r.msg.payloadJson;
            }
        }
        ArgsTest::TearDown();
    }

    std::string request(const std::string& requestId, const std::string& extra) {
        return R"({"requestId":")" + requestId + R"(","requestingAgent":"asker","taskId":"t1",)"
               R"("collaborationType":"assistance","urgency":"high","context":{"q":1})" +
               (extra.empty() ? "" : "," + extra) + "}";
    }
};

TEST_F(ArgsCollaboration, WithTargetGoesDirectlyToThatAgentsOwnerOnly) {
    Outputs out;
    std::string payload = request("r1", R"("targetAgent":"only-x")");
    Document reply = parse(ok(1, MessageType::CollaborationRequest, payload, &out));
    EXPECT_STREQ(reply["requestId"].GetString(), "r1");
    EXPECT_EQ(str(reply["targets"]), R"(["only-x"])");
    ASSERT_EQ(out.size(), 1u) << "one message, nothing announced";
    const Routed& r = out[0];
    EXPECT_EQ(r.msg.type, MessageType::CollaborationRequest);
    EXPECT_EQ(r.route, Route::Direct);
    EXPECT_EQ(r.owner, 3u);
    EXPECT_EQ(r.msg.agentId, std::optional<std::string>("only-x"));
    EXPECT_EQ(r.msg.metadata.sourceAgent, std::optional<std::string>("asker"));
    EXPECT_EQ(r.msg.metadata.targetAgent, std::optional<std::string>("only-x"));
    EXPECT_EQ(str(payloadOf(r)), str(parse(payload))) << "the request is passed on as sent";
}

TEST_F(ArgsCollaboration, WithoutTargetGoesToEveryOtherCapableOnlineAgent) {
    registerAgent(5, "offline-capable", "helper", {"x", "y"});
    gone(5);
    Outputs out;
    Document reply = parse(ok(1, MessageType::CollaborationRequest, request("r1", R"("requiredCapabilities":["x","y"])"), &out));
    std::set<std::string> targets;
    for (const auto& t : reply["targets"].GetArray()) targets.insert(t.GetString());
    EXPECT_EQ(targets, (std::set<std::string>{"both", "more"}));
    std::set<std::pair<std::string, Owner>> sent;
    for (const auto& r : out) {
        ASSERT_EQ(r.msg.type, MessageType::CollaborationRequest);
        EXPECT_EQ(r.route, Route::Direct);
        sent.insert({r.msg.agentId.value_or(""), r.owner});
    }
    EXPECT_EQ(sent, (std::set<std::pair<std::string, Owner>>{{"both", 2}, {"more", 4}}));
}

TEST_F(ArgsCollaboration, WithoutRequirementsEveryOtherOnlineAgentIsAsked) {
    Outputs out;
    ok(1, MessageType::CollaborationRequest, request("r1", ""), &out);
    std::set<std::string> agents;
    for (const auto& r : out) agents.insert(r.msg.agentId.value_or(""));
    EXPECT_EQ(agents, (std::set<std::string>{"both", "only-x", "more"})) << "never the requester itself";
}

TEST_F(ArgsCollaboration, NobodyCapableIsNotFound) {
    Outputs out;
    Error e = fails(1, MessageType::CollaborationRequest, request("r1", R"("requiredCapabilities":["quantum"])"), &out);
    EXPECT_EQ(codeName(e.code), "not_found");
    EXPECT_TRUE(out.empty());
    // Nothing is pending: the same id may be used again, and nothing times out.
    ok(1, MessageType::CollaborationRequest, request("r1", R"("targetAgent":"both")"));
    EXPECT_EQ(codeName(fails(1, MessageType::CollaborationRequest, request("r2", R"("targetAgent":"ghost")")).code),
              "not_found");
}

TEST_F(ArgsCollaboration, OfflineTargetIsNotFound) {
    gone(3);
    log.clear();
    EXPECT_EQ(codeName(fails(1, MessageType::CollaborationRequest, request("r1", R"("targetAgent":"only-x")")).code),
              "not_found");
    EXPECT_TRUE(log.empty());
}

TEST_F(ArgsCollaboration, RequestingAgentMustBeOwnedBySender) {
    Outputs out;
    EXPECT_EQ(codeName(fails(2, MessageType::CollaborationRequest, request("r1", R"("targetAgent":"both")"), &out).code),
              "forbidden");
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(codeName(fails(1, MessageType::CollaborationRequest,
                             R"({"requestId":"r2","requestingAgent":"ghost","targetAgent":"both"})")
                           .code),
              "forbidden");
    gone(1);
    EXPECT_EQ(codeName(fails(1, MessageType::CollaborationRequest, request("r3", R"("targetAgent":"both")")).code),
              "forbidden")
        << "an offline agent cannot ask";
}

TEST_F(ArgsCollaboration, MalformedRequestsAreBadRequests) {
    EXPECT_EQ(codeName(fails(1, MessageType::CollaborationRequest, R"({"requestingAgent":"asker"})").code), "bad_request");
    EXPECT_EQ(codeName(fails(1, MessageType::CollaborationRequest, R"({"requestId":"r"})").code), "bad_request");
    EXPECT_EQ(codeName(fails(1, MessageType::CollaborationRequest, "null").code), "bad_request");
    EXPECT_EQ(codeName(fails(2, MessageType::CollaborationResponse, R"({"fromAgent":"both"})").code), "bad_request");
    EXPECT_EQ(codeName(fails(2, MessageType::CollaborationResponse, R"({"requestId":"r"})").code), "bad_request");
    EXPECT_TRUE(log.empty());
}

TEST_F(ArgsCollaboration, DuplicatePendingRequestIdIsConflict) {
    ok(1, MessageType::CollaborationRequest, request("r1", R"("targetAgent":"both")"));
    Outputs out;
    EXPECT_EQ(codeName(fails(1, MessageType::CollaborationRequest, request("r1", R"("targetAgent":"more")"), &out).code),
              "conflict");
    EXPECT_TRUE(out.empty());
}

TEST_F(ArgsCollaboration, ResponseIsRoutedDirectlyToTheRequestersOwner) {
    ok(1, MessageType::CollaborationRequest, request("r1", R"("targetAgent":"both")"));
    Outputs out;
    std::string response = R"({"requestId":"r1","fromAgent":"both","accepted":true,"result":{"answer":42}})";
    ok(2, MessageType::CollaborationResponse, response, &out);
    ASSERT_EQ(out.size(), 1u);
    const Routed& r = out[0];
    EXPECT_EQ(r.msg.type, MessageType::CollaborationResponse);
    EXPECT_EQ(r.route, Route::Direct);
    EXPECT_EQ(r.owner, 1u);
    EXPECT_EQ(r.msg.agentId, std::optional<std::string>("asker"));
    EXPECT_EQ(r.msg.metadata.sourceAgent, std::optional<std::string>("both"));
    EXPECT_EQ(str(payloadOf(r)), str(parse(response)));
}

TEST_F(ArgsCollaboration, EveryAddresseeMayAnswerABroadcastRequest) {
    ok(1, MessageType::CollaborationRequest, request("r1", R"("requiredCapabilities":["y"])"));
    Outputs a, b;
    ok(2, MessageType::CollaborationResponse, R"({"requestId":"r1","fromAgent":"both","accepted":false})", &a);
    ok(4, MessageType::CollaborationResponse, R"({"requestId":"r1","fromAgent":"more","accepted":true})", &b);
    ASSERT_EQ(a.size(), 1u);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(a[0].owner, 1u);
    EXPECT_EQ(b[0].owner, 1u);
}

TEST_F(ArgsCollaboration, ResponderMustOwnFromAgentAndTheRequestMustExist) {
    ok(1, MessageType::CollaborationRequest, request("r1", R"("targetAgent":"both")"));
    Outputs out;
    EXPECT_EQ(codeName(fails(3, MessageType::CollaborationResponse, R"({"requestId":"r1","fromAgent":"both","accepted":true})", &out).code),
              "forbidden");
    EXPECT_EQ(codeName(fails(2, MessageType::CollaborationResponse, R"({"requestId":"nope","fromAgent":"both","accepted":true})", &out).code),
              "not_found");
    EXPECT_TRUE(out.empty());
}

TEST_F(ArgsCollaboration, UnansweredRequestTimesOutToTheRequester) {
    ok(1, MessageType::CollaborationRequest, request("r1", R"("targetAgent":"both")"));
    Outputs out = advance(9'999);
    EXPECT_TRUE(ofType(out, MessageType::CollaborationResponse).empty());
    out = advance(1);
    auto responses = ofType(out, MessageType::CollaborationResponse);
    ASSERT_EQ(responses.size(), 1u);
    const Routed& r = *responses[0];
    EXPECT_EQ(r.route, Route::Direct);
    EXPECT_EQ(r.owner, 1u);
    EXPECT_EQ(r.msg.agentId, std::optional<std::string>("asker"));
    Document p = payloadOf(r);
    EXPECT_STREQ(p["requestId"].GetString(), "r1");
    EXPECT_STREQ(p["status"].GetString(), "timeout");
    // Once only; and a late answer finds nothing pending.
    out = advance(100'000);
    EXPECT_TRUE(ofType(out, MessageType::CollaborationResponse).empty());
    EXPECT_EQ(codeName(fails(2, MessageType::CollaborationResponse, R"({"requestId":"r1","fromAgent":"both","accepted":true})").code),
              "not_found");
}

TEST_F(ArgsCollaboration, AnEarlierDeadlineWins) {
    ok(1, MessageType::CollaborationRequest,
       request("r1", R"("targetAgent":"both","deadline":)" + std::to_string(now + 1000)));
    EXPECT_TRUE(ofType(advance(999), MessageType::CollaborationResponse).empty());
    Outputs out = advance(1);
    auto responses = ofType(out, MessageType::CollaborationResponse);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_STREQ(payloadOf(*responses[0])["status"].GetString(), "timeout");
}

TEST_F(ArgsCollaboration, ALaterDeadlineDoesNotExtendTheServerTimeout) {
    ok(1, MessageType::CollaborationRequest,
       request("r1", R"("targetAgent":"both","deadline":)" + std::to_string(now + 1'000'000)));
    Outputs out = advance(10'000);
    auto responses = ofType(out, MessageType::CollaborationResponse);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_STREQ(payloadOf(*responses[0])["status"].GetString(), "timeout");
}

TEST_F(ArgsCollaboration, AnsweredRequestsDoNotTimeOut) {
    ok(1, MessageType::CollaborationRequest, request("r1", R"("targetAgent":"both")"));
    ok(2, MessageType::CollaborationResponse, R"({"requestId":"r1","fromAgent":"both","accepted":true})");
    Outputs out = advance(20'000);
    EXPECT_TRUE(ofType(out, MessageType::CollaborationResponse).empty());
    // The id is free again afterwards.
    ok(1, MessageType::CollaborationRequest, request("r1", R"("targetAgent":"both")"));
}

TEST_F(ArgsCollaboration, NoTimeoutIsSentToARequesterThatLeft) {
    ok(1, MessageType::CollaborationRequest, request("r1", R"("targetAgent":"both")"));
    gone(1);
    Outputs out = advance(10'000);
    EXPECT_TRUE(ofType(out, MessageType::CollaborationResponse).empty());
}

}  // namespace
}  // namespace argstest
