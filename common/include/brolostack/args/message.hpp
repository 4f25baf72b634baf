// The ARGS message envelope (PROTOCOL.md section 7): types, metadata, and
// strict decoding of what clients send.
#pragma once

#include "brolostack/protocol/codes.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace brolostack::args {

enum class MessageType {
    AgentRegister,
    AgentUnregister,
    TaskStart,
    TaskProgress,
    TaskComplete,
    TaskError,
    CollaborationRequest,
    CollaborationResponse,
    StreamStart,
    StreamData,
    StreamEnd,
    Heartbeat,
    SyncRequest,
    SyncResponse,
    TaskAssign,
    TaskCancel,
};

std::string_view messageTypeName(MessageType type);
std::optional<MessageType> messageTypeFromName(std::string_view name);

enum class Priority { Low, Medium, High, Critical };
std::string_view priorityName(Priority p);
std::optional<Priority> priorityFromName(std::string_view name);

struct Metadata {
    Priority priority = Priority::Medium;
    std::uint32_t retryCount = 0;
    std::optional<std::uint32_t> maxRetries;
    std::optional<std::int64_t> ttl;
    bool requiresAck = false;
    std::optional<std::string> correlationId;
    std::optional<std::string> sourceAgent;
    std::optional<std::string> targetAgent;
    std::optional<std::string> environment;
};

struct Message {
    std::string id;
    MessageType type = MessageType::Heartbeat;
    std::int64_t timestamp = 0;
    std::string sessionId;
    std::optional<std::string> agentId;
    std::string payloadJson = "null";
    Metadata metadata;
};

/// Decodes and checks an ARGS message object (the `msg` of an args frame):
/// the envelope fields, the type, the metadata, and the ttl against `now`
/// (`expired` when `timestamp + ttl` has passed).
std::variant<Message, protocol::Error> decodeMessage(std::string_view msgJson, std::int64_t now,
                                                     unsigned maxJsonDepth);

/// Compact JSON of a message, fields in the protocol's order.
std::string encodeMessage(const Message& m);

}  // namespace brolostack::args
