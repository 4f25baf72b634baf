// Hub: ARGS frames, the `send` shortcuts of PROTOCOL.md section 6, binary
// stream chunks, and the routing of what the coordinator produces.
#include "brolostack/json.hpp"
#include "brolostack/protocol/identifiers.hpp"
#include "brolostack/server/base64url.hpp"
#include "brolostack/server/hub.hpp"

#include <array>
#include <utility>

namespace brolostack::server {

using protocol::Error;
using protocol::ErrorCode;
using protocol::makeError;

namespace {

constexpr std::size_t kMaxChunkHeaderBytes = 4096;

constexpr std::array<std::pair<std::string_view, args::MessageType>, 15> kShortcuts{{
    {"register-agent", args::MessageType::AgentRegister},
    {"unregister-agent", args::MessageType::AgentUnregister},
    {"start-task", args::MessageType::TaskStart},
    {"agent-progress", args::MessageType::TaskProgress},
    {"task-progress", args::MessageType::TaskProgress},
    {"task-complete", args::MessageType::TaskComplete},
    {"task-error", args::MessageType::TaskError},
    {"cancel-task", args::MessageType::TaskCancel},
    {"collaboration-request", args::MessageType::CollaborationRequest},
    {"collaboration-response", args::MessageType::CollaborationResponse},
    {"start-stream", args::MessageType::StreamStart},
    {"stream-chunk", args::MessageType::StreamData},
    {"end-stream", args::MessageType::StreamEnd},
    {"heartbeat", args::MessageType::Heartbeat},
    {"sync", args::MessageType::SyncRequest},
}};

/// The session a shortcut's data names: `"id"`, `{"sessionId"}`, or none.
std::optional<std::string> namedSession(const std::string& dataJson, bool bareStringAllowed) {
    json::Document doc;
    if (!json::parseStrict(dataJson, doc, dataJson.size() + 1, 32, false).ok()) return std::nullopt;
    if (bareStringAllowed && doc.IsString()) return std::string(doc.GetString(), doc.GetStringLength());
    if (!doc.IsObject()) return std::nullopt;
    auto it = doc.FindMember("sessionId");
    if (it == doc.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

args::Message ownMessage(std::string id, args::MessageType type, const std::string& sessionId, std::string payloadJson,
                         std::int64_t now) {
    args::Message m;
    m.id = std::move(id);
    m.type = type;
    m.timestamp = now;
    m.sessionId = sessionId;
    m.payloadJson = std::move(payloadJson);
    return m;
}

std::string taskIdPayload(const std::string& taskId) {
    return json::object([&](json::Writer& w) {
        json::writeKey(w, "taskId");
        json::writeString(w, taskId);
    });
}

}  // namespace

void Hub::handleArgs(Connection& c, const protocol::ArgsFrame& f, std::int64_t now, Outbox& out) {
    auto decoded = args::decodeMessage(f.msgJson, now, settings_.maxJsonDepth);
    if (auto* e = std::get_if<Error>(&decoded)) {
        // An expired message is otherwise well formed: if it asked for an
        // ack and has no ref, the ack carries the error.
        json::Document msg;
        msg.Parse(f.msgJson.c_str());
        bool wantsAck = e->code == ErrorCode::Expired && f.ref == 0 && msg.IsObject() && msg.HasMember("id") &&
                        msg["id"].IsString() && msg.HasMember("metadata") && msg["metadata"].IsObject() &&
                        msg["metadata"].HasMember("requiresAck") && msg["metadata"]["requiresAck"].IsTrue();
        if (wantsAck) {
            protocol::AckFrame ack{msg["id"].GetString(), false, redact(*e)};
            send(c, std::make_shared<const std::string>(protocol::encodeServerFrame(ack)), out);
            return;
        }
        fail(c, f.ref, "args", *e, now, out);
        return;
    }
    dispatchArgs(c, f.ref, "args", std::get<args::Message>(decoded), now, out);
}

void Hub::handleSend(Connection& c, protocol::SendFrame& f, std::int64_t now, Outbox& out) {
    if (f.mid && rooms_.mids().find(c.dedupeKey, *f.mid, now)) {
        reply(c, f.ref, "{\"duplicate\":true}", out);
        return;
    }
    if (f.mid) rooms_.mids().remember(c.dedupeKey, *f.mid, {}, now);

    if (f.event == "join-session" || f.event == "leave-session") {
        auto sessionId = namedSession(f.dataJson, true);
        if (!sessionId || !protocol::isValidSessionId(*sessionId)) {
            fail(c, f.ref, "send", makeError(ErrorCode::BadRequest, "data must be a session id or {\"sessionId\"}"), now, out);
            return;
        }
        protocol::JoinFrame join;
        join.ref = f.ref;
        join.room = sessionRoomOf(*sessionId);
        if (f.event == "leave-session") {
            handleLeave(c, protocol::LeaveFrame{f.ref, join.room}, now, out);
            return;
        }
        auto joined = joinRoom(c, join, now, out);
        if (auto* e = std::get_if<Error>(&joined)) {
            fail(c, f.ref, "send", *e, now, out);
            return;
        }
        c.currentSession = *sessionId;
        // In cluster mode the session starts at its leader, with its first message.
        if (!clustered_) coordinator_.obtainSession(*sessionId, now);
        reply(c, f.ref, std::get<std::string>(std::move(joined)), out);
        return;
    }
    for (const auto& [event, type] : kShortcuts) {
        if (event != f.event) continue;
        args::Message msg;
        msg.id = "args_" + newId_();
        msg.type = type;
        msg.timestamp = now;
        msg.sessionId = namedSession(f.dataJson, false).value_or(c.currentSession);
        msg.payloadJson = f.dataJson;
        if (!protocol::isValidSessionId(msg.sessionId)) {
            fail(c, f.ref, "send", makeError(ErrorCode::BadRequest, "data.sessionId is not a valid session id"), now, out);
            return;
        }
        dispatchArgs(c, f.ref, "send", msg, now, out);
        return;
    }
    if (!settings_.backendUrl.empty()) {
        callWebhook(c, f, now, out);
        return;
    }
    fail(c, f.ref, "send",
         makeError(ErrorCode::NotFound, "no handler for event '" + f.event + "': no backend webhook is configured"),
         now, out);
}

void Hub::dispatchArgs(Connection& c, std::uint64_t ref, std::string_view op, const args::Message& msg,
                       std::int64_t now, Outbox& out) {
    SessionLeads::Ask ask{c.id, ref, std::string(op), msg, ref == 0 && msg.metadata.requiresAck, false, now, {}, {}};
    if (!claimsAllow(c, sessionRoomOf(msg.sessionId))) {
        answerArgs(c, ask, makeError(ErrorCode::Forbidden, "your token does not allow this session"), now, out);
        return;
    }
    // A registering agent's connection joins the session, so it hears the
    // session's events and the assignments announced there. Whether it can
    // join is checked first; it joins only once the registration succeeded.
    const std::string room = sessionRoomOf(msg.sessionId);
    ask.mustJoin = msg.type == args::MessageType::AgentRegister && !rooms_.isMember(room, c.id);
    if (ask.mustJoin && rooms_.roomsOf(c.id).size() >= settings_.maxRoomsPerConnection) {
        answerArgs(c, ask,
                   makeError(ErrorCode::LimitExceeded, "a connection may join at most " +
                                                           std::to_string(settings_.maxRoomsPerConnection) + " rooms"),
                   now, out);
        return;
    }
    proceed(std::move(ask), now, out);
}

void Hub::answerArgs(Connection& c, const SessionLeads::Ask& ask, args::Result result, std::int64_t now, Outbox& out) {
    const args::Message& msg = ask.msg;
    if (auto* e = std::get_if<Error>(&result)) {
        if (!ask.ackInstead) {
            fail(c, ask.ref, ask.op, std::move(*e), now, out);
            return;
        }
        protocol::AckFrame ack{msg.id, false, redact(std::move(*e))};
        send(c, std::make_shared<const std::string>(protocol::encodeServerFrame(ack)), out);
        return;
    }
    c.currentSession = msg.sessionId;
    if (ask.mustJoin) {
        protocol::JoinFrame join;
        join.room = sessionRoomOf(msg.sessionId);
        joinRoom(c, join, now, out);
    }
    if (clustered_) noteRegistration(c.id, msg);
    std::string data = std::get<std::string>(std::move(result));
    if (msg.type == args::MessageType::SyncRequest && ask.request.empty()) {
        // The snapshot with the session room's position, so a client can
        // replay what happened after it.
        data = withSessionPosition(std::move(data), msg.sessionId);
        if (ask.ref == 0) {
            args::Message response;
            response.id = "args_" + newId_();
            response.type = args::MessageType::SyncResponse;
            response.timestamp = now;
            response.sessionId = msg.sessionId;
            response.payloadJson = data;
            response.metadata.correlationId = msg.id;
            sendArgs(c, args::encodeMessage(response), out);
        }
    }
    if (ask.ackInstead) {
        protocol::AckFrame ack{msg.id, true, std::nullopt};
        send(c, std::make_shared<const std::string>(protocol::encodeServerFrame(ack)), out);
    } else {
        reply(c, ask.ref, std::move(data), out);
    }
}

std::string Hub::withSessionPosition(std::string snapshot, const std::string& sessionId) const {
    const rooms::Room* room = rooms_.find(sessionRoomOf(sessionId));
    std::string epoch = room ? room->epoch : "";
    std::uint64_t offset = room ? room->lastOffset : 0;
    snapshot.pop_back();
    return snapshot + ",\"epoch\":\"" + epoch + "\",\"offset\":" + std::to_string(offset) + "}";
}

void Hub::route(args::Outputs& outputs, std::int64_t now, Outbox& out) {
    for (auto& routed : outputs) {
        std::string msgJson = args::encodeMessage(routed.msg);
        const std::string room = sessionRoomOf(routed.msg.sessionId);
        std::optional<std::pair<std::string, ConnId>> remote;
        if (SessionLeads::isProxy(routed.owner)) remote = leads_.remoteOf(routed.owner);
        switch (routed.route) {
            case args::Routed::Route::Announce:
                announce(routed.msg.sessionId, msgJson, now, out);
                break;
            case args::Routed::Route::ToAgent:
                // Through the session when the agent's connection is in it,
                // so it gets the message once, in order with the rest. An
                // agent of another node joined the session's room there
                // when it registered.
                if (routed.owner >= kFirstLocalOwner) {
                    if (localHooks_.deliver) localHooks_.deliver(routed.owner, routed.msg);
                } else if (remote || rooms_.isMember(room, routed.owner)) {
                    announce(routed.msg.sessionId, msgJson, now, out);
                } else if (Connection* c = find(routed.owner)) {
                    sendArgs(*c, msgJson, out);
                }
                break;
            case args::Routed::Route::Direct:
                if (routed.owner >= kFirstLocalOwner) {
                    if (localHooks_.deliver) localHooks_.deliver(routed.owner, routed.msg);
                } else if (remote) {
                    NodeMessage push;
                    push.kind = NodeMessage::Kind::Push;
                    push.conn = remote->second;
                    push.msgJson = std::move(msgJson);
                    tellNode(remote->first, std::move(push), 0, out);
                } else if (Connection* c = find(routed.owner)) {
                    sendArgs(*c, msgJson, out);
                }
                break;
            case args::Routed::Route::Broadcast: {
                std::optional<ConnId> skipHere;
                if (!remote) skipHere = routed.owner;
                broadcastHere(room, msgJson, skipHere, routed.droppable, out);
                if (clustered_) {
                    std::string skip =
                        remote ? remote->first + ":" + std::to_string(remote->second) : memberKey(routed.owner);
                    tellEveryNode(SessionEvent{nodeId_, routed.msg.sessionId, std::move(msgJson), false, std::move(skip),
                                               routed.droppable, false, {}},
                                  out);
                }
                break;
            }
        }
    }
}

void Hub::broadcastHere(const std::string& room, const std::string& msgJson, std::optional<ConnId> skip,
                        bool droppable, Outbox& out) {
    auto frame = std::make_shared<const std::string>(
        protocol::encodeServerFrame(protocol::ArgsPushFrame{msgJson, std::nullopt, 0, {}}));
    sendToMembersHere(room, frame, skip, false, droppable, out);
}

void Hub::sendToMembersHere(const std::string& room, const SharedFrame& frame, std::optional<ConnId> skip, bool binary,
                            bool droppable, Outbox& out) {
    if (const rooms::Room* r = rooms_.find(room)) sendToMembers(r->memberIds, skip.value_or(0), frame, out, binary, droppable);
}

void Hub::announce(const std::string& sessionId, const std::string& msgJson, std::int64_t now, Outbox& out) {
    announceHere(sessionId, msgJson, now, out);
    if (clustered_) tellEveryNode(SessionEvent{nodeId_, sessionId, msgJson, true, {}, false, false, {}}, out);
}

void Hub::announceHere(const std::string& sessionId, const std::string& msgJson, std::int64_t now, Outbox& out) {
    rooms_.announce(
        sessionRoomOf(sessionId), now,
        [&](const rooms::Room& room, std::uint64_t offset) {
            protocol::ArgsPushFrame push{msgJson, room.id, offset, room.epoch};
            return std::make_shared<const std::string>(protocol::encodeServerFrame(push));
        },
        deliverTo(out));
    if (localHooks_.announced) localHooks_.announced(sessionId, msgJson);
}

void Hub::sendArgs(Connection& c, const std::string& msgJson, Outbox& out) {
    protocol::ArgsPushFrame push{msgJson, std::nullopt, 0, {}};
    send(c, std::make_shared<const std::string>(protocol::encodeServerFrame(push)), out);
}

void Hub::handleBinaryChunk(Connection& c, std::string_view bytes, std::int64_t now, Outbox& out) {
    auto bad = [&](const std::string& why) {
        fail(c, 0, "stream-chunk", makeError(ErrorCode::BadRequest, why), now, out);
    };
    if (bytes.size() < 4) return bad("a binary frame starts with a 4-byte header length");
    std::uint32_t headerBytes = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[0])) << 24) |
                                (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[1])) << 16) |
                                (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[2])) << 8) |
                                static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[3]));
    if (headerBytes == 0 || headerBytes > kMaxChunkHeaderBytes || headerBytes > bytes.size() - 4)
        return bad("the binary chunk header length is out of range");
    json::Document header;
    if (!json::parseStrict(bytes.substr(4, headerBytes), header, kMaxChunkHeaderBytes, 4, true).ok())
        return bad("the binary chunk header must be a JSON object");
    auto sessionId = header.FindMember("sessionId");
    auto streamId = header.FindMember("streamId");
    auto seq = header.FindMember("seq");
    auto isLast = header.FindMember("isLast");
    if (sessionId == header.MemberEnd() || !sessionId->value.IsString() ||
        !protocol::isValidSessionId(sessionId->value.GetString()) || streamId == header.MemberEnd() ||
        !streamId->value.IsString() || seq == header.MemberEnd() || !seq->value.IsInt64() || seq->value.GetInt64() < 0)
        return bad("the binary chunk header needs sessionId, streamId and seq");
    bool last = isLast != header.MemberEnd() && isLast->value.IsBool() && isLast->value.GetBool();
    std::string session(sessionId->value.GetString(), sessionId->value.GetStringLength());
    if (!claimsAllow(c, sessionRoomOf(session))) {
        fail(c, 0, "stream-chunk", makeError(ErrorCode::Forbidden, "your token does not allow this session"), now, out);
        return;
    }
    std::string stream(streamId->value.GetString(), streamId->value.GetStringLength());
    if (clustered_ && !leads_.leads(session)) {
        // Coordinated elsewhere (or nobody knows yet): the leader checks the
        // chunk and relays its frame; only an error comes back.
        SessionLeads::Ask ask;
        ask.conn = c.id;
        ask.op = "stream-chunk";
        ask.msg = ownMessage("args_" + newId_(), args::MessageType::SyncRequest, session,
                             json::object([&](json::Writer& w) {
                                 json::writeKey(w, "streamId");
                                 json::writeString(w, stream);
                                 json::writeKey(w, "seq");
                                 w.Int64(seq->value.GetInt64());
                                 json::writeKey(w, "isLast");
                                 w.Bool(last);
                                 json::writeKey(w, "frame");
                                 json::writeString(w, base64UrlEncode(bytes));
                             }),
                             now);
        ask.since = now;
        ask.request = std::string(kBinaryChunkRequest);
        proceed(std::move(ask), now, out);
        return;
    }
    args::Outputs outputs;
    args::Result result = relayChunk(c.id, memberKey(c.id), session, stream, seq->value.GetInt64(), last, bytes, now,
                                     outputs, out);
    if (auto* e = std::get_if<Error>(&result)) fail(c, 0, "stream-chunk", *e, now, out);
    route(outputs, now, out);
}

args::Result Hub::relayChunk(args::Owner from, const std::string& senderKey, const std::string& session,
                             const std::string& streamId, std::int64_t seq, bool last, std::string_view frame,
                             std::int64_t now, args::Outputs& outputs, Outbox& out) {
    bool realTime = false;
    args::Result result = coordinator_.binaryChunk(from, session, streamId, seq, last, now, outputs, realTime);
    if (std::holds_alternative<Error>(result)) return result;
    // Receivers get the very bytes the sender sent: same header, same data.
    std::optional<ConnId> skip;
    if (nodeOfMemberKey(senderKey) == nodeId_) skip = connOfMemberKey(senderKey);
    sendToMembersHere(sessionRoomOf(session), std::make_shared<const std::string>(frame), skip, true, realTime, out);
    if (clustered_) {
        SessionEvent event;
        event.from = nodeId_;
        event.session = session;
        event.announce = false;
        event.skip = senderKey;
        event.droppable = realTime;
        event.binary = std::string(frame);
        tellEveryNode(event, out);
    }
    return result;
}

std::optional<Error> Hub::ledElsewhere(const std::string& sessionId) const {
    if (!clustered_ || leads_.leads(sessionId)) return std::nullopt;
    return makeError(ErrorCode::Unavailable, "session '" + sessionId +
                                                 "' is not coordinated by this node; in cluster mode this reaches only "
                                                 "the sessions a node coordinates");
}

std::variant<std::string, Error> Hub::handleLocal(args::Owner owner, const args::Message& msg, std::int64_t now,
                                                  Outbox& out) {
    if (auto elsewhere = ledElsewhere(msg.sessionId)) return *elsewhere;
    args::Outputs outputs;
    args::Result result = coordinator_.handle(owner, msg, now, outputs);
    route(outputs, now, out);
    return result;
}

std::variant<std::string, Error> Hub::sendToAgent(const std::string& sessionId, const std::string& agentId,
                                                  args::MessageType type, const std::string& payloadJson,
                                                  std::int64_t now, Outbox& out) {
    if (auto elsewhere = ledElsewhere(sessionId)) return *elsewhere;
    auto owner = coordinator_.ownerOf(sessionId, agentId);
    if (!owner) return makeError(ErrorCode::NotFound, "no agent '" + agentId + "' online in session '" + sessionId + "'");
    args::Outputs outputs;
    args::Message m;
    m.id = "args_" + newId_();
    m.type = type;
    m.timestamp = now;
    m.sessionId = sessionId;
    m.agentId = agentId;
    m.payloadJson = payloadJson;
    outputs.push_back({args::Routed::Route::Direct, *owner, false, std::move(m)});
    route(outputs, now, out);
    return std::string("{}");
}

std::string Hub::sessionsJson() const { return sessionListJson(coordinator_.sessionIds()); }

std::string Hub::sessionListJson(const std::vector<std::string>& ids) {
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    json::writeKey(w, "count");
    w.Uint64(ids.size());
    json::writeKey(w, "sessions");
    w.StartArray();
    for (const auto& id : ids) json::writeString(w, id);
    w.EndArray();
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

std::variant<std::string, Error> Hub::sessionSnapshotJson(const std::string& sessionId) const {
    if (auto elsewhere = ledElsewhere(sessionId)) return *elsewhere;
    auto snapshot = coordinator_.snapshotJson(sessionId);
    if (!snapshot) return makeError(ErrorCode::NotFound, "no such session");
    return withSessionPosition(std::move(*snapshot), sessionId);
}

std::variant<args::TaskDefinition, Error> Hub::readTaskDefinition(const std::string& sessionId,
                                                                  const std::string& definitionJson) const {
    if (!protocol::isValidSessionId(sessionId)) return makeError(ErrorCode::BadRequest, "invalid session id");
    json::Document doc;
    if (!json::parseStrict(definitionJson, doc, settings_.maxMessageBytes, settings_.maxJsonDepth, true).ok())
        return makeError(ErrorCode::BadRequest, "the body must be a task definition object");
    return args::decodeTaskDefinition(doc);
}

std::variant<std::string, Error> Hub::startTask(const std::string& sessionId, const std::string& definitionJson,
                                                std::int64_t now, Outbox& out) {
    auto def = readTaskDefinition(sessionId, definitionJson);
    if (auto* e = std::get_if<Error>(&def)) return *e;
    if (auto elsewhere = ledElsewhere(sessionId)) return *elsewhere;
    args::Outputs outputs;
    // Owner 0: the server itself; no connection can cancel such a task,
    // only cancelTask.
    auto result = coordinator_.startTask(kServerOwner, sessionId, std::get<args::TaskDefinition>(std::move(def)), std::nullopt,
                                         now, outputs);
    route(outputs, now, out);
    if (auto* e = std::get_if<Error>(&result)) return *e;
    return std::get<std::string>(std::move(result));
}

void Hub::sessionSnapshotThen(const std::string& sessionId, std::int64_t now, Outbox& out, ArgsDone done) {
    if (!clustered_ || leads_.leads(sessionId) || !protocol::isValidSessionId(sessionId))
        return done(sessionSnapshotJson(sessionId));
    serverArgsThen(ownMessage("args_" + newId_(), args::MessageType::SyncRequest, sessionId, "{}", now), now, out,
                   std::move(done));
}

void Hub::startTaskThen(const std::string& sessionId, const std::string& definitionJson, std::int64_t now, Outbox& out,
                        ArgsDone done) {
    auto def = readTaskDefinition(sessionId, definitionJson);
    if (auto* e = std::get_if<Error>(&def)) return done(*e);
    if (!clustered_ || leads_.leads(sessionId)) return done(startTask(sessionId, definitionJson, now, out));
    serverArgsThen(ownMessage("args_" + newId_(), args::MessageType::TaskStart, sessionId, definitionJson, now), now,
                   out, std::move(done));
}

void Hub::cancelTaskThen(const std::string& sessionId, const std::string& taskId, std::int64_t now, Outbox& out,
                         ArgsDone done) {
    if (!clustered_ || leads_.leads(sessionId) || !protocol::isValidSessionId(sessionId))
        return done(cancelTask(sessionId, taskId, now, out));
    serverArgsThen(ownMessage("args_" + newId_(), args::MessageType::TaskCancel, sessionId, taskIdPayload(taskId), now),
                   now, out, std::move(done));
}

void Hub::deadLettersThen(const std::string& sessionId, std::int64_t now, Outbox& out, ArgsDone done) {
    if (!clustered_ || leads_.leads(sessionId) || !protocol::isValidSessionId(sessionId))
        return done(deadLettersJson(sessionId));
    serverArgsThen(ownMessage("args_" + newId_(), args::MessageType::SyncRequest, sessionId, "{}", now), now, out,
                   std::move(done), std::string(kDeadLettersRequest));
}

void Hub::requeueThen(const std::string& sessionId, const std::string& taskId, std::int64_t now, Outbox& out,
                      ArgsDone done) {
    if (!clustered_ || leads_.leads(sessionId) || !protocol::isValidSessionId(sessionId))
        return done(requeueDeadLetter(sessionId, taskId, now, out));
    serverArgsThen(ownMessage("args_" + newId_(), args::MessageType::SyncRequest, sessionId, taskIdPayload(taskId), now),
                   now, out, std::move(done), std::string(kRequeueRequest));
}

std::variant<std::string, Error> Hub::deadLettersJson(const std::string& sessionId) const {
    if (auto elsewhere = ledElsewhere(sessionId)) return *elsewhere;
    if (auto json = coordinator_.deadLettersJson(sessionId)) return *json;
    return makeError(ErrorCode::NotFound, "no such session");
}

std::variant<std::string, Error> Hub::requeueDeadLetter(const std::string& sessionId, const std::string& taskId,
                                                        std::int64_t now, Outbox& out) {
    if (auto elsewhere = ledElsewhere(sessionId)) return *elsewhere;
    args::Outputs outputs;
    auto result = coordinator_.requeueDeadLetter(sessionId, taskId, now, outputs);
    route(outputs, now, out);
    if (auto* e = std::get_if<Error>(&result)) return *e;
    return std::get<std::string>(std::move(result));
}

std::variant<std::string, Error> Hub::cancelTask(const std::string& sessionId, const std::string& taskId,
                                                 std::int64_t now, Outbox& out) {
    if (!protocol::isValidSessionId(sessionId)) return makeError(ErrorCode::BadRequest, "invalid session id");
    if (auto elsewhere = ledElsewhere(sessionId)) return *elsewhere;
    if (!coordinator_.findSession(sessionId)) return makeError(ErrorCode::NotFound, "no such session");
    return handleLocal(kServerOwner,
                       ownMessage("args_" + newId_(), args::MessageType::TaskCancel, sessionId, taskIdPayload(taskId), now),
                       now, out);
}

}  // namespace brolostack::server
