// Encoding and strict decoding of the reply bodies in replies.hpp. A client
// reads them from a server it may not trust to be this build: every field
// is checked, as in the frame decoders.
#include "brolostack/protocol/replies.hpp"

#include "brolostack/json.hpp"
#include "brolostack/protocol/codec.hpp"
#include "brolostack/protocol/json_writers.hpp"
#include "field_reader.hpp"

namespace brolostack::protocol {
namespace {

using detail::FieldReader;

// Bodies are the data of frames that passed the frame decoder's limits.
constexpr unsigned kMaxBodyDepth = 64;

void writeJoinReplyFields(json::Writer& w, const JoinReply& r) {
    json::writeKey(w, "room");
    json::writeString(w, r.room);
    json::writeKey(w, "name");
    json::writeString(w, r.name);
    json::writeKey(w, "epoch");
    json::writeString(w, r.position.epoch);
    json::writeKey(w, "offset");
    w.Uint64(r.position.offset);
    json::writeKey(w, "members");
    w.StartArray();
    for (const auto& m : r.members) writeMember(w, m);
    w.EndArray();
    json::writeKey(w, "memberCount");
    w.Uint64(r.memberCount);
    json::writeKey(w, "recovered");
    w.Bool(r.recovered);
    json::writeKey(w, "missed");
    w.StartArray();
    for (const auto& frame : r.missed) json::writeRaw(w, *frame);
    w.EndArray();
}

/// A body read by `read(FieldReader&, T&)`, which records what is wrong
/// in the reader: the value, or the first problem found.
template <class T, class Read>
std::variant<T, Error> decodeBody(std::string_view text, const char* what, Read read) {
    json::Document doc;
    if (!json::parseStrict(text, doc, text.size(), kMaxBodyDepth, true).ok())
        return makeError(ErrorCode::BadRequest, std::string(what) + " is not a JSON object");
    FieldReader r(doc);
    T out;
    read(r, out);
    if (r.failed()) return *r.error();
    return out;
}

bool readJoinReply(FieldReader& r, JoinReply& out, bool inWelcome) {
    if (!inWelcome || r.find("room")) r.requiredRoom("room", out.room);
    std::optional<std::string> name;
    r.optionalString("name", name, 0, 1024);
    out.name = name.value_or("");
    r.requiredString("epoch", out.position.epoch, 0, 64);
    r.requiredUint("offset", out.position.offset, kMaxSafeInteger);
    std::optional<std::uint64_t> memberCount;
    r.optionalUint("memberCount", memberCount, 0, kMaxSafeInteger);
    bool recovered = false;
    r.optionalBool("recovered", recovered);
    out.recovered = recovered;
    if (r.failed()) return false;
    if (const json::Value* members = r.find("members")) {
        if (!members->IsArray()) {
            r.fail(ErrorCode::BadRequest, "members", "field 'members' must be an array");
            return false;
        }
        for (const auto& m : members->GetArray()) {
            MemberView view;
            if (!FieldReader::memberFrom(m, view)) {
                r.fail(ErrorCode::BadRequest, "members", "field 'members' must hold member objects {sid, user, info}");
                return false;
            }
            out.members.push_back(std::move(view));
        }
    }
    if (const json::Value* missed = r.find("missed")) {
        if (!missed->IsArray()) {
            r.fail(ErrorCode::BadRequest, "missed", "field 'missed' must be an array of frames");
            return false;
        }
        for (const auto& frame : missed->GetArray()) {
            if (!frame.IsObject()) {
                r.fail(ErrorCode::BadRequest, "missed", "field 'missed' must be an array of frames");
                return false;
            }
            out.missed.push_back(std::make_shared<const std::string>(json::toString(frame)));
        }
    }
    out.memberCount = memberCount.value_or(out.members.size());
    return true;
}

}  // namespace

std::string encodeJoinReply(const JoinReply& reply) {
    return json::object([&](json::Writer& w) { writeJoinReplyFields(w, reply); });
}

std::string encodePublishReply(const PublishReply& reply) {
    return json::object([&](json::Writer& w) {
        json::writeKey(w, "room");
        json::writeString(w, reply.room);
        json::writeKey(w, "offset");
        w.Uint64(reply.position.offset);
        json::writeKey(w, "epoch");
        json::writeString(w, reply.position.epoch);
        json::writeKey(w, "duplicate");
        w.Bool(reply.duplicate);
    });
}

std::string encodeLeaveReply(const LeaveReply& reply) {
    return json::object([&](json::Writer& w) {
        json::writeKey(w, "room");
        json::writeString(w, reply.room);
    });
}

std::variant<JoinReply, Error> decodeJoinReply(std::string_view dataJson) {
    return decodeBody<JoinReply>(dataJson, "a join reply", [](FieldReader& r, JoinReply& out) { readJoinReply(r, out, false); });
}

std::variant<PublishReply, Error> decodePublishReply(std::string_view dataJson) {
    return decodeBody<PublishReply>(dataJson, "a publish reply", [](FieldReader& r, PublishReply& out) {
        r.requiredRoom("room", out.room);
        r.requiredUint("offset", out.position.offset, kMaxSafeInteger);
        r.requiredString("epoch", out.position.epoch, 0, 64);
        r.optionalBool("duplicate", out.duplicate);
    });
}

std::variant<LeaveReply, Error> decodeLeaveReply(std::string_view dataJson) {
    return decodeBody<LeaveReply>(dataJson, "a leave reply", [](FieldReader& r, LeaveReply& out) {
        r.requiredRoom("room", out.room);
    });
}

std::variant<Welcome, Error> decodeWelcome(std::string_view dataJson) {
    return decodeBody<Welcome>(dataJson, "a welcome", [](FieldReader& r, Welcome& out) {
        r.requiredString("sid", out.sid, 1, 128);
        std::optional<std::string> resumeToken;
        r.optionalString("resumeToken", resumeToken, 0, 256);
        out.resumeToken = resumeToken.value_or("");
        const json::Value* rooms = r.find("rooms");
        if (r.failed() || !rooms) return;
        if (!rooms->IsObject()) return r.fail(ErrorCode::BadRequest, "rooms", "field 'rooms' must be an object");
        for (auto it = rooms->MemberBegin(); it != rooms->MemberEnd(); ++it) {
            std::string room(it->name.GetString(), it->name.GetStringLength());
            if (!it->value.IsObject())
                return r.fail(ErrorCode::BadRequest, "rooms", "field 'rooms." + room + "' must be an object");
            FieldReader rr(it->value);
            ResumedRoom resumed;
            if (rr.find("error")) {
                Error e;
                if (rr.requiredError("error", e)) resumed.error = std::move(e);
            } else {
                JoinReply joined;
                if (readJoinReply(rr, joined, true)) resumed.joined = std::move(joined);
                if (resumed.joined && resumed.joined->room.empty()) resumed.joined->room = room;
            }
            if (rr.failed()) return r.fail(ErrorCode::BadRequest, "rooms", "room '" + room + "': " + rr.error()->message);
            out.rooms.emplace(std::move(room), std::move(resumed));
        }
    });
}

}  // namespace brolostack::protocol
