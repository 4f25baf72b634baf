// The ARGS envelope (PROTOCOL.md section 7): required fields, types,
// priorities, metadata, ttl, and encode/decode round trips.
#include "args_test_support.hpp"

#include <cstdlib>
#include <limits>

namespace argstest {
namespace {

namespace args = brolostack::args;

constexpr std::int64_t kNow = 1'732'550'000'000;
constexpr unsigned kDepth = 32;

using Decoded = std::variant<Message, Error>;

Decoded decode(const std::string& text, std::int64_t now = kNow) { return args::decodeMessage(text, now, kDepth); }

/// Builds a message object from optional parts; a part set to "" is left out.
std::string envelope(const std::string& id = "\"m-1\"", const std::string& type = "\"TASK_PROGRESS\"",
                     const std::string& timestamp = std::to_string(kNow), const std::string& sessionId = "\"s1\"",
                     const std::string& payload = "{}", const std::string& extra = "") {
    std::string s = "{";
    auto add = [&](const char* key, const std::string& value) {
        if (value.empty()) return;
        if (s.size() > 1) s += ",";
        s += "\"" + std::string(key) + "\":" + value;
    };
    add("id", id);
    add("type", type);
    add("timestamp", timestamp);
    add("sessionId", sessionId);
    add("payload", payload);
    if (!extra.empty()) s += "," + extra;
    return s + "}";
}

Message expectMessage(const Decoded& d) {
    if (auto* e = std::get_if<Error>(&d)) {
        ADD_FAILURE() << "refused: " << codeName(e->code) << " " << e->message << " " << e->detailsJson;
        throw std::runtime_error("test stopped: message refused");
    }
    return std::get<Message>(d);
}

/// The error's code and its details.field ("" when none).
std::pair<std::string, std::string> expectError(const Decoded& d) {
    if (auto* m = std::get_if<Message>(&d)) {
        ADD_FAILURE() << "accepted: " << args::encodeMessage(*m);
        return {"", ""};
    }
    const Error& e = std::get<Error>(d);
    Document details = parse(e.detailsJson);
    std::string field = details.IsObject() && details.HasMember("field") && details["field"].IsString()
                            ? details["field"].GetString()
                            : "";
    return {codeName(e.code), field};
}

TEST(ArgsMessage, DecodesTheProtocolExample) {
    std::string text =
        R"({"id":"args_1","type":"TASK_PROGRESS","timestamp":1732550000000,"sessionId":"ai-collaboration",)"
        R"("agentId":"ml-analyzer-1","payload":{"taskId":"t","progress":40},)"
        R"("metadata":{"priority":"high","retryCount":1,"maxRetries":3,"ttl":60000,"requiresAck":true,)"
        R"("correlationId":"task-1","sourceAgent":"a","targetAgent":"b","environment":"production"}})";
    const Message& m = expectMessage(decode(text));
    EXPECT_EQ(m.id, "args_1");
    EXPECT_EQ(m.type, MessageType::TaskProgress);
    EXPECT_EQ(m.timestamp, 1732550000000);
    EXPECT_EQ(m.sessionId, "ai-collaboration");
    EXPECT_EQ(m.agentId, std::optional<std::string>("ml-analyzer-1"));
    Document payload = parse(m.payloadJson);
    EXPECT_EQ(payload["progress"].GetInt(), 40);
    EXPECT_EQ(m.metadata.priority, args::Priority::High);
    EXPECT_EQ(m.metadata.retryCount, 1u);
    EXPECT_EQ(m.metadata.maxRetries, std::optional<std::uint32_t>(3));
    EXPECT_EQ(m.metadata.ttl, std::optional<std::int64_t>(60000));
    EXPECT_TRUE(m.metadata.requiresAck);
    EXPECT_EQ(m.metadata.correlationId, std::optional<std::string>("task-1"));
    EXPECT_EQ(m.metadata.sourceAgent, std::optional<std::string>("a"));
    EXPECT_EQ(m.metadata.targetAgent, std::optional<std::string>("b"));
    EXPECT_EQ(m.metadata.environment, std::optional<std::string>("production"));
}

TEST(ArgsMessage, DefaultsWithoutMetadata) {
    const Message& m = expectMessage(decode(envelope()));
    EXPECT_EQ(m.metadata.priority, args::Priority::Medium);
    EXPECT_EQ(m.metadata.retryCount, 0u);
    EXPECT_FALSE(m.metadata.maxRetries.has_value());
    EXPECT_FALSE(m.metadata.ttl.has_value());
    EXPECT_FALSE(m.metadata.requiresAck);
    EXPECT_FALSE(m.agentId.has_value());
}

TEST(ArgsMessage, PayloadMayBeNullButNotAbsent) {
    const Message& m = expectMessage(decode(envelope("\"m\"", "\"SYNC_REQUEST\"", std::to_string(kNow), "\"s1\"", "null")));
    EXPECT_EQ(m.payloadJson, "null");
    EXPECT_EQ(expectError(decode(envelope("\"m\"", "\"SYNC_REQUEST\"", std::to_string(kNow), "\"s1\"", ""))),
              std::make_pair(std::string("bad_request"), std::string("msg.payload")));
}

TEST(ArgsMessage, PayloadOfAnyJsonTypeIsKeptAsIs) {
    for (const std::string payload : {"[1,2,3]", "\"text\"", "42", "{\"a\":{\"b\":[true,null]}}"}) {
        const Message& m = expectMessage(decode(envelope("\"m\"", "\"STREAM_DATA\"", std::to_string(kNow), "\"s1\"", payload)));
        EXPECT_EQ(m.payloadJson, payload);
    }
}

TEST(ArgsMessage, EachRequiredFieldMissingNamesIt) {
    auto ts = std::to_string(kNow);
    EXPECT_EQ(expectError(decode(envelope("", "\"TASK_START\"", ts))).second, "msg.id");
    EXPECT_EQ(expectError(decode(envelope("\"m\"", "", ts))).second, "msg.type");
    EXPECT_EQ(expectError(decode(envelope("\"m\"", "\"TASK_START\"", ""))).second, "msg.timestamp");
    EXPECT_EQ(expectError(decode(envelope("\"m\"", "\"TASK_START\"", ts, ""))).second, "msg.sessionId");
    EXPECT_EQ(expectError(decode(envelope("\"m\"", "\"TASK_START\"", ts, "\"s1\"", ""))).second, "msg.payload");
    for (const auto& text : {envelope(""), envelope("\"m\"", ""), envelope("\"m\"", "\"X\"", "")})
        EXPECT_EQ(expectError(decode(text)).first, "bad_request") << text;
}

TEST(ArgsMessage, WrongFieldTypesAreBadRequests) {
    auto ts = std::to_string(kNow);
    struct Case {
        std::string text;
        std::string field;
    };
    const Case cases[] = {
        {envelope("7"), "msg.id"},
        {envelope("\"\""), "msg.id"},
        {envelope("\"" + std::string(129, 'x') + "\""), "msg.id"},
        {envelope("\"m\"", "3"), "msg.type"},
        {envelope("\"m\"", "\"TASK_PROGRESS\"", "\"now\""), "msg.timestamp"},
        {envelope("\"m\"", "\"TASK_PROGRESS\"", "-1"), "msg.timestamp"},
        {envelope("\"m\"", "\"TASK_PROGRESS\"", "1.5"), "msg.timestamp"},
        {envelope("\"m\"", "\"TASK_PROGRESS\"", ts, "12"), "msg.sessionId"},
        {envelope("\"m\"", "\"TASK_PROGRESS\"", ts, "\"has space\""), "msg.sessionId"},
        {envelope("\"m\"", "\"TASK_PROGRESS\"", ts, "\"" + std::string(120, 's') + "\""), "msg.sessionId"},
        {envelope("\"m\"", "\"TASK_PROGRESS\"", ts, "\"s1\"", "{}", "\"agentId\":\"\""), "msg.agentId"},
        {envelope("\"m\"", "\"TASK_PROGRESS\"", ts, "\"s1\"", "{}", "\"agentId\":5"), "msg.agentId"},
    };
    for (const auto& c : cases) {
        auto [code, field] = expectError(decode(c.text));
        EXPECT_EQ(code, "bad_request") << c.text;
        EXPECT_EQ(field, c.field) << c.text;
    }
}

TEST(ArgsMessage, SessionIdOf119BytesIsAccepted) {
    std::string id(119, 'a');
    const Message& m = expectMessage(decode(envelope("\"m\"", "\"SYNC_REQUEST\"", std::to_string(kNow), "\"" + id + "\"")));
    EXPECT_EQ(m.sessionId, id);
    const Message& m2 =
        expectMessage(decode(envelope("\"m\"", "\"SYNC_REQUEST\"", std::to_string(kNow), "\"Az09_.:@-\"")));
    EXPECT_EQ(m2.sessionId, "Az09_.:@-");
}

TEST(ArgsMessage, NotAnObjectIsBadRequest) {
    for (const std::string text : {"[]", "\"x\"", "{", "null", "{\"id\":\"m\"} trailing"}) {
        auto [code, field] = expectError(decode(text));
        EXPECT_EQ(code, "bad_request") << text;
    }
}

TEST(ArgsMessage, UnknownTypeIsRefused) {
    auto [code, field] = expectError(decode(envelope("\"m\"", "\"TASK_EXPLODE\"")));
    EXPECT_EQ(code, "bad_request");
    EXPECT_EQ(field, "msg.type");
    // Names are case-sensitive.
    EXPECT_EQ(expectError(decode(envelope("\"m\"", "\"task_start\""))).second, "msg.type");
}

TEST(ArgsMessage, EveryProtocolTypeIsKnown) {
    const std::pair<const char*, MessageType> types[] = {
        {"AGENT_REGISTER", MessageType::AgentRegister},
        {"AGENT_UNREGISTER", MessageType::AgentUnregister},
        {"TASK_START", MessageType::TaskStart},
        {"TASK_PROGRESS", MessageType::TaskProgress},
        {"TASK_COMPLETE", MessageType::TaskComplete},
        {"TASK_ERROR", MessageType::TaskError},
        {"COLLABORATION_REQUEST", MessageType::CollaborationRequest},
        {"COLLABORATION_RESPONSE", MessageType::CollaborationResponse},
        {"STREAM_START", MessageType::StreamStart},
        {"STREAM_DATA", MessageType::StreamData},
        {"STREAM_END", MessageType::StreamEnd},
        {"HEARTBEAT", MessageType::Heartbeat},
        {"SYNC_REQUEST", MessageType::SyncRequest},
        {"SYNC_RESPONSE", MessageType::SyncResponse},
        {"TASK_ASSIGN", MessageType::TaskAssign},
        {"TASK_CANCEL", MessageType::TaskCancel},
    };
    for (const auto& [name, type] : types) {
        EXPECT_EQ(args::messageTypeName(type), name);
        EXPECT_EQ(args::messageTypeFromName(name), std::optional<MessageType>(type));
        const Message& m = expectMessage(decode(envelope("\"m\"", std::string("\"") + name + "\"")));
        EXPECT_EQ(m.type, type) << name;
    }
}

TEST(ArgsMessage, PriorityIsOneOfFour) {
    const std::pair<const char*, args::Priority> priorities[] = {
        {"low", args::Priority::Low},
        {"medium", args::Priority::Medium},
        {"high", args::Priority::High},
        {"critical", args::Priority::Critical},
    };
    for (const auto& [name, p] : priorities) {
        const Message& m = expectMessage(decode(envelope("\"m\"", "\"TASK_PROGRESS\"", std::to_string(kNow), "\"s1\"",
                                                         "{}", std::string("\"metadata\":{\"priority\":\"") + name + "\"}")));
        EXPECT_EQ(m.metadata.priority, p) << name;
        EXPECT_EQ(args::priorityName(p), name);
    }
    for (const std::string bad : {"\"urgent\"", "\"HIGH\"", "1", "true"}) {
        auto [code, field] = expectError(decode(
            envelope("\"m\"", "\"TASK_PROGRESS\"", std::to_string(kNow), "\"s1\"", "{}", "\"metadata\":{\"priority\":" + bad + "}")));
        EXPECT_EQ(code, "bad_request") << bad;
        EXPECT_EQ(field, "msg.metadata.priority") << bad;
    }
}

TEST(ArgsMessage, MetadataFieldTypesAreChecked) {
    struct Case {
        std::string metadata;
        std::string field;
    };
    const Case cases[] = {
        {"\"metadata\":[]", "msg.metadata"},
        {"\"metadata\":\"high\"", "msg.metadata"},
        {"\"metadata\":{\"retryCount\":\"1\"}", "msg.metadata.retryCount"},
        {"\"metadata\":{\"retryCount\":-1}", "msg.metadata.retryCount"},
        {"\"metadata\":{\"maxRetries\":1.5}", "msg.metadata.maxRetries"},
        {"\"metadata\":{\"maxRetries\":-2}", "msg.metadata.maxRetries"},
        {"\"metadata\":{\"ttl\":0}", "msg.metadata.ttl"},
        {"\"metadata\":{\"ttl\":-5}", "msg.metadata.ttl"},
        {"\"metadata\":{\"ttl\":\"60000\"}", "msg.metadata.ttl"},
        {"\"metadata\":{\"requiresAck\":\"yes\"}", "msg.metadata.requiresAck"},
        {"\"metadata\":{\"requiresAck\":1}", "msg.metadata.requiresAck"},
        {"\"metadata\":{\"correlationId\":5}", "msg.metadata"},
        {"\"metadata\":{\"sourceAgent\":{}}", "msg.metadata"},
        {"\"metadata\":{\"targetAgent\":[]}", "msg.metadata"},
        {"\"metadata\":{\"environment\":false}", "msg.metadata"},
    };
    for (const auto& c : cases) {
        auto [code, field] =
            expectError(decode(envelope("\"m\"", "\"TASK_PROGRESS\"", std::to_string(kNow), "\"s1\"", "{}", c.metadata)));
        EXPECT_EQ(code, "bad_request") << c.metadata;
        EXPECT_EQ(field, c.field) << c.metadata;
    }
    // Null metadata and null members mean "not given".
    const Message& m = expectMessage(decode(envelope("\"m\"", "\"TASK_PROGRESS\"", std::to_string(kNow), "\"s1\"", "{}",
                                                     "\"metadata\":{\"priority\":null,\"ttl\":null,\"requiresAck\":null}")));
    EXPECT_EQ(m.metadata.priority, args::Priority::Medium);
    EXPECT_FALSE(m.metadata.ttl.has_value());
    expectMessage(decode(envelope("\"m\"", "\"TASK_PROGRESS\"", std::to_string(kNow), "\"s1\"", "{}", "\"metadata\":null")));
}

TEST(ArgsMessage, TtlPassedIsExpired) {
    // Sent 2 s ago with a 1 s ttl: expired.
    auto [code, field] = expectError(decode(envelope("\"m\"", "\"TASK_PROGRESS\"", std::to_string(kNow - 2000), "\"s1\"",
                                                     "{}", "\"metadata\":{\"ttl\":1000}")));
    EXPECT_EQ(code, "expired");
    // Sent 0.5 s ago with a 1 s ttl: still good.
    const Message& m = expectMessage(decode(envelope("\"m\"", "\"TASK_PROGRESS\"", std::to_string(kNow - 500), "\"s1\"",
                                                     "{}", "\"metadata\":{\"ttl\":1000}")));
    EXPECT_EQ(m.metadata.ttl, std::optional<std::int64_t>(1000));
    // An old message without ttl never expires.
    expectMessage(decode(envelope("\"m\"", "\"TASK_PROGRESS\"", "1", "\"s1\"", "{}")));
}

TEST(ArgsMessage, EnvelopeErrorsComeBeforeTtl) {
    // Outside in: a bad type is reported even when the ttl has passed too.
    auto [code, field] = expectError(
        decode(envelope("\"m\"", "\"NOPE\"", std::to_string(kNow - 5000), "\"s1\"", "{}", "\"metadata\":{\"ttl\":1}")));
    EXPECT_EQ(code, "bad_request");
    EXPECT_EQ(field, "msg.type");
}

// A timestamp far in the future plus a ttl must not overflow: malformed input
// never crashes the server (PROTOCOL.md section 2). Run in a child process so
// a sanitizer abort fails this test only.
TEST(ArgsMessageDeathTest, HugeTimestampWithTtlDoesNotCrash) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    std::string text = envelope("\"m\"", "\"TASK_PROGRESS\"", std::to_string(std::numeric_limits<std::int64_t>::max()),
                                "\"s1\"", "{}", "\"metadata\":{\"ttl\":60000}");
    EXPECT_EXIT(
        {
            auto d = decode(text);
            // Sent "in the future": it has not expired; or refused as bad input. Never a crash.
            bool fine = std::holds_alternative<Message>(d) || std::get<Error>(d).code == ErrorCode::BadRequest;
            std::exit(fine ? 0 : 3);
        },
        ::testing::ExitedWithCode(0), "");
}

TEST(ArgsMessage, EncodeDecodeRoundTrip) {
    Message m;
    m.id = "args_rt";
    m.type = MessageType::CollaborationRequest;
    m.timestamp = kNow;
    m.sessionId = "sess:1";
    m.agentId = "agent-\"q\"";
    m.payloadJson = R"({"requestId":"r1","nested":[1,{"x":null}],"text":"é\n"})";
    m.metadata.priority = args::Priority::Critical;
    m.metadata.retryCount = 2;
    m.metadata.maxRetries = 5;
    m.metadata.ttl = 30000;
    m.metadata.requiresAck = true;
    m.metadata.correlationId = "c1";
    m.metadata.sourceAgent = "a";
    m.metadata.targetAgent = "b";
    m.metadata.environment = "staging";
    std::string text = args::encodeMessage(m);
    const Message& back = expectMessage(decode(text, kNow + 1000));
    EXPECT_EQ(back.id, m.id);
    EXPECT_EQ(back.type, m.type);
    EXPECT_EQ(back.timestamp, m.timestamp);
    EXPECT_EQ(back.sessionId, m.sessionId);
    EXPECT_EQ(back.agentId, m.agentId);
    EXPECT_EQ(str(parse(back.payloadJson)), str(parse(m.payloadJson)));
    EXPECT_EQ(back.metadata.priority, m.metadata.priority);
    EXPECT_EQ(back.metadata.retryCount, m.metadata.retryCount);
    EXPECT_EQ(back.metadata.maxRetries, m.metadata.maxRetries);
    EXPECT_EQ(back.metadata.ttl, m.metadata.ttl);
    EXPECT_EQ(back.metadata.requiresAck, m.metadata.requiresAck);
    EXPECT_EQ(back.metadata.correlationId, m.metadata.correlationId);
    EXPECT_EQ(back.metadata.sourceAgent, m.metadata.sourceAgent);
    EXPECT_EQ(back.metadata.targetAgent, m.metadata.targetAgent);
    EXPECT_EQ(back.metadata.environment, m.metadata.environment);
    // Encoding is stable.
    EXPECT_EQ(args::encodeMessage(back), text);
}

TEST(ArgsMessage, EncodeWritesProtocolFieldNames) {
    Message m;
    m.id = "x";
    m.type = MessageType::TaskAssign;
    m.timestamp = 5;
    m.sessionId = "s";
    m.payloadJson = "null";
    Document d = parse(args::encodeMessage(m));
    EXPECT_STREQ(d["id"].GetString(), "x");
    EXPECT_STREQ(d["type"].GetString(), "TASK_ASSIGN");
    EXPECT_EQ(d["timestamp"].GetInt64(), 5);
    EXPECT_STREQ(d["sessionId"].GetString(), "s");
    EXPECT_TRUE(d["payload"].IsNull());
    EXPECT_FALSE(d.HasMember("agentId"));
    EXPECT_STREQ(d["metadata"]["priority"].GetString(), "medium");
    EXPECT_FALSE(d["metadata"]["requiresAck"].GetBool());
}

}  // namespace
}  // namespace argstest
