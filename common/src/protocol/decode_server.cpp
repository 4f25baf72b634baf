// Decoding of server frames, for clients built on the core and for tests.
// As strict about types as the client-frame decoder.
#include "brolostack/json.hpp"
#include "brolostack/protocol/codec.hpp"
#include "field_reader.hpp"

#include <array>
#include <utility>

namespace brolostack::protocol {
namespace {

using detail::FieldReader;

std::optional<ServerFrame> decodeReply(FieldReader& r) {
    ReplyFrame f;
    r.requiredUint("ref", f.ref, kMaxSafeInteger);
    f.ok = false;
    const json::Value* ok = r.find("ok");
    if (!ok || !ok->IsBool()) r.fail(ErrorCode::BadRequest, "ok", "field 'ok' must be true or false");
    if (r.failed()) return std::nullopt;
    f.ok = ok->GetBool();
    if (f.ok) r.anyJson("data", f.dataJson, "null");
    else r.requiredError("error", f.error);
    if (r.failed()) return std::nullopt;
    return f;
}

std::optional<ServerFrame> decodeErrorPush(FieldReader& r) {
    ErrorFrame f;
    r.requiredError("error", f.error);
    std::optional<std::string> opOf;
    r.optionalString("op_of", opOf, 0, 32);
    if (r.failed()) return std::nullopt;
    f.opOf = opOf.value_or("");
    return f;
}

std::optional<ServerFrame> decodePong(FieldReader& r) {
    PongFrame f;
    r.optionalNumberJson("ts", f.tsJson);
    r.requiredInt64("serverTs", f.serverTs);
    if (r.failed()) return std::nullopt;
    return f;
}

std::optional<ServerFrame> decodePresence(FieldReader& r) {
    PresenceFrame f;
    r.requiredRoom("room", f.room);
    r.requiredString("action", f.action, 1, 16);
    r.requiredMember("member", f.member);
    r.requiredUint("memberCount", f.memberCount, kMaxSafeInteger);
    if (r.failed()) return std::nullopt;
    if (f.action != "join" && f.action != "leave") {
        r.fail(ErrorCode::BadRequest, "action", "field 'action' must be 'join' or 'leave'");
        return std::nullopt;
    }
    return f;
}

std::optional<ServerFrame> decodeMessage(FieldReader& r) {
    MessageFrame f;
    r.requiredRoom("room", f.room);
    r.requiredString("event", f.event, 1, 64);
    r.anyJson("data", f.dataJson, "null");
    if (const json::Value* from = r.find("from")) {
        if (!from->IsObject()) {
            r.fail(ErrorCode::BadRequest, "from", "field 'from' must be an object");
            return std::nullopt;
        }
        FieldReader fr(*from);
        fr.optionalString("sid", f.from.sid, 1, 128);
        fr.optionalString("user", f.from.user, 0, 1024);
        if (fr.failed()) {
            r.fail(ErrorCode::BadRequest, "from", "field 'from' must be {sid, user}");
            return std::nullopt;
        }
    }
    r.requiredUint("offset", f.offset, kMaxSafeInteger);
    r.requiredString("epoch", f.epoch, 0, 64);
    r.requiredInt64("ts", f.ts);
    r.optionalString("mid", f.mid, 1, 64);
    if (r.failed()) return std::nullopt;
    return f;
}

std::optional<ServerFrame> decodeExpiring(FieldReader& r) {
    ExpiringFrame f;
    if (!r.requiredInt64("inMs", f.inMs)) return std::nullopt;
    return f;
}

std::optional<ServerFrame> decodeAck(FieldReader& r) {
    AckFrame f;
    r.requiredString("id", f.id, 1, 128);
    const json::Value* ok = r.find("ok");
    if (!ok || !ok->IsBool()) r.fail(ErrorCode::BadRequest, "ok", "field 'ok' must be true or false");
    if (r.failed()) return std::nullopt;
    f.ok = ok->GetBool();
    if (r.find("error")) {
        Error e;
        if (!r.requiredError("error", e)) return std::nullopt;
        f.error = std::move(e);
    }
    return f;
}

std::optional<ServerFrame> decodeArgsPush(FieldReader& r) {
    ArgsPushFrame f;
    r.requiredObjectJson("msg", f.msgJson);
    std::optional<std::string> room;
    r.optionalString("room", room, 1, 128);
    if (room) {
        f.room = std::move(room);
        r.requiredUint("offset", f.offset, kMaxSafeInteger);
        r.requiredString("epoch", f.epoch, 0, 64);
    }
    if (r.failed()) return std::nullopt;
    return f;
}

using Decoder = std::optional<ServerFrame> (*)(FieldReader&);

constexpr std::array<std::pair<std::string_view, Decoder>, 8> kDecoders{{
    {"reply", decodeReply},
    {"error", decodeErrorPush},
    {"pong", decodePong},
    {"presence", decodePresence},
    {"message", decodeMessage},
    {"expiring", decodeExpiring},
    {"ack", decodeAck},
    {"args", decodeArgsPush},
}};

}  // namespace

DecodedServerFrame decodeServerFrame(std::string_view text, const DecodeLimits& limits) {
    DecodedServerFrame out;
    json::Document& doc = json::scratchDocument();
    auto parsed = json::parseStrict(text, doc, limits.maxMessageBytes, limits.maxJsonDepth, true, limits.knownUtf8);
    if (!parsed.ok()) {
        Error e;
        e.code = parsed.failure == json::ParseFailure::TooLarge ? ErrorCode::TooLarge : ErrorCode::BadRequest;
        e.message = parsed.reason;
        out.error = std::move(e);
        return out;
    }
    FieldReader reader(doc);
    std::string op;
    if (!reader.requiredString("op", op, 1, 32)) {
        out.error = reader.error();
        return out;
    }
    for (const auto& [name, decode] : kDecoders) {
        if (name != op) continue;
        out.frame = decode(reader);
        if (!out.frame) out.error = reader.error();
        return out;
    }
    Error e;
    e.code = ErrorCode::UnknownOp;
    e.message = "unknown op '" + op + "'";
    out.error = std::move(e);
    return out;
}

std::optional<MemberView> decodeMember(std::string_view text) {
    json::Document doc;
    doc.Parse(text.data(), text.size());
    MemberView member;
    if (doc.HasParseError() || !FieldReader::memberFrom(doc, member)) return std::nullopt;
    return member;
}

}  // namespace brolostack::protocol
