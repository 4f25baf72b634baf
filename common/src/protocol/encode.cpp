// Encoding of every frame with one reused buffer per thread. Field order is
// fixed (as in PROTOCOL.md's examples) so equal frames encode to equal bytes
// on every build, native and wasm alike.
#include "brolostack/json.hpp"
#include "brolostack/protocol/codec.hpp"
#include "brolostack/protocol/identifiers.hpp"
#include "brolostack/protocol/json_writers.hpp"

#include <type_traits>

namespace brolostack::protocol {
namespace {

using json::writeKey;
using json::writeRaw;
using json::writeString;
using json::Writer;


void writeOptionalString(Writer& w, std::string_view key, const std::optional<std::string>& value) {
    if (!value) return;
    writeKey(w, key);
    writeString(w, *value);
}

void writeStringOrNull(Writer& w, std::string_view key, const std::optional<std::string>& value) {
    writeKey(w, key);
    if (value) writeString(w, *value);
    else w.Null();
}

void writePositionObject(Writer& w, const StreamPosition& p) {
    w.StartObject();
    writeKey(w, "epoch");
    writeString(w, p.epoch);
    writeKey(w, "offset");
    w.Uint64(p.offset);
    w.EndObject();
}

void writeErrorObject(Writer& w, const Error& e) {
    w.StartObject();
    writeKey(w, "code");
    writeString(w, errorCodeName(e.code));
    writeKey(w, "message");
    writeString(w, e.message);
    writeKey(w, "details");
    writeRaw(w, e.detailsJson.empty() ? "{}" : e.detailsJson);
    w.EndObject();
}

void writeRef(Writer& w, std::uint64_t ref) {
    if (ref == 0) return;
    writeKey(w, "ref");
    w.Uint64(ref);
}

void writeOp(Writer& w, std::string_view op) {
    writeKey(w, "op");
    writeString(w, op);
}

void writeFrame(Writer& w, const HelloFrame& f) {
    writeRef(w, f.ref);
    writeKey(w, "v");
    w.Int(f.v);
    writeOptionalString(w, "token", f.token);
    writeOptionalString(w, "apiKey", f.apiKey);
    if (f.client) {
        writeKey(w, "client");
        w.StartObject();
        writeKey(w, "name");
        writeString(w, f.client->name);
        writeKey(w, "version");
        writeString(w, f.client->version);
        w.EndObject();
    }
    if (f.resume) {
        writeKey(w, "resume");
        w.StartObject();
        if (!f.resume->sid.empty()) {
            writeKey(w, "sid");
            writeString(w, f.resume->sid);
        }
        if (!f.resume->token.empty()) {
            writeKey(w, "token");
            writeString(w, f.resume->token);
        }
        writeKey(w, "rooms");
        w.StartObject();
        for (const auto& [room, position] : f.resume->rooms) {
            writeKey(w, room);
            writePositionObject(w, position);
        }
        w.EndObject();
        w.EndObject();
    }
}

void writeFrame(Writer& w, const PingFrame& f) {
    if (!f.tsJson) return;
    writeKey(w, "ts");
    w.RawValue(f.tsJson->data(), f.tsJson->size(), rapidjson::kNumberType);
}

void writeFrame(Writer& w, const JoinFrame& f) {
    writeRef(w, f.ref);
    writeKey(w, "room");
    writeString(w, f.room);
    writeOptionalString(w, "name", f.name);
    if (f.infoJson) {
        writeKey(w, "info");
        writeRaw(w, *f.infoJson);
    }
    if (f.since) {
        writeKey(w, "since");
        writePositionObject(w, *f.since);
    }
}

void writeFrame(Writer& w, const LeaveFrame& f) {
    writeRef(w, f.ref);
    writeKey(w, "room");
    writeString(w, f.room);
}

void writeFrame(Writer& w, const PublishFrame& f) {
    writeRef(w, f.ref);
    writeKey(w, "room");
    writeString(w, f.room);
    writeKey(w, "event");
    writeString(w, f.event);
    writeKey(w, "data");
    writeRaw(w, f.dataJson);
    writeOptionalString(w, "mid", f.mid);
    writeKey(w, "echo");
    w.Bool(f.echo);
}

void writeFrame(Writer& w, const HistoryFrame& f) {
    writeRef(w, f.ref);
    writeKey(w, "room");
    writeString(w, f.room);
    if (f.since) {
        writeKey(w, "since");
        writePositionObject(w, *f.since);
    }
    if (f.limit) {
        writeKey(w, "limit");
        w.Uint(*f.limit);
    }
}

void writeFrame(Writer& w, const MembersFrame& f) {
    writeRef(w, f.ref);
    writeKey(w, "room");
    writeString(w, f.room);
}

void writeFrame(Writer& w, const SendFrame& f) {
    writeRef(w, f.ref);
    writeKey(w, "event");
    writeString(w, f.event);
    writeKey(w, "data");
    writeRaw(w, f.dataJson);
    writeOptionalString(w, "mid", f.mid);
}

void writeFrame(Writer& w, const ArgsFrame& f) {
    writeRef(w, f.ref);
    writeKey(w, "msg");
    writeRaw(w, f.msgJson);
}

void writeFrame(Writer& w, const RefreshFrame& f) {
    writeRef(w, f.ref);
    writeKey(w, "token");
    writeString(w, f.token);
}

void writeFrame(Writer& w, const ReplyFrame& f) {
    writeKey(w, "ref");
    w.Uint64(f.ref);
    writeKey(w, "ok");
    w.Bool(f.ok);
    if (f.ok) {
        writeKey(w, "data");
        writeRaw(w, f.dataJson);
    } else {
        writeKey(w, "error");
        writeErrorObject(w, f.error);
    }
}

void writeFrame(Writer& w, const ErrorFrame& f) {
    writeKey(w, "error");
    writeErrorObject(w, f.error);
    if (!f.opOf.empty()) {
        writeKey(w, "op_of");
        writeString(w, f.opOf);
    }
}

void writeFrame(Writer& w, const PongFrame& f) {
    if (f.tsJson) {
        writeKey(w, "ts");
        w.RawValue(f.tsJson->data(), f.tsJson->size(), rapidjson::kNumberType);
    }
    writeKey(w, "serverTs");
    w.Int64(f.serverTs);
}

void writeMemberObject(Writer& w, const MemberView& m) {
    w.StartObject();
    writeKey(w, "sid");
    writeString(w, m.sid);
    writeStringOrNull(w, "user", m.user);
    writeKey(w, "info");
    writeRaw(w, m.infoJson);
    w.EndObject();
}

void writeFrame(Writer& w, const PresenceFrame& f) {
    writeKey(w, "room");
    writeString(w, f.room);
    writeKey(w, "action");
    writeString(w, f.action);
    writeKey(w, "member");
    writeMemberObject(w, f.member);
    writeKey(w, "memberCount");
    w.Uint64(f.memberCount);
}

/// Who sent what where: a message's fields before its position.
void writeMessageContent(Writer& w, const MessageFrame& f) {
    writeKey(w, "room");
    writeString(w, f.room);
    writeKey(w, "event");
    writeString(w, f.event);
    writeKey(w, "data");
    writeRaw(w, f.dataJson);
    writeKey(w, "from");
    w.StartObject();
    writeStringOrNull(w, "sid", f.from.sid);
    writeStringOrNull(w, "user", f.from.user);
    w.EndObject();
}

void writeMessageTimeAndMid(Writer& w, const MessageFrame& f) {
    writeKey(w, "ts");
    w.Int64(f.ts);
    writeOptionalString(w, "mid", f.mid);
}

void writeFrame(Writer& w, const MessageFrame& f) {
    writeMessageContent(w, f);
    writeKey(w, "offset");
    w.Uint64(f.offset);
    writeKey(w, "epoch");
    writeString(w, f.epoch);
    writeMessageTimeAndMid(w, f);
}

void writeFrame(Writer& w, const ExpiringFrame& f) {
    writeKey(w, "inMs");
    w.Int64(f.inMs);
}

void writeFrame(Writer& w, const AckFrame& f) {
    writeKey(w, "id");
    writeString(w, f.id);
    writeKey(w, "ok");
    w.Bool(f.ok);
    if (f.error) {
        writeKey(w, "error");
        writeErrorObject(w, *f.error);
    }
}

void writeFrame(Writer& w, const ArgsPushFrame& f) {
    writeKey(w, "msg");
    writeRaw(w, f.msgJson);
    if (f.room) {
        writeKey(w, "room");
        writeString(w, *f.room);
        writeKey(w, "offset");
        w.Uint64(f.offset);
        writeKey(w, "epoch");
        writeString(w, f.epoch);
    }
}

template <class Variant>
std::string encodeVariant(const Variant& frame) {
    thread_local rapidjson::StringBuffer buffer;
    buffer.Clear();
    Writer w(buffer);
    w.StartObject();
    writeOp(w, opName(frame));
    std::visit([&w](const auto& f) { writeFrame(w, f); }, frame);
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

constexpr std::string_view kServerOps[] = {"reply", "error", "pong", "presence", "message", "expiring", "ack", "args"};
static_assert(std::variant_size_v<ServerFrame> == std::size(kServerOps), "one op name per server frame");

}  // namespace

std::string encodeClientFrame(const ClientFrame& frame) { return encodeVariant(frame); }
std::string encodeServerFrame(const ServerFrame& frame) { return encodeVariant(frame); }
std::string_view opName(const ServerFrame& frame) { return kServerOps[frame.index()]; }

std::string encodeUnplacedMessage(const MessageFrame& frame) {
    thread_local rapidjson::StringBuffer buffer;
    buffer.Clear();
    Writer w(buffer);
    w.StartObject();
    writeOp(w, "message");
    writeMessageContent(w, frame);
    writeMessageTimeAndMid(w, frame);
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

std::optional<std::string> placeMessage(std::string_view unplaced, std::uint64_t offset, std::string_view epoch) {
    if (unplaced.size() < 3 || unplaced.front() != '{' || unplaced.back() != '}') return std::nullopt;
    if (!isValidEpoch(epoch) || offset == 0 || offset > kMaxSafeInteger) return std::nullopt;
    std::string frame;
    frame.reserve(unplaced.size() + epoch.size() + 40);
    frame.append(unplaced, 0, unplaced.size() - 1);
    frame += ",\"offset\":";
    frame += std::to_string(offset);
    frame += ",\"epoch\":\"";
    frame += epoch;  // no escaping needed: isValidEpoch allows no quote nor backslash
    frame += "\"}";
    return frame;
}

void writeError(json::Writer& w, const Error& e) { writeErrorObject(w, e); }
void writeMember(json::Writer& w, const MemberView& m) { writeMemberObject(w, m); }
void writePosition(json::Writer& w, const StreamPosition& p) { writePositionObject(w, p); }
void writeMessageFields(json::Writer& w, const MessageFrame& f) {
    writeOp(w, "message");
    writeFrame(w, f);
}

}  // namespace brolostack::protocol
