// Hub: join, leave, publish, history and members (PROTOCOL.md section 5).
#include "brolostack/json.hpp"
#include "brolostack/protocol/identifiers.hpp"
#include "brolostack/protocol/json_writers.hpp"
#include "brolostack/server/hub.hpp"

#include <algorithm>

namespace brolostack::server {

using protocol::Error;
using protocol::ErrorCode;
using protocol::makeError;

namespace {

// A join reply lists at most this many members; `memberCount` is exact and
// the `members` op lists everyone.
constexpr std::size_t kMaxMembersInJoinReply = 1000;
constexpr std::uint32_t kDefaultHistoryLimit = 100;

protocol::MemberView viewOf(const rooms::MemberEntry& m) { return {m.sid, m.user, m.infoJson}; }

void writeMembers(json::Writer& w, const rooms::Room& room, std::size_t max) {
    json::writeKey(w, "members");
    w.StartArray();
    std::size_t n = 0;
    for (const auto& [id, member] : room.members) {
        if (n++ == max) break;
        protocol::writeMember(w, viewOf(member));
    }
    w.EndArray();
    json::writeKey(w, "memberCount");
    w.Uint64(room.members.size());
}

void writeFrames(json::Writer& w, const char* key, const std::vector<rooms::HistoryEntry>& entries) {
    json::writeKey(w, key);
    w.StartArray();
    for (const auto& e : entries) json::writeRaw(w, *e.frame);
    w.EndArray();
}

}  // namespace

std::variant<std::string, Error> Hub::joinRoom(Connection& c, const protocol::JoinFrame& f, std::int64_t now,
                                               Outbox& out) {
    if (protocol::isServerRoom(f.room) && protocol::sessionIdOfRoom(f.room).empty())
        return makeError(ErrorCode::Forbidden, "rooms starting with '$' belong to the server");
    if (!claimsAllow(c, f.room)) return makeError(ErrorCode::Forbidden, "your token does not allow this room");
    bool alreadyMember = rooms_.isMember(f.room, c.id);
    if (!alreadyMember && rooms_.roomsOf(c.id).size() >= settings_.maxRoomsPerConnection)
        return makeError(ErrorCode::LimitExceeded, "a connection may join at most " +
                                                       std::to_string(settings_.maxRoomsPerConnection) + " rooms");
    if (rooms_.beyondCapacity({f.room})) return roomLimitError();
    rooms::Room& room = rooms_.obtain(f.room, now);
    if (room.name.empty() && f.name) rooms_.name(room, *f.name);
    if (!alreadyMember) {
        rooms::MemberEntry entry{c.sid, c.identity ? std::optional<std::string>(c.identity->userId) : std::nullopt,
                                 f.infoJson.value_or("{}")};
        protocol::PresenceFrame presence{room.id, "join", viewOf(entry), room.members.size() + 1};
        rooms_.join(room, c.id, std::move(entry), now);
        auto frame = std::make_shared<const std::string>(protocol::encodeServerFrame(presence));
        for (const auto& [memberId, member] : room.members)
            if (memberId != c.id)
                if (Connection* other = find(memberId)) send(*other, frame, out);
    }

    bool recovered = false;
    std::vector<rooms::HistoryEntry> missed;
    if (f.since && f.since->epoch == room.epoch) {
        recovered = room.history.coversAfter(f.since->offset, room.lastOffset);
        if (f.since->offset < room.lastOffset) missed = room.history.after(f.since->offset, room.history.size());
    }

    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    json::writeKey(w, "room");
    json::writeString(w, room.id);
    json::writeKey(w, "name");
    json::writeString(w, room.name);
    json::writeKey(w, "epoch");
    json::writeString(w, room.epoch);
    json::writeKey(w, "offset");
    w.Uint64(room.lastOffset);
    writeMembers(w, room, kMaxMembersInJoinReply);
    json::writeKey(w, "recovered");
    w.Bool(recovered);
    writeFrames(w, "missed", missed);
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

void Hub::handleJoin(Connection& c, const protocol::JoinFrame& f, std::int64_t now, Outbox& out) {
    auto result = joinRoom(c, f, now, out);
    if (auto* data = std::get_if<std::string>(&result)) {
        // Joining $session:<id> is join-session: it also selects the session.
        std::string_view session = protocol::sessionIdOfRoom(f.room);
        if (!session.empty()) {
            c.currentSession = std::string(session);
            coordinator_.obtainSession(c.currentSession, now);
        }
        reply(c, f.ref, std::move(*data), out);
    } else {
        fail(c, f.ref, "join", std::get<Error>(result), now, out);
    }
}

void Hub::leaveRoom(Connection& c, const std::string& roomId, std::int64_t now, Outbox& out) {
    auto memberIt = rooms_.find(roomId);
    if (!memberIt) return;
    auto entry = memberIt->members.find(c.id);
    if (entry == memberIt->members.end()) return;
    protocol::PresenceFrame presence{roomId, "leave", viewOf(entry->second), memberIt->members.size() - 1};
    rooms_.leave(roomId, c.id, now);
    rooms::Room* room = rooms_.find(roomId);
    if (!room || room->members.empty()) return;
    auto frame = std::make_shared<const std::string>(protocol::encodeServerFrame(presence));
    for (const auto& [memberId, member] : room->members)
        if (Connection* other = find(memberId)) send(*other, frame, out);
}

void Hub::handleLeave(Connection& c, const protocol::LeaveFrame& f, std::int64_t now, Outbox& out) {
    leaveRoom(c, f.room, now, out);
    if (f.ref == 0) return;
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    json::writeKey(w, "room");
    json::writeString(w, f.room);
    w.EndObject();
    reply(c, f.ref, std::string(buffer.GetString(), buffer.GetSize()), out);
}

Published Hub::append(rooms::Room& room, const protocol::Sender& from, const std::string& event,
                      std::string dataJson, const std::optional<std::string>& mid, std::int64_t now,
                      SharedFrame& frame) {
    std::uint64_t offset = rooms_.append(
        room, now,
        [&](std::uint64_t assigned) {
            protocol::MessageFrame message;
            message.room = room.id;
            message.event = event;
            message.dataJson = std::move(dataJson);
            message.from = from;
            message.offset = assigned;
            message.epoch = room.epoch;
            message.ts = now;
            message.mid = mid;
            return std::make_shared<const std::string>(protocol::encodeServerFrame(message));
        },
        &frame);
    return Published{room.id, offset, room.epoch};
}

void Hub::deliver(const rooms::Room& room, const SharedFrame& frame, ConnId skip, Outbox& out) {
    for (const auto& [memberId, member] : room.members)
        if (memberId != skip)
            if (Connection* c = find(memberId)) send(*c, frame, out);
}

void Hub::handlePublish(Connection& c, protocol::PublishFrame& f, std::int64_t now, Outbox& out) {
    if (protocol::isServerRoom(f.room)) {
        fail(c, f.ref, "publish",
             makeError(ErrorCode::Forbidden, "rooms starting with '$' belong to the server: clients cannot publish there"),
             now, out);
        return;
    }
    if (!claimsAllow(c, f.room)) {
        fail(c, f.ref, "publish", makeError(ErrorCode::Forbidden, "your token does not allow this room"), now, out);
        return;
    }
    rooms::Room* room = rooms_.find(f.room);
    if (!room || room->members.count(c.id) == 0) {
        fail(c, f.ref, "publish", makeError(ErrorCode::Forbidden, "join the room before publishing to it"), now, out);
        return;
    }
    Published published;
    SharedFrame frame;
    bool duplicate = false;
    if (auto earlier = f.mid ? mids_.find(c.dedupeKey, *f.mid, now) : std::nullopt) {
        duplicate = true;
        published = Published{earlier->room, earlier->offset, earlier->epoch};
    } else {
        protocol::Sender from{c.sid, c.identity ? std::optional<std::string>(c.identity->userId) : std::nullopt};
        published = append(*room, from, f.event, std::move(f.dataJson), f.mid, now, frame);
        if (f.mid) mids_.remember(c.dedupeKey, *f.mid, {published.room, published.offset, published.epoch}, now);
    }
    // The reply goes first, so the publisher learns its offset before its
    // own echo (if any) arrives.
    if (f.ref != 0) reply(c, f.ref, publishReplyJson(published, duplicate), out);
    if (frame) deliver(*room, frame, f.echo ? 0 : c.id, out);
}

Error Hub::roomLimitError() const {
    return makeError(ErrorCode::LimitExceeded,
                     "the server holds its most rooms (" + std::to_string(settings_.maxRooms) + "); no new one now");
}

std::optional<Error> Hub::checkRoomCapacity(const std::vector<std::string>& roomIds) const {
    if (rooms_.beyondCapacity(roomIds)) return roomLimitError();
    return std::nullopt;
}

std::string Hub::publishReplyJson(const Published& published, bool duplicate) {
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    json::writeKey(w, "room");
    json::writeString(w, published.room);
    json::writeKey(w, "offset");
    w.Uint64(published.offset);
    json::writeKey(w, "epoch");
    json::writeString(w, published.epoch);
    json::writeKey(w, "duplicate");
    w.Bool(duplicate);
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

void Hub::handleHistory(Connection& c, const protocol::HistoryFrame& f, Outbox& out) {
    // Members may read, and so may a token whose rooms claim names the room.
    bool viaClaim = c.identity && c.identity->rooms && claimsAllow(c, f.room);
    if (!rooms_.isMember(f.room, c.id) && !viaClaim) {
        fail(c, f.ref, "history", makeError(ErrorCode::Forbidden, "join the room to read its history"), 0, out);
        return;
    }
    auto result = historyJson(f.room, f.since, f.limit);
    if (auto* data = std::get_if<std::string>(&result)) reply(c, f.ref, std::move(*data), out);
    else fail(c, f.ref, "history", std::get<Error>(result), 0, out);
}

void Hub::handleMembers(Connection& c, const protocol::MembersFrame& f, Outbox& out) {
    if (!rooms_.isMember(f.room, c.id)) {
        fail(c, f.ref, "members", makeError(ErrorCode::Forbidden, "join the room to list its members"), 0, out);
        return;
    }
    auto result = membersJson(f.room);
    if (auto* data = std::get_if<std::string>(&result)) reply(c, f.ref, std::move(*data), out);
    else fail(c, f.ref, "members", std::get<Error>(result), 0, out);
}

std::variant<Published, Error> Hub::publish(const std::string& roomId, const std::string& event,
                                            const std::string& dataJson, std::int64_t now, Outbox& out) {
    if (!protocol::isValidRoomId(roomId))
        return makeError(ErrorCode::BadRequest, "field 'room' must be 1-128 bytes of A-Z a-z 0-9 _ . : @ -");
    if (event.empty() || event.size() > protocol::kMaxEventBytes)
        return makeError(ErrorCode::BadRequest, "field 'event' must be 1-64 bytes");
    if (rooms_.beyondCapacity({roomId})) return roomLimitError();
    rooms::Room& room = rooms_.obtain(roomId, now);
    SharedFrame frame;
    Published published = append(room, protocol::Sender{}, event, dataJson, std::nullopt, now, frame);
    deliver(room, frame, 0, out);
    return published;
}

std::variant<std::string, Error> Hub::membersJson(const std::string& roomId) const {
    const rooms::Room* room = rooms_.find(roomId);
    if (!room) return makeError(ErrorCode::NotFound, "no such room");
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    json::writeKey(w, "room");
    json::writeString(w, room->id);
    writeMembers(w, *room, room->members.size());
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

std::variant<std::string, Error> Hub::historyJson(const std::string& roomId,
                                                  const std::optional<protocol::StreamPosition>& since,
                                                  std::optional<std::uint32_t> limit) const {
    const rooms::Room* room = rooms_.find(roomId);
    if (!room) return makeError(ErrorCode::NotFound, "no such room");
    if (since && since->epoch != room->epoch) {
        Error e = makeError(ErrorCode::Conflict, "the room's epoch changed: its history before now is gone");
        e.detailsJson = "{\"epoch\":\"" + room->epoch + "\"}";
        return e;
    }
    std::size_t n = std::min<std::uint32_t>(limit.value_or(kDefaultHistoryLimit), settings_.maxHistoryLimit);
    std::vector<rooms::HistoryEntry> messages =
        since ? room->history.after(since->offset, n) : room->history.newest(n);
    bool complete = true;
    if (since) {
        std::uint64_t last = messages.empty() ? since->offset : messages.back().offset;
        complete = last >= room->lastOffset;
    }
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    json::writeKey(w, "room");
    json::writeString(w, room->id);
    json::writeKey(w, "epoch");
    json::writeString(w, room->epoch);
    json::writeKey(w, "offset");
    w.Uint64(room->lastOffset);
    writeFrames(w, "messages", messages);
    json::writeKey(w, "complete");
    w.Bool(complete);
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace brolostack::server
