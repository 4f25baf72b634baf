// The HTTP API's reads of a room (its members, its history) and of the
// session list, wherever they live. A room held here answers from here. In
// cluster mode a node holds only the rooms its connections joined and the
// sessions it leads, so the rest is read from the broker, which holds
// every room and every session's records (a shard or node the load
// balancer picked at random must answer as well as the room's own).
#include "brolostack/json.hpp"
#include "brolostack/protocol/codec.hpp"
#include "brolostack/server/hub.hpp"

namespace brolostack::server {

using protocol::Error;
using protocol::ErrorCode;
using protocol::makeError;

bool Hub::holdsRoom(const std::string& room) const {
    if (!clustered_ || protocol::isServerRoom(room)) return true;
    auto it = watches_.find(room);
    return it != watches_.end() && it->second.live && !it->second.catchingUp;
}

void Hub::membersThen(const std::string& room, Outbox& out, ReadDone done) {
    if (holdsRoom(room)) return done(rooms_.membersJson(room));
    readThroughBroker(PendingRead{PendingRead::What::Members, room, std::nullopt, std::nullopt, std::move(done)}, out);
}

void Hub::historyThen(const std::string& room, const std::optional<protocol::StreamPosition>& since,
                      std::optional<std::uint32_t> limit, Outbox& out, ReadDone done) {
    if (holdsRoom(room)) return done(rooms_.historyJson(room, since, limit));
    readThroughBroker(PendingRead{PendingRead::What::History, room, since, limit, std::move(done)}, out);
}

void Hub::sessionsThen(Outbox& out, ReadDone done) {
    if (!clustered_) return done(sessionsJson());
    readThroughBroker(PendingRead{PendingRead::What::Sessions, {}, std::nullopt, std::nullopt, std::move(done)}, out);
}

void Hub::readThroughBroker(PendingRead read, Outbox& out) {
    const bool sessions = read.what == PendingRead::What::Sessions;
    if (!sessions && !protocol::isValidRoomId(read.room)) return read.done(makeError(ErrorCode::NotFound, "no such room"));
    std::uint64_t token = ++lastBrokerToken_;
    BrokerRequest request;
    request.kind = sessions ? BrokerRequest::Kind::ListSessions : BrokerRequest::Kind::Read;
    request.room = read.room;
    request.token = token;
    pendingReads_.emplace(token, std::move(read));
    requestBroker(std::move(request), out);
}

void Hub::brokerRead(std::uint64_t token, const std::variant<RoomSync, Error>& answer) {
    auto it = pendingReads_.find(token);
    if (it == pendingReads_.end()) return;
    PendingRead read = std::move(it->second);
    pendingReads_.erase(it);
    if (const auto* error = std::get_if<Error>(&answer)) return read.done(*error);
    const RoomSync& sync = std::get<RoomSync>(answer);
    // Nothing ever published and nobody in it: as a node forgets such a room, so does the answer.
    if (sync.epoch.empty() || (sync.lastOffset == 0 && sync.members.empty()))
        return read.done(makeError(ErrorCode::NotFound, "no such room"));
    if (read.what == PendingRead::What::Members) {
        read.done(json::object([&](json::Writer& w) {
            json::writeKey(w, "room");
            json::writeString(w, read.room);
            json::writeKey(w, "members");
            w.StartArray();
            for (const auto& member : sync.members) json::writeRaw(w, member.json);
            w.EndArray();
            json::writeKey(w, "memberCount");
            w.Uint64(sync.members.size());
        }));
        return;
    }
    // The broker's history, as this node would hold it (and trim it) if the room were here.
    rooms::HistoryRing history(settings_.historySize, INT64_MAX / 2, settings_.historyMaxBytes);
    for (const auto& message : sync.messages) {
        auto placed = protocol::placeMessage(message.unplaced, message.offset, sync.epoch);
        if (!placed) continue;  // not a message this version can read
        history.push(rooms::HistoryEntry{message.offset, 0, std::make_shared<const std::string>(std::move(*placed))});
    }
    read.done(rooms_.historyJson(read.room, sync.epoch, sync.lastOffset, history, read.since, read.limit));
}

void Hub::brokerSessionsListed(std::uint64_t token, const std::variant<std::vector<std::string>, Error>& answer) {
    auto it = pendingReads_.find(token);
    if (it == pendingReads_.end()) return;
    PendingRead read = std::move(it->second);
    pendingReads_.erase(it);
    if (const auto* error = std::get_if<Error>(&answer)) return read.done(*error);
    read.done(sessionListJson(std::get<std::vector<std::string>>(answer)));
}

}  // namespace brolostack::server
