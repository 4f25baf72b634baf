// Typed frames of the wire protocol (PROTOCOL.md sections 2-5, and the
// envelopes of 6-7). Arbitrary JSON values (`data`, `info`, ARGS `msg`) are
// kept as compact JSON text: the core routes them, it never interprets them.
#pragma once

#include "brolostack/protocol/codes.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

namespace brolostack::protocol {

/// A position in a room's stream: the client has seen up to `offset` in `epoch`.
struct StreamPosition {
    std::string epoch;
    std::uint64_t offset = 0;
    bool operator==(const StreamPosition& o) const { return epoch == o.epoch && offset == o.offset; }
};

struct ClientInfo {
    std::string name;
    std::string version;
    bool operator==(const ClientInfo& o) const { return name == o.name && version == o.version; }
};

struct ResumeState {
    std::string sid;
    std::string token;  // the earlier welcome's resumeToken: keeps its mid namespace
    std::map<std::string, StreamPosition> rooms;
    bool operator==(const ResumeState& o) const { return sid == o.sid && token == o.token && rooms == o.rooms; }
};

// ---- client -> server ----------------------------------------------------

struct HelloFrame {
    std::uint64_t ref = 0;
    int v = kProtocolVersion;
    std::optional<std::string> token;
    std::optional<std::string> apiKey;
    std::optional<ClientInfo> client;
    std::optional<ResumeState> resume;
    bool operator==(const HelloFrame& o) const {
        return ref == o.ref && v == o.v && token == o.token && apiKey == o.apiKey && client == o.client &&
               resume == o.resume;
    }
};

struct PingFrame {
    std::optional<std::string> tsJson;  // echoed back exactly as sent
    bool operator==(const PingFrame& o) const { return tsJson == o.tsJson; }
};

struct JoinFrame {
    std::uint64_t ref = 0;
    std::string room;
    std::optional<std::string> name;
    std::optional<std::string> infoJson;
    std::optional<StreamPosition> since;
    bool operator==(const JoinFrame& o) const {
        return ref == o.ref && room == o.room && name == o.name && infoJson == o.infoJson && since == o.since;
    }
};

struct LeaveFrame {
    std::uint64_t ref = 0;
    std::string room;
    bool operator==(const LeaveFrame& o) const { return ref == o.ref && room == o.room; }
};

struct PublishFrame {
    std::uint64_t ref = 0;
    std::string room;
    std::string event;
    std::string dataJson = "null";
    std::optional<std::string> mid;
    bool echo = false;
    bool operator==(const PublishFrame& o) const {
        return ref == o.ref && room == o.room && event == o.event && dataJson == o.dataJson && mid == o.mid &&
               echo == o.echo;
    }
};

struct HistoryFrame {
    std::uint64_t ref = 0;
    std::string room;
    std::optional<StreamPosition> since;
    std::optional<std::uint32_t> limit;
    bool operator==(const HistoryFrame& o) const {
        return ref == o.ref && room == o.room && since == o.since && limit == o.limit;
    }
};

struct MembersFrame {
    std::uint64_t ref = 0;
    std::string room;
    bool operator==(const MembersFrame& o) const { return ref == o.ref && room == o.room; }
};

struct SendFrame {
    std::uint64_t ref = 0;
    std::string event;
    std::string dataJson = "null";
    std::optional<std::string> mid;
    bool operator==(const SendFrame& o) const {
        return ref == o.ref && event == o.event && dataJson == o.dataJson && mid == o.mid;
    }
};

struct ArgsFrame {
    std::uint64_t ref = 0;
    std::string msgJson;  // the ARGS message object
    bool operator==(const ArgsFrame& o) const { return ref == o.ref && msgJson == o.msgJson; }
};

struct RefreshFrame {
    std::uint64_t ref = 0;
    std::string token;
    bool operator==(const RefreshFrame& o) const { return ref == o.ref && token == o.token; }
};

using ClientFrame = std::variant<HelloFrame, PingFrame, JoinFrame, LeaveFrame, PublishFrame, HistoryFrame,
                                 MembersFrame, SendFrame, ArgsFrame, RefreshFrame>;

// ---- server -> client ----------------------------------------------------

struct ReplyFrame {
    std::uint64_t ref = 0;
    bool ok = true;
    std::string dataJson = "{}";   // when ok
    Error error;                   // when !ok
    bool operator==(const ReplyFrame& o) const {
        return ref == o.ref && ok == o.ok && (ok ? dataJson == o.dataJson : error == o.error);
    }
};

struct ErrorFrame {
    Error error;
    std::string opOf;  // the op of the frame that failed ("" when unknown)
    bool operator==(const ErrorFrame& o) const { return error == o.error && opOf == o.opOf; }
};

struct PongFrame {
    std::optional<std::string> tsJson;
    std::int64_t serverTs = 0;
    bool operator==(const PongFrame& o) const { return tsJson == o.tsJson && serverTs == o.serverTs; }
};

/// A room member as others see it. `user` is absent for anonymous members.
struct MemberView {
    std::string sid;
    std::optional<std::string> user;
    std::string infoJson = "{}";
    bool operator==(const MemberView& o) const { return sid == o.sid && user == o.user && infoJson == o.infoJson; }
};

struct PresenceFrame {
    std::string room;
    std::string action;  // "join" | "leave"
    MemberView member;
    std::uint64_t memberCount = 0;
    bool operator==(const PresenceFrame& o) const {
        return room == o.room && action == o.action && member == o.member && memberCount == o.memberCount;
    }
};

/// Who published a message; both absent for messages from the server API.
struct Sender {
    std::optional<std::string> sid;
    std::optional<std::string> user;
    bool operator==(const Sender& o) const { return sid == o.sid && user == o.user; }
};

struct MessageFrame {
    std::string room;
    std::string event;
    std::string dataJson = "null";
    Sender from;
    std::uint64_t offset = 0;
    std::string epoch;
    std::int64_t ts = 0;
    std::optional<std::string> mid;
    bool operator==(const MessageFrame& o) const {
        return room == o.room && event == o.event && dataJson == o.dataJson && from == o.from &&
               offset == o.offset && epoch == o.epoch && ts == o.ts && mid == o.mid;
    }
};

/// One minute before a JWT expires: send `refresh` with a new token.
struct ExpiringFrame {
    std::int64_t inMs = 0;
    bool operator==(const ExpiringFrame& o) const { return inMs == o.inMs; }
};

/// The answer to an ARGS message with `requiresAck` that came without `ref`.
struct AckFrame {
    std::string id;  // the ARGS message id
    bool ok = true;
    std::optional<Error> error;
    bool operator==(const AckFrame& o) const { return id == o.id && ok == o.ok && error == o.error; }
};

/// An ARGS message pushed by the server; `room`, `offset` and `epoch` are
/// set when it was announced in a session room.
struct ArgsPushFrame {
    std::string msgJson;
    std::optional<std::string> room;
    std::uint64_t offset = 0;
    std::string epoch;
    bool operator==(const ArgsPushFrame& o) const {
        return msgJson == o.msgJson && room == o.room && offset == o.offset && epoch == o.epoch;
    }
};

using ServerFrame = std::variant<ReplyFrame, ErrorFrame, PongFrame, PresenceFrame, MessageFrame, ExpiringFrame,
                                 AckFrame, ArgsPushFrame>;

}  // namespace brolostack::protocol
