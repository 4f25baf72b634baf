// Strict decoding of client frames. Checks run from the outside in (JSON,
// op, the frame's own fields) and the first failing check names the error.
#include "brolostack/json.hpp"
#include "brolostack/protocol/codec.hpp"
#include "brolostack/protocol/identifiers.hpp"
#include "field_reader.hpp"

#include <array>
#include <utility>

namespace brolostack::protocol {
namespace {

using detail::FieldReader;

constexpr std::size_t kMaxTokenBytes = 8192;
constexpr std::size_t kMaxNameBytes = 256;

std::optional<ClientFrame> decodeHello(FieldReader& r, const json::Value& obj, std::uint64_t ref) {
    HelloFrame f;
    f.ref = ref;
    if (ref == 0) {
        r.fail(ErrorCode::BadRequest, "ref", "field 'ref' is required in hello");
        return std::nullopt;
    }
    std::uint64_t v = 0;
    if (!r.requiredUint("v", v, 1000)) return std::nullopt;
    if (v != static_cast<std::uint64_t>(kProtocolVersion)) {
        r.fail(ErrorCode::BadRequest, "v", "unsupported protocol version " + std::to_string(v) + "; this server speaks 1");
        return std::nullopt;
    }
    f.v = static_cast<int>(v);
    r.optionalString("token", f.token, 1, kMaxTokenBytes);
    r.optionalString("apiKey", f.apiKey, 1, kMaxTokenBytes);
    if (const json::Value* client = r.find("client")) {
        if (!client->IsObject()) {
            r.fail(ErrorCode::BadRequest, "client", "field 'client' must be an object");
            return std::nullopt;
        }
        FieldReader cr(*client);
        std::optional<std::string> name, version;
        cr.optionalString("name", name, 0, kMaxNameBytes);
        cr.optionalString("version", version, 0, kMaxNameBytes);
        if (cr.failed()) {
            r.fail(ErrorCode::BadRequest, "client", "field 'client' must be {name, version} strings");
            return std::nullopt;
        }
        f.client = ClientInfo{name.value_or(""), version.value_or("")};
    }
    if (const json::Value* resume = r.find("resume")) {
        if (!resume->IsObject()) {
            r.fail(ErrorCode::BadRequest, "resume", "field 'resume' must be an object");
            return std::nullopt;
        }
        FieldReader rr(*resume);
        ResumeState state;
        std::optional<std::string> sid;
        if (!rr.optionalString("sid", sid, 1, 128)) {
            r.fail(ErrorCode::BadRequest, "resume.sid", "field 'resume.sid' must be a string of 1-128 bytes");
            return std::nullopt;
        }
        state.sid = sid.value_or("");
        std::optional<std::string> token;
        if (!rr.optionalString("token", token, 1, 128)) {
            r.fail(ErrorCode::BadRequest, "resume.token", "field 'resume.token' must be a string of 1-128 bytes");
            return std::nullopt;
        }
        state.token = token.value_or("");
        if (const json::Value* rooms = rr.find("rooms")) {
            if (!rooms->IsObject()) {
                r.fail(ErrorCode::BadRequest, "resume.rooms", "field 'resume.rooms' must be an object");
                return std::nullopt;
            }
            for (auto it = rooms->MemberBegin(); it != rooms->MemberEnd(); ++it) {
                std::string room(it->name.GetString(), it->name.GetStringLength());
                if (!isValidRoomId(room)) {
                    r.fail(ErrorCode::BadRequest, "resume.rooms", "invalid room id in 'resume.rooms'");
                    return std::nullopt;
                }
                StreamPosition p;
                if (!r.position(it->value, "resume.rooms." + room, p)) return std::nullopt;
                state.rooms.emplace(std::move(room), std::move(p));
            }
        }
        f.resume = std::move(state);
    }
    (void)obj;
    if (r.failed()) return std::nullopt;
    return f;
}

std::optional<ClientFrame> decodePing(FieldReader& r, const json::Value&, std::uint64_t) {
    PingFrame f;
    if (!r.optionalNumberJson("ts", f.tsJson)) return std::nullopt;
    return f;
}

std::optional<ClientFrame> decodeJoin(FieldReader& r, const json::Value&, std::uint64_t ref) {
    JoinFrame f;
    f.ref = ref;
    r.requiredRoom("room", f.room);
    r.optionalString("name", f.name, 0, kMaxNameBytes);
    r.optionalObjectJson("info", f.infoJson);
    r.optionalPosition("since", f.since);
    if (r.failed()) return std::nullopt;
    return f;
}

std::optional<ClientFrame> decodeLeave(FieldReader& r, const json::Value&, std::uint64_t ref) {
    LeaveFrame f;
    f.ref = ref;
    if (!r.requiredRoom("room", f.room)) return std::nullopt;
    return f;
}

std::optional<ClientFrame> decodePublish(FieldReader& r, const json::Value&, std::uint64_t ref) {
    PublishFrame f;
    f.ref = ref;
    r.requiredRoom("room", f.room);
    r.requiredString("event", f.event, 1, kMaxEventBytes);
    r.anyJson("data", f.dataJson, "null");
    r.optionalString("mid", f.mid, 1, kMaxMidBytes);
    r.optionalBool("echo", f.echo);
    if (r.failed()) return std::nullopt;
    return f;
}

std::optional<ClientFrame> decodeHistory(FieldReader& r, const json::Value&, std::uint64_t ref) {
    HistoryFrame f;
    f.ref = ref;
    r.requiredRoom("room", f.room);
    r.optionalPosition("since", f.since);
    std::optional<std::uint64_t> limit;
    r.optionalUint("limit", limit, 1, 1000000);
    if (r.failed()) return std::nullopt;
    if (limit) f.limit = static_cast<std::uint32_t>(*limit);
    return f;
}

std::optional<ClientFrame> decodeMembers(FieldReader& r, const json::Value&, std::uint64_t ref) {
    MembersFrame f;
    f.ref = ref;
    if (!r.requiredRoom("room", f.room)) return std::nullopt;
    return f;
}

std::optional<ClientFrame> decodeSend(FieldReader& r, const json::Value&, std::uint64_t ref) {
    SendFrame f;
    f.ref = ref;
    r.requiredString("event", f.event, 1, kMaxEventBytes);
    r.anyJson("data", f.dataJson, "null");
    r.optionalString("mid", f.mid, 1, kMaxMidBytes);
    if (r.failed()) return std::nullopt;
    return f;
}

std::optional<ClientFrame> decodeArgs(FieldReader& r, const json::Value&, std::uint64_t ref) {
    ArgsFrame f;
    f.ref = ref;
    if (!r.requiredObjectJson("msg", f.msgJson)) return std::nullopt;
    return f;
}

std::optional<ClientFrame> decodeRefresh(FieldReader& r, const json::Value&, std::uint64_t ref) {
    RefreshFrame f;
    f.ref = ref;
    if (!r.requiredString("token", f.token, 1, kMaxTokenBytes)) return std::nullopt;
    return f;
}

using Decoder = std::optional<ClientFrame> (*)(FieldReader&, const json::Value&, std::uint64_t);

constexpr std::array<std::pair<std::string_view, Decoder>, 10> kDecoders{{
    {"hello", decodeHello},
    {"ping", decodePing},
    {"join", decodeJoin},
    {"leave", decodeLeave},
    {"publish", decodePublish},
    {"history", decodeHistory},
    {"members", decodeMembers},
    {"send", decodeSend},
    {"args", decodeArgs},
    {"refresh", decodeRefresh},
}};

Error parseError(const json::ParseResult& parsed) {
    Error e;
    e.code = parsed.failure == json::ParseFailure::TooLarge ? ErrorCode::TooLarge : ErrorCode::BadRequest;
    e.message = parsed.reason;
    e.detailsJson = "{\"offset\":" + std::to_string(parsed.offset) + "}";
    return e;
}

}  // namespace

/// The number at the top-level `key` as the client wrote it. The DOM holds
/// numbers as int64 or double, which would echo a 30-digit integer as
/// 1.2345678901234566e+29 and -0 as 0; a second parse that keeps numbers
/// as text gives the token back. Only pings need it, once per heartbeat.
std::optional<std::string> verbatimNumber(std::string_view text, const char* key) {
    json::Document doc;
    doc.Parse<rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseIterativeFlag>(text.data(), text.size());
    if (!doc.IsObject()) return std::nullopt;
    auto it = doc.FindMember(key);
    if (it == doc.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

DecodedClientFrame decodeClientFrame(std::string_view text, const DecodeLimits& limits) {
    DecodedClientFrame out;
    json::Document& doc = json::scratchDocument();
    auto parsed = json::parseStrict(text, doc, limits.maxMessageBytes, limits.maxJsonDepth, true, limits.knownUtf8);
    if (!parsed.ok()) {
        out.error = parseError(parsed);
        return out;
    }
    FieldReader reader(doc);
    if (!reader.requiredString("op", out.op, 1, 32)) {
        out.error = reader.error();
        return out;
    }
    // Read ref before the op's own fields so that any later failure can be
    // answered as a reply to it.
    if (!reader.optionalRef(out.ref)) {
        out.error = reader.error();
        return out;
    }
    for (const auto& [name, decode] : kDecoders) {
        if (name != out.op) continue;
        out.frame = decode(reader, doc, out.ref);
        if (!out.frame) out.error = reader.error();
        if (auto* ping = out.frame ? std::get_if<PingFrame>(&*out.frame) : nullptr; ping && ping->tsJson)
            if (auto verbatim = verbatimNumber(text, "ts")) ping->tsJson = std::move(verbatim);
        return out;
    }
    Error e;
    e.code = ErrorCode::UnknownOp;
    e.message = "unknown op '" + out.op + "'";
    out.error = std::move(e);
    return out;
}

std::string_view opName(const ClientFrame& frame) {
    return kDecoders[frame.index()].first;
}

}  // namespace brolostack::protocol
