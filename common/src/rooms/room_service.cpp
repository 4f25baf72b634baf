#include "brolostack/rooms/room_service.hpp"

#include "brolostack/json.hpp"
#include "brolostack/protocol/identifiers.hpp"
#include "brolostack/protocol/json_writers.hpp"
#include "brolostack/protocol/replies.hpp"

#include <algorithm>

namespace brolostack::rooms {

using protocol::Error;
using protocol::ErrorCode;
using protocol::makeError;

namespace {

// A join reply lists at most this many members; `memberCount` is exact and
// the `members` op lists everyone.
constexpr std::size_t kMaxMembersInJoinReply = 1000;
constexpr std::uint32_t kDefaultHistoryLimit = 100;

protocol::MemberView viewOf(const MemberEntry& m) { return {m.sid, m.user, m.infoJson}; }

/// The frame to every member of the room but `skip` (0: none).
void deliverToMembers(const Room& room, const SharedFrame& frame, MemberId skip, const Deliver& deliver) {
    if (!room.memberIds.empty()) deliver(room.memberIds, skip, frame);
}

void writeMembers(json::Writer& w, const Room& room) {
    json::writeKey(w, "members");
    w.StartArray();
    for (const auto& [id, member] : room.members) protocol::writeMember(w, viewOf(member));
    for (const auto& [key, member] : room.remoteMembers) protocol::writeMember(w, viewOf(member));
    w.EndArray();
    json::writeKey(w, "memberCount");
    w.Uint64(room.memberCount());
}

void writeFrames(json::Writer& w, const char* key, const std::vector<HistoryEntry>& entries) {
    json::writeKey(w, key);
    w.StartArray();
    for (const auto& e : entries) json::writeRaw(w, *e.frame);
    w.EndArray();
}

}  // namespace

std::string Publication::replyJson() const {
    return protocol::encodePublishReply({at.room, {at.epoch, at.offset}, duplicate});
}

RoomService::RoomService(RoomServiceSettings settings, std::function<std::string()> newEpoch, store::Store* store)
    : settings_(settings),
      registry_(settings.rooms, std::move(newEpoch), store),
      mids_(settings.midTtlMs, settings.maxRememberedMids, store) {}

void RoomService::restore(const store::Snapshot& kept, std::int64_t now) {
    registry_.restore(kept.rooms, now);
    mids_.restore(kept.mids, now);
}

std::variant<std::string, Error> RoomService::join(const Participant& p, const protocol::JoinFrame& f, std::int64_t now,
                                                   const Deliver& deliver) {
    if (protocol::isServerRoom(f.room) && protocol::sessionIdOfRoom(f.room).empty())
        return makeError(ErrorCode::Forbidden, "rooms starting with '$' belong to the server");
    bool alreadyMember = registry_.isMember(f.room, p.id);
    if (!alreadyMember && registry_.roomsOf(p.id).size() >= settings_.maxRoomsPerMember)
        return makeError(ErrorCode::LimitExceeded,
                         "a connection may join at most " + std::to_string(settings_.maxRoomsPerMember) + " rooms");
    if (registry_.beyondCapacity({f.room})) return roomLimitError();
    Room& room = registry_.obtain(f.room, now);
    if (room.name.empty() && f.name) registry_.name(room, *f.name);
    if (!alreadyMember) {
        MemberEntry entry{p.sid, p.user, f.infoJson.value_or("{}")};
        protocol::PresenceFrame presence{room.id, "join", viewOf(entry), room.memberCount() + 1};
        registry_.join(room, p.id, std::move(entry), now);
        auto frame = std::make_shared<const std::string>(protocol::encodeServerFrame(presence));
        deliverToMembers(room, frame, p.id, deliver);
    }

    protocol::JoinReply reply;
    reply.room = room.id;
    reply.name = room.name;
    reply.position = {room.epoch, room.lastOffset};
    for (const auto& [id, member] : room.members) {
        if (reply.members.size() == kMaxMembersInJoinReply) break;
        reply.members.push_back(viewOf(member));
    }
    for (const auto& [key, member] : room.remoteMembers) {
        if (reply.members.size() == kMaxMembersInJoinReply) break;
        reply.members.push_back(viewOf(member));
    }
    reply.memberCount = room.memberCount();
    if (f.since && f.since->epoch == room.epoch) {
        reply.recovered = room.history.coversAfter(f.since->offset, room.lastOffset);
        if (f.since->offset < room.lastOffset)
            for (const auto& entry : room.history.after(f.since->offset, room.history.size()))
                reply.missed.push_back(entry.frame);
    }
    return protocol::encodeJoinReply(reply);
}

void RoomService::leave(MemberId member, const std::string& roomId, std::int64_t now, const Deliver& deliver) {
    const Room* before = registry_.find(roomId);
    if (!before) return;
    auto entry = before->members.find(member);
    if (entry == before->members.end()) return;
    protocol::PresenceFrame presence{roomId, "leave", viewOf(entry->second), before->memberCount() - 1};
    registry_.leave(roomId, member, now);
    const Room* room = registry_.find(roomId);
    if (!room || room->members.empty()) return;
    auto frame = std::make_shared<const std::string>(protocol::encodeServerFrame(presence));
    deliverToMembers(*room, frame, 0, deliver);
}

void RoomService::leaveAll(MemberId member, std::int64_t now, const Deliver& deliver) {
    // A copy: leaving edits the member's room set.
    std::set<std::string> joined = registry_.roomsOf(member);
    for (const auto& room : joined) leave(member, room, now, deliver);
}

PublishedAt RoomService::append(Room& room, const protocol::Sender& from, const std::string& event, std::string dataJson,
                                const std::optional<std::string>& mid, std::int64_t now, SharedFrame& frame) {
    std::uint64_t offset = registry_.append(
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
    return PublishedAt{room.id, offset, room.epoch};
}

std::optional<Error> RoomService::checkPublish(const Participant& p, const protocol::PublishFrame& f) const {
    if (protocol::isServerRoom(f.room))
        return makeError(ErrorCode::Forbidden, "rooms starting with '$' belong to the server: clients cannot publish there");
    if (!registry_.isMember(f.room, p.id)) return makeError(ErrorCode::Forbidden, "join the room before publishing to it");
    return std::nullopt;
}

std::string RoomService::unplacedMessage(const Participant& p, protocol::PublishFrame& f, std::int64_t now) {
    protocol::MessageFrame message;
    message.room = f.room;
    message.event = f.event;
    message.dataJson = std::move(f.dataJson);
    message.from = protocol::Sender{p.sid, p.user};
    message.ts = now;
    message.mid = f.mid;
    return protocol::encodeUnplacedMessage(message);
}

std::variant<Publication, Error> RoomService::publish(const Participant& p, protocol::PublishFrame& f, std::int64_t now) {
    if (auto refused = checkPublish(p, f)) return *refused;
    Room* room = registry_.find(f.room);
    Publication result;
    if (auto earlier = f.mid ? mids_.find(p.dedupeKey, *f.mid, now) : std::nullopt) {
        result.duplicate = true;
        result.at = *earlier;
        return result;
    }
    result.at = append(*room, protocol::Sender{p.sid, p.user}, f.event, std::move(f.dataJson), f.mid, now, result.frame);
    if (f.mid) mids_.remember(p.dedupeKey, *f.mid, result.at, now);
    return result;
}

std::variant<PublishedAt, Error> RoomService::publishAsServer(const std::string& roomId, const std::string& event,
                                                              const std::string& dataJson, std::int64_t now,
                                                              const Deliver& deliver) {
    if (!protocol::isValidRoomId(roomId))
        return makeError(ErrorCode::BadRequest, "field 'room' must be 1-128 bytes of A-Z a-z 0-9 _ . : @ -");
    if (event.empty() || event.size() > protocol::kMaxEventBytes)
        return makeError(ErrorCode::BadRequest, "field 'event' must be 1-64 bytes");
    if (registry_.beyondCapacity({roomId})) return roomLimitError();
    Room& room = registry_.obtain(roomId, now);
    SharedFrame frame;
    PublishedAt at = append(room, protocol::Sender{}, event, dataJson, std::nullopt, now, frame);
    this->deliver(room.id, frame, 0, deliver);
    return at;
}

void RoomService::announce(const std::string& roomId, std::int64_t now,
                           const std::function<SharedFrame(const Room& room, std::uint64_t offset)>& build,
                           const Deliver& deliver) {
    Room& room = registry_.obtain(roomId, now);
    SharedFrame frame;
    registry_.append(room, now, [&](std::uint64_t offset) { return build(room, offset); }, &frame);
    this->deliver(room.id, frame, 0, deliver);
}

void RoomService::adopt(const std::string& roomId, const std::string& epoch, std::uint64_t lastOffset,
                        const std::vector<HistoryEntry>& messages, std::int64_t now) {
    registry_.adopt(roomId, epoch, lastOffset, messages, now);
}

Placement RoomService::place(const std::string& roomId, std::string_view epoch, std::uint64_t offset,
                             const SharedFrame& frame, std::int64_t now) {
    Room* room = registry_.find(roomId);
    if (!room) return Placement::Unknown;
    if (epoch != room->epoch) return Placement::OtherEpoch;
    if (offset <= room->lastOffset) return Placement::Stale;
    if (offset != room->lastOffset + 1) return Placement::Gap;
    registry_.appendPlaced(*room, HistoryEntry{offset, now, frame});
    return Placement::Appended;
}

bool RoomService::remoteJoined(const std::string& roomId, const std::string& key, MemberEntry entry,
                               const Deliver& deliver) {
    Room* room = registry_.find(roomId);
    if (!room) return false;
    auto [it, added] = room->remoteMembers.try_emplace(key, std::move(entry));
    if (!added) return false;
    auto frame = std::make_shared<const std::string>(
        protocol::encodeServerFrame(protocol::PresenceFrame{roomId, "join", viewOf(it->second), room->memberCount()}));
    deliverToMembers(*room, frame, 0, deliver);
    return true;
}

bool RoomService::remoteLeft(const std::string& roomId, const std::string& key, const Deliver& deliver) {
    Room* room = registry_.find(roomId);
    if (!room) return false;
    auto it = room->remoteMembers.find(key);
    if (it == room->remoteMembers.end()) return false;
    MemberEntry gone = std::move(it->second);
    room->remoteMembers.erase(it);
    auto frame = std::make_shared<const std::string>(
        protocol::encodeServerFrame(protocol::PresenceFrame{roomId, "leave", viewOf(gone), room->memberCount()}));
    deliverToMembers(*room, frame, 0, deliver);
    return true;
}

void RoomService::forget(const std::string& roomId) {
    const Room* room = registry_.find(roomId);
    if (room && room->members.empty()) registry_.forget(roomId);
}

void RoomService::deliver(const std::string& roomId, const SharedFrame& frame, MemberId skip,
                          const Deliver& deliver) const {
    const Room* room = registry_.find(roomId);
    if (!room) return;
    deliverToMembers(*room, frame, skip, deliver);
}

Error RoomService::roomLimitError() const {
    return makeError(ErrorCode::LimitExceeded,
                     "the server holds its most rooms (" + std::to_string(settings_.rooms.maxRooms) + "); no new one now");
}

std::optional<Error> RoomService::checkCapacity(const std::vector<std::string>& roomIds) const {
    if (registry_.beyondCapacity(roomIds)) return roomLimitError();
    return std::nullopt;
}

std::variant<std::string, Error> RoomService::membersJson(const std::string& roomId) const {
    const Room* room = registry_.find(roomId);
    if (!room) return makeError(ErrorCode::NotFound, "no such room");
    return json::object([&](json::Writer& w) {
        json::writeKey(w, "room");
        json::writeString(w, room->id);
        writeMembers(w, *room);
    });
}

std::variant<std::string, Error> RoomService::historyJson(const std::string& roomId,
                                                          const std::optional<protocol::StreamPosition>& since,
                                                          std::optional<std::uint32_t> limit) const {
    const Room* room = registry_.find(roomId);
    if (!room) return makeError(ErrorCode::NotFound, "no such room");
    return historyJson(room->id, room->epoch, room->lastOffset, room->history, since, limit);
}

std::variant<std::string, Error> RoomService::historyJson(const std::string& roomId, const std::string& epoch,
                                                          std::uint64_t lastOffset, const HistoryRing& history,
                                                          const std::optional<protocol::StreamPosition>& since,
                                                          std::optional<std::uint32_t> limit) const {
    if (since && since->epoch != epoch) {
        Error e = makeError(ErrorCode::Conflict, "the room's epoch changed: its history before now is gone");
        e.detailsJson = "{\"epoch\":\"" + epoch + "\"}";
        return e;
    }
    std::size_t n = std::min<std::uint32_t>(limit.value_or(kDefaultHistoryLimit), settings_.maxHistoryLimit);
    std::vector<HistoryEntry> messages = since ? history.after(since->offset, n) : history.newest(n);
    bool complete = true;
    if (since) {
        std::uint64_t last = messages.empty() ? since->offset : messages.back().offset;
        complete = last >= lastOffset;
    }
    return json::object([&](json::Writer& w) {
        json::writeKey(w, "room");
        json::writeString(w, roomId);
        json::writeKey(w, "epoch");
        json::writeString(w, epoch);
        json::writeKey(w, "offset");
        w.Uint64(lastOffset);
        writeFrames(w, "messages", messages);
        json::writeKey(w, "complete");
        w.Bool(complete);
    });
}

void RoomService::expire(std::int64_t now) {
    registry_.expire(now);
    mids_.expire(now);
}

}  // namespace brolostack::rooms
