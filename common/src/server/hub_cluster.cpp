// Hub: rooms in cluster mode (broker.hpp). A node follows each room one of
// its connections joined: it loads the broker's copy before the first join
// is answered (the joiner's frames wait meanwhile), appends what the broker
// fans out in offset order, reads what it missed when an offset is skipped,
// and stops following the room when its last member here leaves. Publishes
// go to the broker, which places them; the publisher is answered by the
// broker's reply or by the fanned-out message, whichever comes first, so
// the reply always precedes the publisher's own echo.
#include "brolostack/json.hpp"
#include "brolostack/protocol/codec.hpp"
#include "brolostack/protocol/json_writers.hpp"
#include "brolostack/protocol/identifiers.hpp"
#include "brolostack/protocol/replies.hpp"
#include "brolostack/server/hub.hpp"

#include <algorithm>

namespace brolostack::server {

using protocol::Error;
using protocol::ErrorCode;
using protocol::makeError;

namespace {

/// The rooms a frame needs loaded before it can be handled.
std::vector<std::string> roomsNeeded(const protocol::ClientFrame& frame) {
    std::vector<std::string> rooms;
    if (const auto* join = std::get_if<protocol::JoinFrame>(&frame)) {
        rooms.push_back(join->room);
    } else if (const auto* hello = std::get_if<protocol::HelloFrame>(&frame)) {
        if (hello->resume)
            for (const auto& [room, since] : hello->resume->rooms) rooms.push_back(room);
    }
    // Rooms of the server ($session:...) are this node's own.
    rooms.erase(std::remove_if(rooms.begin(), rooms.end(), [](const std::string& r) { return protocol::isServerRoom(r); }),
                rooms.end());
    return rooms;
}

/// A member as the broker lists it; none when it is not one.
std::optional<rooms::MemberEntry> parseMember(std::string_view text) {
    auto member = protocol::decodeMember(text);
    if (!member) return std::nullopt;
    return rooms::MemberEntry{std::move(member->sid), std::move(member->user), std::move(member->infoJson)};
}

std::string memberJson(const rooms::MemberEntry& m) {
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    protocol::writeMember(w, protocol::MemberView{m.sid, m.user, m.infoJson});
    return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

void Hub::requestBroker(BrokerRequest request, Outbox& out) {
    Action a;
    a.kind = Action::Kind::Broker;
    a.broker = std::make_shared<const BrokerRequest>(std::move(request));
    out.push_back(std::move(a));
}

bool Hub::holdForRooms(Connection& c, protocol::ClientFrame& frame, Outbox& out) {
    std::size_t awaited = 0;
    for (const auto& room : roomsNeeded(frame)) {
        if (!protocol::isValidRoomId(room)) continue;  // refused by the join itself
        auto [it, created] = watches_.try_emplace(room);
        RoomWatch& watch = it->second;
        if (watch.live || watch.loadFailed) continue;
        if (created) {
            BrokerRequest watchRoom;
            watchRoom.kind = BrokerRequest::Kind::Watch;
            watchRoom.room = room;
            requestBroker(std::move(watchRoom), out);
        }
        if (std::find(watch.waiting.begin(), watch.waiting.end(), c.id) == watch.waiting.end()) {
            watch.waiting.push_back(c.id);
            ++awaited;
        }
    }
    if (awaited == 0) return false;
    c.roomsAwaited += awaited;
    c.held.push_front(std::move(frame));
    return true;
}

void Hub::releaseHeld(ConnId conn, std::int64_t now, Outbox& out) {
    Connection* c = find(conn);
    while (c && !c->closing && c->roomsAwaited == 0 && !c->held.empty()) {
        protocol::ClientFrame frame = std::move(c->held.front());
        c->held.pop_front();
        handleFrame(*c, frame, now, out);
        c = find(conn);  // the frame may have closed it
    }
}

void Hub::wakeWaiting(const std::string& room, std::int64_t now, Outbox& out) {
    auto it = watches_.find(room);
    if (it == watches_.end()) return;
    std::vector<ConnId> waiting;
    waiting.swap(it->second.waiting);
    for (ConnId conn : waiting)
        if (Connection* c = find(conn); c && c->roomsAwaited > 0) --c->roomsAwaited;
    for (ConnId conn : waiting) releaseHeld(conn, now, out);
}

std::optional<Error> Hub::brokerRoomUnavailable(const std::string& room) const {
    if (!clustered_ || protocol::isServerRoom(room)) return std::nullopt;
    auto it = watches_.find(room);
    if (it != watches_.end() && it->second.live) return std::nullopt;
    return brokerUnreachable();
}

void Hub::brokerSynced(const std::string& room, RoomSync sync, std::int64_t now, Outbox& out) {
    auto it = watches_.find(room);
    if (it == watches_.end() || !protocol::isValidEpoch(sync.epoch)) return;
    RoomWatch& watch = it->second;
    const rooms::Room* held = rooms_.find(room);
    bool firstLoad = !watch.live || !held;
    std::uint64_t heldUpTo = held ? held->lastOffset : 0;
    bool sameIncarnation = held && held->epoch == sync.epoch;

    // What the broker sent, as frames: contiguous from the first one.
    std::vector<rooms::HistoryEntry> entries;
    entries.reserve(sync.messages.size());
    std::vector<std::uint64_t> skips;
    for (const auto& m : sync.messages) {
        auto frame = protocol::placeMessage(m.unplaced, m.offset, sync.epoch);
        if (!frame || (!entries.empty() && m.offset != entries.back().offset + 1)) break;
        entries.push_back({m.offset, now, std::make_shared<const std::string>(std::move(*frame))});
        auto origin = BrokerOrigin::parse(m.origin);
        skips.push_back(origin && origin->node == nodeId_ ? origin->skip : 0);
    }

    watch.catchingUp = false;
    bool continues = !firstLoad && sameIncarnation && (entries.empty() || entries.front().offset <= heldUpTo + 1);
    if (continues) {
        for (std::size_t i = 0; i < entries.size(); ++i)
            if (rooms_.place(room, sync.epoch, entries[i].offset, entries[i].frame, now) == rooms::Placement::Appended)
                rooms_.deliver(room, entries[i].frame, skips[i], deliverTo(out));
    } else {
        // A first load, a new incarnation, or history trimmed past what this
        // node held: the broker's copy replaces ours. Members here get what
        // they had not seen of it.
        rooms_.adopt(room, sync.epoch, sync.lastOffset, entries, now);
        if (!firstLoad)
            for (std::size_t i = 0; i < entries.size(); ++i)
                if (!sameIncarnation || entries[i].offset > heldUpTo)
                    rooms_.deliver(room, entries[i].frame, skips[i], deliverTo(out));
    }
    if (firstLoad)
        for (const auto& member : sync.members)
            if (nodeOfMemberKey(member.key) != nodeId_)
                if (auto entry = parseMember(member.json)) rooms_.remoteJoined(room, member.key, std::move(*entry), deliverTo(out));
    watch.live = true;
    std::vector<std::tuple<std::string, bool, std::string>> presence;
    presence.swap(watch.earlyPresence);
    for (const auto& [key, joined, memberJson] : presence) brokerPresence(room, key, joined, memberJson, out);

    // Messages fanned out while this read was on its way.
    std::vector<std::pair<std::string, PlacedMessage>> early;
    early.swap(watch.early);
    std::sort(early.begin(), early.end(), [](const auto& a, const auto& b) { return a.second.offset < b.second.offset; });
    for (const auto& [epoch, message] : early) {
        auto again = watches_.find(room);
        if (again == watches_.end()) break;
        applyPlaced(room, again->second, epoch, message, now, out);
    }
    if (auto again = watches_.find(room); again != watches_.end() && !again->second.catchingUp) {
        const rooms::Room* r = rooms_.find(room);
        if (r && r->lastOffset < sync.lastOffset && r->epoch == sync.epoch) catchUp(room, again->second, r->lastOffset, out);
    }
    wakeWaiting(room, now, out);
}

void Hub::brokerSyncFailed(const std::string& room, std::int64_t now, Outbox& out) {
    auto it = watches_.find(room);
    if (it == watches_.end()) return;
    if (it->second.live) {
        // A catch-up failed: the next tick (retryCatchUps) or brokerResumed asks again.
        it->second.catchingUp = false;
        return;
    }
    it->second.loadFailed = true;
    wakeWaiting(room, now, out);
    // Nobody joined: the next join loads the room afresh.
    it = watches_.find(room);
    if (it != watches_.end() && !it->second.live) stopWatching(room, out);
}

void Hub::stopWatching(const std::string& room, Outbox& out) {
    watches_.erase(room);
    rooms_.forget(room);
    BrokerRequest unwatch;
    unwatch.kind = BrokerRequest::Kind::Unwatch;
    unwatch.room = room;
    requestBroker(std::move(unwatch), out);
}

void Hub::brokerPlaced(const std::string& room, std::string_view epoch, PlacedMessage message, std::int64_t now,
                       Outbox& out) {
    if (auto origin = BrokerOrigin::parse(message.origin); origin && origin->node == nodeId_)
        settlePublish(origin->token, BrokerPublishResult{{std::string(epoch), message.offset}, false}, now, out);
    auto it = watches_.find(room);
    if (it == watches_.end()) return;
    if (!it->second.live || it->second.catchingUp) {
        it->second.early.emplace_back(std::string(epoch), std::move(message));
        return;
    }
    applyPlaced(room, it->second, std::string(epoch), message, now, out);
}

void Hub::brokerPresence(const std::string& room, const std::string& memberKey, bool joined,
                         std::string_view memberJson, Outbox& out) {
    if (nodeOfMemberKey(memberKey) == nodeId_) {
        // Ours, told already; but one of ours dropped by another node that
        // took this one for dead (a stall of Redis or of this process) is
        // listed again while it is still here.
        if (!joined) relistIfStillHere(room, memberKey, out);
        return;
    }
    auto it = watches_.find(room);
    if (it == watches_.end()) return;
    if (!it->second.live) {
        it->second.earlyPresence.emplace_back(memberKey, joined, std::string(memberJson));
        return;
    }
    if (!joined) {
        rooms_.remoteLeft(room, memberKey, deliverTo(out));
        return;
    }
    if (auto entry = parseMember(memberJson)) rooms_.remoteJoined(room, memberKey, std::move(*entry), deliverTo(out));
}

void Hub::brokerNodeGone(const std::string& node, std::int64_t now, Outbox& out) {
    sessionsAfterNodeGone(node, now, out);
    // The members leave here when the broker tells every node they left:
    // the broker drops them only if the node is still dead as it does so,
    // so a node that came back (and listed its members again) keeps them.
    for (const auto& [room, watch] : watches_) {
        const rooms::Room* r = rooms_.find(room);
        if (!r) continue;
        for (const auto& [key, member] : r->remoteMembers) {
            if (nodeOfMemberKey(key) != node) continue;
            BrokerRequest left;
            left.kind = BrokerRequest::Kind::MemberLeft;
            left.room = room;
            left.memberKey = key;
            left.onlyIfNodeDead = true;
            requestBroker(std::move(left), out);
        }
    }
}

std::set<std::string> Hub::remoteNodes() const {
    std::set<std::string> nodes;
    for (const auto& [room, watch] : watches_)
        if (const rooms::Room* r = rooms_.find(room))
            for (const auto& [key, member] : r->remoteMembers) nodes.emplace(nodeOfMemberKey(key));
    nodes.merge(leads_.nodes());
    return nodes;
}

void Hub::relistIfStillHere(const std::string& room, const std::string& memberKey, Outbox& out) {
    auto conn = connOfMemberKey(memberKey);
    if (conn && rooms_.isMember(room, *conn)) announceJoin(room, *conn, out);
}

void Hub::announceJoin(const std::string& room, ConnId conn, Outbox& out) {
    const rooms::Room* r = rooms_.find(room);
    if (!r) return;
    auto it = r->members.find(conn);
    if (it == r->members.end()) return;
    announceMember(room, conn, memberJson(it->second), out);
}

void Hub::announceMember(const std::string& room, ConnId conn, std::string memberJson, Outbox& out) {
    BrokerRequest request;
    request.kind = memberJson.empty() ? BrokerRequest::Kind::MemberLeft : BrokerRequest::Kind::MemberJoined;
    request.room = room;
    request.memberKey = memberKey(conn);
    request.memberJson = std::move(memberJson);
    requestBroker(std::move(request), out);
}

void Hub::applyPlaced(const std::string& room, RoomWatch& watch, const std::string& epoch,
                      const PlacedMessage& message, std::int64_t now, Outbox& out) {
    auto placed = protocol::placeMessage(message.unplaced, message.offset, epoch);
    if (!placed) return;  // not a message this version can read
    auto frame = std::make_shared<const std::string>(std::move(*placed));
    switch (rooms_.place(room, epoch, message.offset, frame, now)) {
    case rooms::Placement::Appended: {
        auto origin = BrokerOrigin::parse(message.origin);
        rooms_.deliver(room, frame, origin && origin->node == nodeId_ ? origin->skip : 0, deliverTo(out));
        return;
    }
    case rooms::Placement::Stale:
    case rooms::Placement::Unknown:
        return;
    case rooms::Placement::Gap:
    case rooms::Placement::OtherEpoch: {
        watch.early.emplace_back(epoch, message);
        const rooms::Room* r = rooms_.find(room);
        if (!watch.catchingUp) catchUp(room, watch, r && r->epoch == epoch ? r->lastOffset : 0, out);
        return;
    }
    }
}

void Hub::catchUp(const std::string& room, RoomWatch& watch, std::uint64_t after, Outbox& out) {
    watch.catchingUp = true;
    BrokerRequest read;
    read.kind = BrokerRequest::Kind::CatchUp;
    read.room = room;
    read.after = after;
    requestBroker(std::move(read), out);
}

void Hub::retryCatchUps(Outbox& out) {
    for (auto& [room, watch] : watches_) {
        if (!watch.live || watch.catchingUp || watch.early.empty()) continue;
        const rooms::Room* r = rooms_.find(room);
        catchUp(room, watch, r ? r->lastOffset : 0, out);
    }
}

void Hub::brokerResumed(Outbox& out) {
    for (auto& [room, watch] : watches_) {
        if (!watch.live) continue;
        const rooms::Room* r = rooms_.find(room);
        if (!watch.catchingUp) catchUp(room, watch, r ? r->lastOffset : 0, out);
        if (!r) continue;
        BrokerRequest reset;
        reset.kind = BrokerRequest::Kind::MembersReset;
        reset.room = room;
        for (const auto& [conn, member] : r->members) reset.members.push_back({memberKey(conn), memberJson(member)});
        requestBroker(std::move(reset), out);
    }
}

void Hub::unwatchIfUnused(const std::set<std::string>& rooms, Outbox& out) {
    for (const auto& room : rooms) {
        auto it = watches_.find(room);
        if (it == watches_.end() || !it->second.waiting.empty()) continue;
        const rooms::Room* r = rooms_.find(room);
        if (r && !r->members.empty()) continue;
        stopWatching(room, out);
    }
}

void Hub::publishThroughBroker(Connection& c, protocol::PublishFrame& f, std::int64_t now, Outbox& out) {
    rooms::Participant p = participantOf(c);
    if (auto refused = rooms_.checkPublish(p, f)) {
        fail(c, f.ref, "publish", *refused, now, out);
        return;
    }
    std::uint64_t token = ++lastBrokerToken_;
    pendingPublishes_[token] = PendingPublish{c.id, f.ref, f.room, {}};
    BrokerRequest publish;
    publish.kind = BrokerRequest::Kind::Publish;
    publish.room = f.room;
    publish.token = token;
    publish.origin = BrokerOrigin{nodeId_, token, f.echo ? 0 : c.id}.encode();
    publish.dedupeKey = c.dedupeKey;
    publish.mid = f.mid;
    publish.midTtlMs = settings_.midTtlMs;
    publish.unplaced = rooms::RoomService::unplacedMessage(p, f, now);
    requestBroker(std::move(publish), out);
}

void Hub::publishThen(const std::string& room, const std::string& event, const std::string& dataJson,
                      std::int64_t now, Outbox& out, PublishDone done) {
    if (!clustered_ || protocol::isServerRoom(room)) {
        done(publish(room, event, dataJson, now, out));
        return;
    }
    if (!protocol::isValidRoomId(room))
        return done(makeError(ErrorCode::BadRequest, "field 'room' must be 1-128 bytes of A-Z a-z 0-9 _ . : @ -"));
    if (event.empty() || event.size() > protocol::kMaxEventBytes)
        return done(makeError(ErrorCode::BadRequest, "field 'event' must be 1-64 bytes"));
    std::uint64_t token = ++lastBrokerToken_;
    BrokerRequest publish;
    publish.kind = BrokerRequest::Kind::Publish;
    publish.room = room;
    publish.token = token;
    publish.origin = BrokerOrigin{nodeId_, token, 0}.encode();
    protocol::MessageFrame message;
    message.room = room;
    message.event = event;
    message.dataJson = dataJson;
    message.ts = now;
    publish.unplaced = protocol::encodeUnplacedMessage(message);
    pendingPublishes_[token] = PendingPublish{0, 0, room, std::move(done)};
    requestBroker(std::move(publish), out);
}

void Hub::brokerPublished(std::uint64_t token, std::variant<BrokerPublishResult, Error> result, std::int64_t now,
                          Outbox& out) {
    settlePublish(token, result, now, out);
}

void Hub::settlePublish(std::uint64_t token, const std::variant<BrokerPublishResult, Error>& result, std::int64_t now,
                        Outbox& out) {
    auto it = pendingPublishes_.find(token);
    if (it == pendingPublishes_.end()) return;  // answered already
    PendingPublish pending = std::move(it->second);
    pendingPublishes_.erase(it);
    if (pending.done) {
        if (const auto* error = std::get_if<Error>(&result)) return pending.done(*error);
        const auto& placed = std::get<BrokerPublishResult>(result);
        return pending.done(Published{pending.room, placed.position.offset, placed.position.epoch});
    }
    Connection* c = find(pending.conn);
    if (!c || pending.ref == 0) return;
    if (const auto* error = std::get_if<Error>(&result)) {
        fail(*c, pending.ref, "publish", *error, now, out);
        return;
    }
    const auto& placed = std::get<BrokerPublishResult>(result);
    reply(*c, pending.ref, protocol::encodePublishReply({pending.room, placed.position, placed.duplicate}), out);
}

}  // namespace brolostack::server
