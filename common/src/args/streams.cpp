// Coordinator: streams (STREAM_START, _DATA, _END and binary chunks,
// PROTOCOL.md section 7) with their sequence and quality-of-service rules.
#include "brolostack/args/coordinator.hpp"

#include "brolostack/json.hpp"
#include "payload.hpp"

namespace brolostack::args {

using json::object;
using protocol::Error;
using protocol::ErrorCode;
using protocol::makeError;

namespace {

// Stream sequence numbers stay within what JavaScript holds exactly.
constexpr std::int64_t kMaxSeq = (std::int64_t{1} << 53) - 1;

}  // namespace

Result Coordinator::streamStart(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out) {
    auto doc = payloadObject(msg);
    if (auto* e = std::get_if<Error>(&doc)) return *e;
    const json::Document& p = std::get<json::Document>(doc);
    auto streamId = stringMember(p, "streamId");
    if (!streamId) return payloadError("streamId", "'streamId' is required");
    if (s.streams.count(*streamId)) return makeError(ErrorCode::Conflict, "stream '" + *streamId + "' is open");
    Stream stream;
    stream.streamId = *streamId;
    stream.owner = from;
    if (auto type = stringMember(p, "type")) {
        if (*type != "text" && *type != "binary" && *type != "json" && *type != "media")
            return payloadError("type", "stream 'type' must be text, binary, json or media");
        stream.type = *type;
    }
    if (auto qos = stringMember(p, "qualityOfService")) {
        if (*qos == "best-effort") stream.qos = Qos::BestEffort;
        else if (*qos == "guaranteed") stream.qos = Qos::Guaranteed;
        else if (*qos == "real-time") stream.qos = Qos::RealTime;
        else return payloadError("qualityOfService", "'qualityOfService' must be best-effort, guaranteed or real-time");
    }
    s.streams.emplace(*streamId, stream);
    out.push_back({Routed::Route::Announce, 0, false, make(s, MessageType::StreamStart, msg.payloadJson, now)});
    return object([&](json::Writer& w) {
        json::writeKey(w, "streamId");
        json::writeString(w, *streamId);
    });
}

Result Coordinator::binaryChunk(Owner from, const std::string& sessionId, const std::string& streamId,
                                std::int64_t seq, bool isLast, std::int64_t now, Outputs& out, bool& realTime) {
    auto sit = sessions_.find(sessionId);
    if (sit == sessions_.end()) return makeError(ErrorCode::NotFound, "no session '" + sessionId + "'");
    Session* s = &sit->second;
    auto it = s->streams.find(streamId);
    if (it == s->streams.end()) return makeError(ErrorCode::NotFound, "no open stream '" + streamId + "'");
    if (it->second.owner != from) return makeError(ErrorCode::Forbidden, "only the stream's starter may send its data");
    if (seq > kMaxSeq) return makeError(ErrorCode::BadRequest, "seq is out of range");
    if (it->second.qos == Qos::Guaranteed && seq != it->second.nextSeq)
        return makeError(ErrorCode::BadRequest, "expected seq " + std::to_string(it->second.nextSeq));
    it->second.nextSeq = seq + 1;
    ++it->second.chunks;
    realTime = it->second.qos == Qos::RealTime;
    s->lastActivity = now;
    if (isLast) {
        out.push_back({Routed::Route::Announce, 0, false,
                       make(*s, MessageType::StreamEnd,
                            object([&](json::Writer& w) {
                                json::writeKey(w, "streamId");
                                json::writeString(w, streamId);
                            }),
                            now)});
        s->streams.erase(it);
    }
    return std::string("{}");
}

Result Coordinator::streamData(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out) {
    auto doc = payloadObject(msg);
    if (auto* e = std::get_if<Error>(&doc)) return *e;
    const json::Document& p = std::get<json::Document>(doc);
    auto streamId = stringMember(p, "streamId");
    if (!streamId) return payloadError("streamId", "'streamId' is required");
    auto seqIt = p.FindMember("seq");
    if (seqIt == p.MemberEnd() || !seqIt->value.IsInt64() || seqIt->value.GetInt64() < 0 ||
        seqIt->value.GetInt64() > kMaxSeq)
        return payloadError("seq", "'seq' must be an integer from 0 to 2^53-1");
    auto it = s.streams.find(*streamId);
    if (it == s.streams.end()) return makeError(ErrorCode::NotFound, "no open stream '" + *streamId + "'");
    if (it->second.owner != from) return makeError(ErrorCode::Forbidden, "only the stream's starter may send its data");
    std::int64_t seq = seqIt->value.GetInt64();
    if (it->second.qos == Qos::Guaranteed && seq != it->second.nextSeq)
        return makeError(ErrorCode::BadRequest, "expected seq " + std::to_string(it->second.nextSeq));
    it->second.nextSeq = seq + 1;
    ++it->second.chunks;
    auto last = p.FindMember("isLast");
    bool isLast = last != p.MemberEnd() && last->value.IsBool() && last->value.GetBool();
    Message m = make(s, MessageType::StreamData, msg.payloadJson, now);
    m.metadata = msg.metadata;
    if (it->second.qos == Qos::Guaranteed) out.push_back({Routed::Route::Announce, 0, false, std::move(m)});
    else out.push_back({Routed::Route::Broadcast, from, it->second.qos == Qos::RealTime, std::move(m)});
    if (isLast) {
        out.push_back({Routed::Route::Announce, 0, false,
                       make(s, MessageType::StreamEnd,
                            object([&](json::Writer& w) {
                                json::writeKey(w, "streamId");
                                json::writeString(w, *streamId);
                            }),
                            now)});
        s.streams.erase(it);
    }
    return std::string("{}");
}

Result Coordinator::streamEnd(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out) {
    auto doc = payloadObject(msg);
    if (auto* e = std::get_if<Error>(&doc)) return *e;
    auto streamId = stringMember(std::get<json::Document>(doc), "streamId");
    if (!streamId) return payloadError("streamId", "'streamId' is required");
    auto it = s.streams.find(*streamId);
    if (it == s.streams.end()) return makeError(ErrorCode::NotFound, "no open stream '" + *streamId + "'");
    if (it->second.owner != from) return makeError(ErrorCode::Forbidden, "only the stream's starter may end it");
    s.streams.erase(it);
    out.push_back({Routed::Route::Announce, 0, false, make(s, MessageType::StreamEnd, msg.payloadJson, now)});
    return std::string("{}");
}

}  // namespace brolostack::args
