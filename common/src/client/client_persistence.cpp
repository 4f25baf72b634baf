// The outbox as a string the application stores (localStorage) and hands to
// a later client: the next page after a reload, or a tab that outlives the
// one that queued. It holds the messages still owed to the server, with
// their mids, and the rooms they go to with the last position seen there,
// so the new client rejoins with `since` before sending them and misses
// nothing in between. Snapshots come back from storage the page does not
// control: every part is checked before anything is taken from them.
#include "brolostack/client/client_core.hpp"

#include "brolostack/json.hpp"
#include "brolostack/protocol/codec.hpp"
#include "brolostack/protocol/identifiers.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <type_traits>

namespace brolostack::client {
namespace {

constexpr std::size_t kMaxSnapshotBytes = 64 * 1024 * 1024;

/// ARGS shortcuts that act for this connection (its agents, its session
/// membership, its streams): another page adopting them would register
/// agents nobody runs, report for work it never got, or join sessions it
/// does not watch. They live and die with the page that sent them.
bool connectionScoped(std::string_view event) {
    static const std::set<std::string_view> events = {
        "register-agent", "unregister-agent", "heartbeat", "agent-progress", "task-progress", "task-complete",
        "task-error", "collaboration-request", "collaboration-response", "start-stream", "stream-chunk",
        "end-stream", "join-session", "leave-session"};
    return events.count(event) > 0;
}

/// Whether a queued entry goes into the snapshot another page may adopt.
bool persisted(const protocol::ClientFrame& frame, std::string_view event) {
    return std::holds_alternative<protocol::PublishFrame>(frame) ||
           (std::holds_alternative<protocol::SendFrame>(frame) && !connectionScoped(event));
}

/// A queued message as the snapshot keeps it: the frame without its ref
/// (each connection numbers its own).
std::string storedFrame(protocol::ClientFrame frame) {
    std::visit(
        [](auto& f) {
            if constexpr (!std::is_same_v<std::decay_t<decltype(f)>, protocol::PingFrame>) f.ref = 0;
        },
        frame);
    return protocol::encodeClientFrame(frame);
}

/// The frame of a stored message: `frame` (an object), or, in snapshots of
/// earlier versions, `op` with `fields` (the frame's members after op, as
/// text). Either way it passes the protocol's decoder before it is taken.
std::optional<protocol::ClientFrame> readStoredFrame(const json::Value& item) {
    std::string text;
    if (item.HasMember("frame") && item["frame"].IsObject()) {
        text = json::toString(item["frame"]);
    } else if (item.HasMember("op") && item["op"].IsString() && item.HasMember("fields") && item["fields"].IsString()) {
        text = "{\"op\":" + json::toString(item["op"]) + "," + item["fields"].GetString() + "}";
    } else {
        return std::nullopt;
    }
    auto decoded = protocol::decodeClientFrame(text, {kMaxSnapshotBytes, 64});
    if (!decoded.frame) return std::nullopt;
    return std::move(decoded.frame);
}

/// True when `key` is absent or holds the expected kind of value.
bool absentOr(const json::Value& obj, const char* key, bool (json::Value::*is)() const) {
    return !obj.HasMember(key) || (obj[key].*is)();
}

}  // namespace

std::string ClientCore::queueSnapshot() const {
    std::set<std::string> roomsAddressed;
    bool owed = false;
    for (const auto& o : outbox_) {
        if (!persisted(o.frame, o.event)) continue;  // joins and leaves follow from the rooms
        owed = true;
        if (std::holds_alternative<protocol::PublishFrame>(o.frame)) roomsAddressed.insert(o.room);
    }
    if (!owed) return {};
    rapidjson::StringBuffer b;
    json::Writer w(b);
    w.StartObject();
    json::writeKey(w, "rooms");
    w.StartObject();
    for (const auto& room : roomsAddressed) {
        auto it = rooms_.find(room);
        if (it == rooms_.end()) continue;  // not joined: the publish is refused wherever it goes
        const RoomState& r = it->second;
        json::writeKey(w, room);
        w.StartObject();
        json::writeKey(w, "name");
        json::writeString(w, r.name);
        json::writeKey(w, "info");
        json::writeRaw(w, r.infoJson);
        if (r.known) {
            json::writeKey(w, "epoch");
            json::writeString(w, r.epoch);
            json::writeKey(w, "offset");
            w.Uint64(r.offset);
        }
        w.EndObject();
    }
    w.EndObject();
    json::writeKey(w, "messages");
    w.StartArray();
    for (const auto& o : outbox_) {
        if (!persisted(o.frame, o.event)) continue;
        w.StartObject();
        json::writeKey(w, "frame");
        json::writeRaw(w, storedFrame(o.frame));
        json::writeKey(w, "mid");
        json::writeString(w, o.mid);
        json::writeKey(w, "queuedAt");
        w.Int64(o.queuedAt);
        json::writeKey(w, "priority");
        w.Int(static_cast<int>(o.priority));
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return std::string(b.GetString(), b.GetSize());
}

bool ClientCore::restoreQueue(const std::string& snapshotJson, std::int64_t now, Effects& out) {
    lastNow_ = now;
    json::Document doc;
    if (!json::parseStrict(snapshotJson, doc, kMaxSnapshotBytes, 8, false).ok() || !doc.IsObject() ||
        !doc.HasMember("messages") || !doc["messages"].IsArray() || !absentOr(doc, "rooms", &json::Value::IsObject))
        return false;

    std::vector<std::pair<std::string, RoomState>> rooms;
    if (doc.HasMember("rooms")) {
        for (auto it = doc["rooms"].MemberBegin(); it != doc["rooms"].MemberEnd(); ++it) {
            const auto& r = it->value;
            std::string room(it->name.GetString(), it->name.GetStringLength());
            if (!protocol::isValidRoomId(room) || !r.IsObject() || !absentOr(r, "name", &json::Value::IsString) ||
                !absentOr(r, "info", &json::Value::IsObject) || !absentOr(r, "epoch", &json::Value::IsString) ||
                !absentOr(r, "offset", &json::Value::IsUint64))
                return false;
            RoomState state;
            if (r.HasMember("name")) state.name = r["name"].GetString();
            if (r.HasMember("info")) state.infoJson = json::toString(r["info"]);
            state.known = r.HasMember("epoch") && r.HasMember("offset");
            if (state.known) {
                state.epoch = r["epoch"].GetString();
                state.offset = r["offset"].GetUint64();
            }
            rooms.emplace_back(std::move(room), std::move(state));
        }
    }

    std::vector<Outgoing> messages;
    for (const auto& item : doc["messages"].GetArray()) {
        if (!item.IsObject() || !item.HasMember("mid") || !item["mid"].IsString() ||
            !absentOr(item, "queuedAt", &json::Value::IsInt64) || !absentOr(item, "priority", &json::Value::IsInt))
            return false;
        auto frame = readStoredFrame(item);
        if (!frame) return false;
        Outgoing o;
        if (auto* p = std::get_if<protocol::PublishFrame>(&*frame)) {
            o.room = p->room;
            o.event = p->event;
            o.echo = p->echo;
        } else if (auto* m = std::get_if<protocol::SendFrame>(&*frame)) {
            o.event = m->event;
        } else {
            return false;  // only messages are kept
        }
        o.frame = std::move(*frame);
        // Snapshots written before connection-scoped sends were kept out.
        if (!persisted(o.frame, o.event)) continue;
        o.mid = item["mid"].GetString();
        o.queuedAt = item.HasMember("queuedAt") ? item["queuedAt"].GetInt64() : now;
        if (item.HasMember("priority")) {
            int priority = item["priority"].GetInt();
            if (priority < static_cast<int>(Priority::Low) || priority > static_cast<int>(Priority::Critical)) return false;
            o.priority = static_cast<Priority>(priority);
        }
        messages.push_back(std::move(o));
    }

    // Rooms first: a publish is only accepted from a member.
    std::size_t roomsRejoined = 0, messagesTaken = 0;
    for (auto& [room, state] : rooms) {
        if (rooms_.count(room)) continue;  // already here; its own join is under way or done
        RoomState& r = rooms_[room] = std::move(state);
        outbox_.push_back(joinFrame(room, r));
        ++roomsRejoined;
        if (state_ == State::Connected) transmit(outbox_.back(), out);
    }
    for (auto& o : messages) {
        bool known = std::any_of(outbox_.begin(), outbox_.end(), [&](const Outgoing& x) { return x.mid == o.mid; });
        if (known) continue;  // the same snapshot given twice is taken once
        outbox_.push_back(std::move(o));  // no promise to settle: requestId 0
        ++messagesTaken;
        if (state_ == State::Connected) transmit(outbox_.back(), out);
    }
    if (roomsRejoined || messagesTaken) ++queueVersion_;
    if (roomsRejoined || messagesTaken)
        emit(out, "queue-restored",
             "{\"messages\":" + std::to_string(messagesTaken) + ",\"rooms\":" + std::to_string(roomsRejoined) + "}");
    dropOverflow(out);
    return true;
}

}  // namespace brolostack::client
