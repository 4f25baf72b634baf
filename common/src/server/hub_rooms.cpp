// Hub: the connection's side of rooms (PROTOCOL.md section 5). What a
// token's claims allow and how frames reach connections is decided here;
// the rules of rooms themselves are the room service's (rooms/room_service.hpp).
#include "brolostack/protocol/identifiers.hpp"
#include "brolostack/protocol/replies.hpp"
#include "brolostack/server/hub.hpp"

namespace brolostack::server {

using protocol::Error;
using protocol::ErrorCode;
using protocol::makeError;

rooms::Participant Hub::participantOf(const Connection& c) const {
    return rooms::Participant{c.id, c.sid, c.identity ? std::optional<std::string>(c.identity->userId) : std::nullopt,
                              c.dedupeKey};
}

rooms::Deliver Hub::deliverTo(Outbox& out) {
    return [this, &out](const std::vector<rooms::MemberId>& members, rooms::MemberId skip, const SharedFrame& frame) {
        sendToMembers(members, skip, frame, out);
    };
}

std::variant<std::string, Error> Hub::joinRoom(Connection& c, const protocol::JoinFrame& f, std::int64_t now,
                                               Outbox& out) {
    if (!claimsAllow(c, f.room)) return makeError(ErrorCode::Forbidden, "your token does not allow this room");
    if (auto unavailable = brokerRoomUnavailable(f.room)) return *unavailable;
    bool wasMember = rooms_.isMember(f.room, c.id);
    auto joined = rooms_.join(participantOf(c), f, now, deliverTo(out));
    if (clustered_ && !wasMember && !protocol::isServerRoom(f.room) && std::holds_alternative<std::string>(joined))
        announceJoin(f.room, c.id, out);
    return joined;
}

void Hub::handleJoin(Connection& c, const protocol::JoinFrame& f, std::int64_t now, Outbox& out) {
    auto result = joinRoom(c, f, now, out);
    if (auto* data = std::get_if<std::string>(&result)) {
        // Joining $session:<id> is join-session: it also selects the session.
        std::string_view session = protocol::sessionIdOfRoom(f.room);
        if (!session.empty()) {
            c.currentSession = std::string(session);
            if (!clustered_) coordinator_.obtainSession(c.currentSession, now);
        }
        reply(c, f.ref, std::move(*data), out);
    } else {
        fail(c, f.ref, "join", std::get<Error>(result), now, out);
    }
}

void Hub::handleLeave(Connection& c, const protocol::LeaveFrame& f, std::int64_t now, Outbox& out) {
    bool wasMember = rooms_.isMember(f.room, c.id);
    rooms_.leave(c.id, f.room, now, deliverTo(out));
    if (clustered_ && wasMember && !protocol::isServerRoom(f.room)) announceMember(f.room, c.id, "", out);
    if (clustered_) unwatchIfUnused({f.room}, out);
    if (f.ref == 0) return;
    reply(c, f.ref, protocol::encodeLeaveReply({f.room}), out);
}

void Hub::handlePublish(Connection& c, protocol::PublishFrame& f, std::int64_t now, Outbox& out) {
    if (!protocol::isServerRoom(f.room) && !claimsAllow(c, f.room)) {
        fail(c, f.ref, "publish", makeError(ErrorCode::Forbidden, "your token does not allow this room"), now, out);
        return;
    }
    if (clustered_ && !protocol::isServerRoom(f.room)) {
        publishThroughBroker(c, f, now, out);
        return;
    }
    auto result = rooms_.publish(participantOf(c), f, now);
    if (auto* e = std::get_if<Error>(&result)) {
        fail(c, f.ref, "publish", *e, now, out);
        return;
    }
    const rooms::Publication& published = std::get<rooms::Publication>(result);
    // The reply goes first, so the publisher learns its offset before its
    // own echo (if any) arrives.
    if (f.ref != 0) reply(c, f.ref, published.replyJson(), out);
    if (published.frame) rooms_.deliver(f.room, published.frame, f.echo ? 0 : c.id, deliverTo(out));
}

void Hub::handleHistory(Connection& c, const protocol::HistoryFrame& f, Outbox& out) {
    // Members may read, and so may a token whose rooms claim names the room.
    bool viaClaim = c.identity && c.identity->rooms && claimsAllow(c, f.room);
    if (!rooms_.isMember(f.room, c.id) && !viaClaim) {
        fail(c, f.ref, "history", makeError(ErrorCode::Forbidden, "join the room to read its history"), 0, out);
        return;
    }
    auto result = rooms_.historyJson(f.room, f.since, f.limit);
    if (auto* data = std::get_if<std::string>(&result)) reply(c, f.ref, std::move(*data), out);
    else fail(c, f.ref, "history", std::get<Error>(result), 0, out);
}

void Hub::handleMembers(Connection& c, const protocol::MembersFrame& f, Outbox& out) {
    if (!rooms_.isMember(f.room, c.id)) {
        fail(c, f.ref, "members", makeError(ErrorCode::Forbidden, "join the room to list its members"), 0, out);
        return;
    }
    auto result = rooms_.membersJson(f.room);
    if (auto* data = std::get_if<std::string>(&result)) reply(c, f.ref, std::move(*data), out);
    else fail(c, f.ref, "members", std::get<Error>(result), 0, out);
}

std::optional<Error> Hub::checkRoomCapacity(const std::vector<std::string>& roomIds) const {
    return rooms_.checkCapacity(roomIds);
}

std::variant<Published, Error> Hub::publish(const std::string& room, const std::string& event,
                                            const std::string& dataJson, std::int64_t now, Outbox& out) {
    if (clustered_ && !protocol::isServerRoom(room))
        return makeError(ErrorCode::Internal, "in cluster mode a room's publish goes through the broker (publishThen)");
    return rooms_.publishAsServer(room, event, dataJson, now, deliverTo(out));
}

std::variant<std::string, Error> Hub::membersJson(const std::string& room) const { return rooms_.membersJson(room); }

std::variant<std::string, Error> Hub::historyJson(const std::string& room,
                                                  const std::optional<protocol::StreamPosition>& since,
                                                  std::optional<std::uint32_t> limit) const {
    return rooms_.historyJson(room, since, limit);
}

}  // namespace brolostack::server
