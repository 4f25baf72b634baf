#include "brolostack/args/message.hpp"

#include "brolostack/json.hpp"
#include "brolostack/protocol/identifiers.hpp"

#include <array>
#include <utility>

namespace brolostack::args {
namespace {

using protocol::Error;
using protocol::ErrorCode;

constexpr std::array<std::pair<MessageType, std::string_view>, 16> kTypes{{
    {MessageType::AgentRegister, "AGENT_REGISTER"},
    {MessageType::AgentUnregister, "AGENT_UNREGISTER"},
    {MessageType::TaskStart, "TASK_START"},
    {MessageType::TaskProgress, "TASK_PROGRESS"},
    {MessageType::TaskComplete, "TASK_COMPLETE"},
    {MessageType::TaskError, "TASK_ERROR"},
    {MessageType::CollaborationRequest, "COLLABORATION_REQUEST"},
    {MessageType::CollaborationResponse, "COLLABORATION_RESPONSE"},
    {MessageType::StreamStart, "STREAM_START"},
    {MessageType::StreamData, "STREAM_DATA"},
    {MessageType::StreamEnd, "STREAM_END"},
    {MessageType::Heartbeat, "HEARTBEAT"},
    {MessageType::SyncRequest, "SYNC_REQUEST"},
    {MessageType::SyncResponse, "SYNC_RESPONSE"},
    {MessageType::TaskAssign, "TASK_ASSIGN"},
    {MessageType::TaskCancel, "TASK_CANCEL"},
}};

constexpr std::array<std::pair<Priority, std::string_view>, 4> kPriorities{{
    {Priority::Low, "low"},
    {Priority::Medium, "medium"},
    {Priority::High, "high"},
    {Priority::Critical, "critical"},
}};

Error fieldError(const std::string& field, const std::string& message) {
    Error e;
    e.code = ErrorCode::BadRequest;
    e.message = message;
    e.detailsJson = "{\"field\":\"msg." + field + "\"}";
    return e;
}

std::optional<std::string> optionalString(const json::Value& obj, const char* name, bool& bad) {
    auto it = obj.FindMember(name);
    if (it == obj.MemberEnd() || it->value.IsNull()) return std::nullopt;
    if (!it->value.IsString() || it->value.GetStringLength() > 256) {
        bad = true;
        return std::nullopt;
    }
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::variant<Metadata, Error> decodeMetadata(const json::Value& obj) {
    Metadata m;
    if (!obj.IsObject()) return fieldError("metadata", "field 'msg.metadata' must be an object");
    auto priority = obj.FindMember("priority");
    if (priority != obj.MemberEnd() && !priority->value.IsNull()) {
        auto p = priority->value.IsString() ? priorityFromName(priority->value.GetString()) : std::nullopt;
        if (!p) return fieldError("metadata.priority", "field 'msg.metadata.priority' must be low, medium, high or critical");
        m.priority = *p;
    }
    auto uintField = [&](const char* name, std::optional<std::uint32_t>& out) -> bool {
        auto it = obj.FindMember(name);
        if (it == obj.MemberEnd() || it->value.IsNull()) return true;
        if (!it->value.IsUint() || it->value.GetUint() > 1000) return false;
        out = it->value.GetUint();
        return true;
    };
    std::optional<std::uint32_t> retryCount;
    if (!uintField("retryCount", retryCount)) return fieldError("metadata.retryCount", "field 'msg.metadata.retryCount' must be an integer from 0 to 1000");
    m.retryCount = retryCount.value_or(0);
    if (!uintField("maxRetries", m.maxRetries)) return fieldError("metadata.maxRetries", "field 'msg.metadata.maxRetries' must be an integer from 0 to 1000");
    auto ttl = obj.FindMember("ttl");
    if (ttl != obj.MemberEnd() && !ttl->value.IsNull()) {
        if (!ttl->value.IsInt64() || ttl->value.GetInt64() <= 0)
            return fieldError("metadata.ttl", "field 'msg.metadata.ttl' must be a positive integer (ms)");
        m.ttl = ttl->value.GetInt64();
    }
    auto ack = obj.FindMember("requiresAck");
    if (ack != obj.MemberEnd() && !ack->value.IsNull()) {
        if (!ack->value.IsBool()) return fieldError("metadata.requiresAck", "field 'msg.metadata.requiresAck' must be true or false");
        m.requiresAck = ack->value.GetBool();
    }
    bool bad = false;
    m.correlationId = optionalString(obj, "correlationId", bad);
    m.sourceAgent = optionalString(obj, "sourceAgent", bad);
    m.targetAgent = optionalString(obj, "targetAgent", bad);
    m.environment = optionalString(obj, "environment", bad);
    if (bad) return fieldError("metadata", "metadata strings must be at most 256 bytes");
    return m;
}

}  // namespace

std::string_view messageTypeName(MessageType type) {
    for (const auto& [t, name] : kTypes)
        if (t == type) return name;
    return "HEARTBEAT";
}

std::optional<MessageType> messageTypeFromName(std::string_view name) {
    for (const auto& [t, n] : kTypes)
        if (n == name) return t;
    return std::nullopt;
}

std::string_view priorityName(Priority p) {
    for (const auto& [value, name] : kPriorities)
        if (value == p) return name;
    return "medium";
}

std::optional<Priority> priorityFromName(std::string_view name) {
    for (const auto& [value, n] : kPriorities)
        if (n == name) return value;
    return std::nullopt;
}

std::variant<Message, Error> decodeMessage(std::string_view msgJson, std::int64_t now, unsigned maxJsonDepth) {
    json::Document doc;
    auto parsed = json::parseStrict(msgJson, doc, msgJson.size(), maxJsonDepth, true);
    if (!parsed.ok()) return fieldError("", "field 'msg' must be an ARGS message object");
    Message m;
    auto str = [&](const char* name, std::string& out, std::size_t maxBytes) -> bool {
        auto it = doc.FindMember(name);
        if (it == doc.MemberEnd() || !it->value.IsString() || it->value.GetStringLength() == 0 ||
            it->value.GetStringLength() > maxBytes)
            return false;
        out.assign(it->value.GetString(), it->value.GetStringLength());
        return true;
    };
    if (!str("id", m.id, 128)) return fieldError("id", "field 'msg.id' must be a string of 1-128 bytes");
    std::string type;
    if (!str("type", type, 64)) return fieldError("type", "field 'msg.type' must be a string");
    auto t = messageTypeFromName(type);
    if (!t) return fieldError("type", "unknown ARGS type '" + type + "'");
    m.type = *t;
    auto ts = doc.FindMember("timestamp");
    if (ts == doc.MemberEnd() || !ts->value.IsInt64() || ts->value.GetInt64() < 0)
        return fieldError("timestamp", "field 'msg.timestamp' must be epoch milliseconds");
    m.timestamp = ts->value.GetInt64();
    if (!str("sessionId", m.sessionId, protocol::kMaxSessionIdBytes) || !protocol::isValidSessionId(m.sessionId))
        return fieldError("sessionId", "field 'msg.sessionId' must be 1-119 bytes of A-Z a-z 0-9 _ . : @ -");
    auto payload = doc.FindMember("payload");
    if (payload == doc.MemberEnd()) return fieldError("payload", "field 'msg.payload' is required (it may be null)");
    m.payloadJson = json::toString(payload->value);
    auto agent = doc.FindMember("agentId");
    if (agent != doc.MemberEnd() && !agent->value.IsNull()) {
        if (!agent->value.IsString() || agent->value.GetStringLength() == 0 || agent->value.GetStringLength() > 128)
            return fieldError("agentId", "field 'msg.agentId' must be a string of 1-128 bytes");
        m.agentId = std::string(agent->value.GetString(), agent->value.GetStringLength());
    }
    auto metadata = doc.FindMember("metadata");
    if (metadata != doc.MemberEnd() && !metadata->value.IsNull()) {
        auto decoded = decodeMetadata(metadata->value);
        if (auto* e = std::get_if<Error>(&decoded)) return *e;
        m.metadata = std::get<Metadata>(std::move(decoded));
    }
    // now - timestamp cannot overflow (both are non-negative); the sum could.
    if (m.metadata.ttl && now - m.timestamp >= *m.metadata.ttl) {
        Error e;
        e.code = ErrorCode::Expired;
        e.message = "the message has expired: its ttl has passed";
        return e;
    }
    return m;
}

std::string encodeMessage(const Message& m) {
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    auto optional = [&](const char* key, const std::optional<std::string>& v) {
        if (!v) return;
        json::writeKey(w, key);
        json::writeString(w, *v);
    };
    w.StartObject();
    json::writeKey(w, "id");
    json::writeString(w, m.id);
    json::writeKey(w, "type");
    json::writeString(w, messageTypeName(m.type));
    json::writeKey(w, "timestamp");
    w.Int64(m.timestamp);
    json::writeKey(w, "sessionId");
    json::writeString(w, m.sessionId);
    optional("agentId", m.agentId);
    json::writeKey(w, "payload");
    json::writeRaw(w, m.payloadJson);
    json::writeKey(w, "metadata");
    w.StartObject();
    json::writeKey(w, "priority");
    json::writeString(w, priorityName(m.metadata.priority));
    json::writeKey(w, "retryCount");
    w.Uint(m.metadata.retryCount);
    if (m.metadata.maxRetries) {
        json::writeKey(w, "maxRetries");
        w.Uint(*m.metadata.maxRetries);
    }
    if (m.metadata.ttl) {
        json::writeKey(w, "ttl");
        w.Int64(*m.metadata.ttl);
    }
    json::writeKey(w, "requiresAck");
    w.Bool(m.metadata.requiresAck);
    optional("correlationId", m.metadata.correlationId);
    optional("sourceAgent", m.metadata.sourceAgent);
    optional("targetAgent", m.metadata.targetAgent);
    optional("environment", m.metadata.environment);
    w.EndObject();
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace brolostack::args
