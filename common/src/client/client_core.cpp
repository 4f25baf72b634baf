#include "brolostack/client/client_core.hpp"

#include "brolostack/json.hpp"
#include "brolostack/protocol/codec.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace brolostack::client {
namespace {

constexpr std::size_t kLatencySamples = 100;

std::string jsonString(std::string_view s) {
    rapidjson::StringBuffer b;
    json::Writer w(b);
    json::writeString(w, s);
    return std::string(b.GetString(), b.GetSize());
}

/// kebab-case of an ARGS type: TASK_PROGRESS -> task-progress.
std::string kebab(std::string type) {
    for (char& c : type) c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return type;
}

/// The client's own events. A room event with one of these names (the
/// seed's chat publishes "message") arrives only as `message`: handlers of
/// `error` or `connected` never receive a room's data.
bool isClientEventName(std::string_view name) {
    static const std::set<std::string_view> names = {
        "state", "connected", "disconnected", "reconnected", "reconnect-error", "message", "room-joined",
        "room-left", "user-joined", "user-left", "latency-updated", "message-queued", "queue-processed",
        "queue-restored", "message-dropped", "recovery-failed", "token-expiring", "error"};
    return names.count(name) > 0;
}

bool terminalClose(std::uint16_t code) {
    return code == protocol::close_code::kProtocolError || code == protocol::close_code::kUnauthorized ||
           code == protocol::close_code::kForbidden;
}

}  // namespace

const char* stateName(State s) {
    switch (s) {
        case State::Disconnected: return "disconnected";
        case State::Connecting: return "connecting";
        case State::Connected: return "connected";
        case State::Reconnecting: return "reconnecting";
        case State::Closed: return "closed";
    }
    return "disconnected";
}

ClientCore::ClientCore(ClientOptions options, std::function<double()> random)
    : options_(std::move(options)), random_(std::move(random)) {}

void ClientCore::setState(State s, Effects& out) {
    if (s == state_) return;
    state_ = s;
    emit(out, "state", jsonString(stateName(s)));
}

void ClientCore::emit(Effects& out, const std::string& name, std::string dataJson, std::string extraJson) {
    Effect e;
    e.kind = Effect::Kind::Emit;
    e.text = name;
    e.dataJson = std::move(dataJson);
    e.extraJson = std::move(extraJson);
    out.push_back(std::move(e));
}

std::string ClientCore::newMid() {
    static const char* digits = "0123456789abcdef";
    std::string mid = "m-";
    for (int i = 0; i < 16; ++i) mid.push_back(digits[static_cast<int>(random_() * 16) & 15]);
    return mid;
}

std::uint64_t ClientCore::connect(std::int64_t now, Effects& out) {
    (void)now;
    std::uint64_t id = nextRequestId_++;
    if (state_ == State::Connected) {
        out.push_back(Effect{Effect::Kind::Resolve, {}, "{}", {}, id, 0});
        return id;
    }
    // A connect while one is under way joins it: the last request settles.
    if (connectRequest_) out.push_back(Effect{Effect::Kind::Reject, "superseded", "a newer connect() call replaced this one", {}, connectRequest_, 0});
    connectRequest_ = id;
    if (state_ == State::Connecting) return id;
    attempts_ = 0;
    setState(State::Connecting, out);
    out.push_back(Effect{Effect::Kind::Open, {}, {}, {}, 0, 0});
    return id;
}

void ClientCore::disconnect(std::int64_t, Effects& out) {
    bool open = state_ == State::Connected || state_ == State::Connecting;
    bool wasUp = state_ != State::Closed && state_ != State::Disconnected;
    setState(State::Closed, out);
    if (wasUp) emit(out, "disconnected", "{\"code\":1000,\"reason\":\"client disconnect\"}");
    if (open) out.push_back(Effect{Effect::Kind::Close, "client disconnect", {}, {}, 0, 1000});
    failPending("disconnected", "the client was disconnected", out);
}

void ClientCore::failPending(const std::string& code, const std::string& message, Effects& out) {
    for (const auto& o : outbox_)
        if (o.requestId) out.push_back(Effect{Effect::Kind::Reject, code, message, {}, o.requestId, 0});
    outbox_.clear();
    ++queueVersion_;
    if (connectRequest_) out.push_back(Effect{Effect::Kind::Reject, code, message, {}, connectRequest_, 0});
    connectRequest_ = 0;
}

std::uint64_t ClientCore::enqueue(Outgoing o, std::int64_t now, Effects& out) {
    lastNow_ = now;
    o.requestId = nextRequestId_++;
    o.queuedAt = now;
    std::uint64_t id = o.requestId;
    bool message = o.op == "publish" || o.op == "send";
    if (message && !options_.queueEnabled && everConnected_ && state_ != State::Connected) {
        out.push_back(Effect{Effect::Kind::Reject, "unavailable", "offline, and the message queue is off", {}, id, 0});
        return id;
    }
    outbox_.push_back(std::move(o));
    ++queueVersion_;
    if (state_ == State::Connected) {
        transmit(outbox_.back(), out);
        return id;
    }
    emit(out, "message-queued", "{\"op\":" + jsonString(outbox_.back().op) + ",\"queued\":" +
                                    std::to_string(outbox_.size()) + "}");
    dropOverflow(out);
    return id;
}

// Bounded: past queueMaxSize unsent messages, the oldest of the lowest
// priority present makes room, and says so.
void ClientCore::dropOverflow(Effects& out) {
    auto unsentMessage = [](const Outgoing& x) { return !x.sent && (x.op == "publish" || x.op == "send"); };
    auto unsent = static_cast<std::size_t>(std::count_if(outbox_.begin(), outbox_.end(), unsentMessage));
    for (; unsent > options_.queueMaxSize; --unsent) {
        auto oldest = outbox_.end();  // of the lowest priority present
        for (auto it = outbox_.begin(); it != outbox_.end(); ++it)
            if (unsentMessage(*it) && (oldest == outbox_.end() || it->priority < oldest->priority)) oldest = it;
        ++dropped_;
        emit(out, "message-dropped", "{\"reason\":\"queue-full\",\"mid\":" + jsonString(oldest->mid) + "}");
        if (oldest->requestId)
            out.push_back(Effect{Effect::Kind::Reject, "dropped", "the message queue was full", {}, oldest->requestId, 0});
        outbox_.erase(oldest);
        ++queueVersion_;
    }
}

void ClientCore::transmit(Outgoing& o, Effects& out) {
    o.ref = nextRef_++;
    o.sent = true;
    o.sentAt = lastNow_;
    ++messagesSent_;
    std::string frame = "{\"op\":" + jsonString(o.op) + ",\"ref\":" + std::to_string(o.ref) +
                        (o.frameWithoutRef.empty() ? "" : "," + o.frameWithoutRef) + "}";
    out.push_back(Effect{Effect::Kind::Send, std::move(frame), {}, {}, 0, 0});
}

void ClientCore::flush(Effects& out) {
    std::size_t n = 0;
    for (auto& o : outbox_)
        if (!o.sent) {
            transmit(o, out);
            ++n;
        }
    if (n) emit(out, "queue-processed", "{\"sent\":" + std::to_string(n) + "}");
}

std::uint64_t ClientCore::joinRoom(const std::string& room, const std::string& name, const std::string& infoJson,
                                   std::int64_t now, Effects& out) {
    RoomState& r = rooms_[room];
    r.name = name;
    r.infoJson = infoJson.empty() ? "{}" : infoJson;
    return enqueue(joinFrame(room, r), now, out);
}

// A room this client already knows a position in (restored from a snapshot,
// or joined again) is joined with `since`: the reply carries what it missed.
ClientCore::Outgoing ClientCore::joinFrame(const std::string& room, const RoomState& r) const {
    Outgoing o;
    o.op = "join";
    o.room = room;
    o.since = r.known;
    o.frameWithoutRef = "\"room\":" + jsonString(room) + (r.name.empty() ? "" : ",\"name\":" + jsonString(r.name)) +
                        ",\"info\":" + r.infoJson;
    if (r.known)
        o.frameWithoutRef += ",\"since\":{\"epoch\":" + jsonString(r.epoch) + ",\"offset\":" + std::to_string(r.offset) + "}";
    return o;
}

std::uint64_t ClientCore::leaveRoom(const std::string& room, std::int64_t now, Effects& out) {
    rooms_.erase(room);
    ++queueVersion_;
    Outgoing o;
    o.op = "leave";
    o.frameWithoutRef = "\"room\":" + jsonString(room);
    return enqueue(std::move(o), now, out);
}

std::uint64_t ClientCore::history(const std::string& room, std::uint64_t limit, std::int64_t now, Effects& out) {
    Outgoing o;
    o.op = "history";
    o.room = room;
    o.frameWithoutRef = "\"room\":" + jsonString(room) + ",\"limit\":" + std::to_string(limit);
    return enqueue(std::move(o), now, out);
}

std::uint64_t ClientCore::members(const std::string& room, std::int64_t now, Effects& out) {
    Outgoing o;
    o.op = "members";
    o.room = room;
    o.frameWithoutRef = "\"room\":" + jsonString(room);
    return enqueue(std::move(o), now, out);
}

std::uint64_t ClientCore::refreshToken(const std::string& token, std::int64_t now, Effects& out) {
    options_.token = token;
    if (state_ != State::Connected) {
        std::uint64_t id = nextRequestId_++;
        out.push_back(Effect{Effect::Kind::Resolve, {}, "{}", {}, id, 0});
        return id;
    }
    Outgoing o;
    o.op = "refresh";
    o.frameWithoutRef = "\"token\":" + jsonString(token);
    return enqueue(std::move(o), now, out);
}

std::uint64_t ClientCore::publish(const std::string& room, const std::string& event, const std::string& dataJson,
                                  bool echo, std::int64_t now, Effects& out, Priority priority) {
    Outgoing o;
    o.op = "publish";
    o.priority = priority;
    o.room = room;
    o.echo = echo;
    o.mid = newMid();
    o.frameWithoutRef = "\"room\":" + jsonString(room) + ",\"event\":" + jsonString(event) +
                        ",\"data\":" + (dataJson.empty() ? "null" : dataJson) + ",\"mid\":" + jsonString(o.mid) +
                        ",\"echo\":" + (echo ? "true" : "false");
    return enqueue(std::move(o), now, out);
}

std::uint64_t ClientCore::send(const std::string& event, const std::string& dataJson, std::int64_t now, Effects& out,
                               Priority priority) {
    Outgoing o;
    o.op = "send";
    o.event = event;
    o.priority = priority;
    o.mid = newMid();
    o.frameWithoutRef = "\"event\":" + jsonString(event) + ",\"data\":" + (dataJson.empty() ? "null" : dataJson) +
                        ",\"mid\":" + jsonString(o.mid);
    return enqueue(std::move(o), now, out);
}

void ClientCore::opened(std::int64_t now, Effects& out) {
    lastNow_ = now;
    sendHello(out);
}

void ClientCore::sendHello(Effects& out) {
    helloRef_ = nextRef_++;
    rapidjson::StringBuffer b;
    json::Writer w(b);
    w.StartObject();
    json::writeKey(w, "op");
    json::writeString(w, "hello");
    json::writeKey(w, "ref");
    w.Uint64(helloRef_);
    json::writeKey(w, "v");
    w.Int(protocol::kProtocolVersion);
    if (!options_.token.empty()) {
        json::writeKey(w, "token");
        json::writeString(w, options_.token);
    }
    if (!options_.apiKey.empty()) {
        json::writeKey(w, "apiKey");
        json::writeString(w, options_.apiKey);
    }
    json::writeKey(w, "client");
    w.StartObject();
    json::writeKey(w, "name");
    json::writeString(w, "brolostack-js");
    json::writeKey(w, "version");
    json::writeString(w, "1.0.0");
    w.EndObject();
    if (!sid_.empty()) {
        json::writeKey(w, "resume");
        w.StartObject();
        json::writeKey(w, "sid");
        json::writeString(w, sid_);
        if (!resumeToken_.empty()) {
            json::writeKey(w, "token");
            json::writeString(w, resumeToken_);
        }
        json::writeKey(w, "rooms");
        w.StartObject();
        for (const auto& [room, r] : rooms_) {
            if (!r.known) continue;
            json::writeKey(w, room);
            w.StartObject();
            json::writeKey(w, "epoch");
            json::writeString(w, r.epoch);
            json::writeKey(w, "offset");
            w.Uint64(r.offset);
            w.EndObject();
        }
        w.EndObject();
        w.EndObject();
    }
    w.EndObject();
    out.push_back(Effect{Effect::Kind::Send, std::string(b.GetString(), b.GetSize()), {}, {}, 0, 0});
}

void ClientCore::received(const std::string& text, std::int64_t now, Effects& out) {
    lastNow_ = now;
    ++messagesReceived_;
    json::Document doc;
    if (!json::parseStrict(text, doc, 64 * 1024 * 1024, 64, true).ok() || !doc.HasMember("op") || !doc["op"].IsString())
        return emit(out, "error", "{\"code\":\"bad_frame\",\"message\":\"the server sent a frame that is not JSON\"}");
    std::string op = doc["op"].GetString();
    auto str = [&](const char* k) -> std::string {
        return doc.HasMember(k) && doc[k].IsString() ? std::string(doc[k].GetString(), doc[k].GetStringLength()) : "";
    };
    auto raw = [&](const json::Value& obj, const char* k) -> std::string {
        return obj.HasMember(k) ? json::toString(obj[k]) : "null";
    };
    if (op == "reply") {
        std::uint64_t ref = doc.HasMember("ref") && doc["ref"].IsUint64() ? doc["ref"].GetUint64() : 0;
        bool ok = doc.HasMember("ok") && doc["ok"].IsBool() && doc["ok"].GetBool();
        std::string code, message;
        if (!ok && doc.HasMember("error") && doc["error"].IsObject()) {
            const auto& e = doc["error"];
            code = e.HasMember("code") && e["code"].IsString() ? e["code"].GetString() : "internal";
            message = e.HasMember("message") && e["message"].IsString() ? e["message"].GetString() : "";
        }
        if (ref == helloRef_ && helloRef_ != 0) {
            helloRef_ = 0;
            if (ok) onWelcome(raw(doc, "data"), now, out);
            else if (connectRequest_) {
                out.push_back(Effect{Effect::Kind::Reject, code, message, {}, connectRequest_, 0});
                connectRequest_ = 0;
            }
            return;
        }
        onReply(ref, ok, raw(doc, "data"), code, message, out);
    } else if (op == "message") {
        std::uint64_t offset = doc.HasMember("offset") && doc["offset"].IsUint64() ? doc["offset"].GetUint64() : 0;
        onMessage(text, str("room"), str("event"), raw(doc, "data"), offset, str("epoch"), out);
    } else if (op == "args") {
        if (!doc.HasMember("msg") || !doc["msg"].IsObject()) return;
        const auto& msg = doc["msg"];
        std::string type = msg.HasMember("type") && msg["type"].IsString() ? msg["type"].GetString() : "";
        std::uint64_t offset = doc.HasMember("offset") && doc["offset"].IsUint64() ? doc["offset"].GetUint64() : 0;
        std::string room = str("room");
        if (!room.empty()) {
            auto it = rooms_.find(room);
            if (it != rooms_.end() && it->second.known && str("epoch") == it->second.epoch && offset <= it->second.offset)
                return;  // already seen (replayed on recovery)
            if (it != rooms_.end() && it->second.known && str("epoch") == it->second.epoch) it->second.offset = offset;
        }
        emit(out, kebab(type), raw(msg, "payload"), json::toString(msg));
    } else if (op == "presence") {
        std::string action = str("action");
        emit(out, action == "join" ? "user-joined" : "user-left", raw(doc, "member"), text);
    } else if (op == "pong") {
        if (!doc.HasMember("ts") || !doc["ts"].IsNumber()) return;
        double latency = static_cast<double>(now) - doc["ts"].GetDouble();
        latencies_.push_back(latency);
        while (latencies_.size() > kLatencySamples) latencies_.pop_front();
        double average = std::accumulate(latencies_.begin(), latencies_.end(), 0.0) / static_cast<double>(latencies_.size());
        emit(out, "latency-updated", "{\"latency\":" + std::to_string(latency) + ",\"average\":" + std::to_string(average) + "}");
    } else if (op == "expiring") {
        emit(out, "token-expiring", raw(doc, "inMs"));
    } else if (op == "error") {
        emit(out, "error", raw(doc, "error"), text);
    }
}

void ClientCore::onWelcome(const std::string& dataJson, std::int64_t now, Effects& out) {
    json::Document welcome;
    welcome.Parse(dataJson.c_str());
    if (!welcome.IsObject()) return;
    sid_ = welcome.HasMember("sid") && welcome["sid"].IsString() ? welcome["sid"].GetString() : "";
    resumeToken_ = welcome.HasMember("resumeToken") && welcome["resumeToken"].IsString() ? welcome["resumeToken"].GetString() : "";
    attempts_ = 0;
    nextPingAt_ = now;
    setState(State::Connected, out);
    if (everConnected_) {
        ++reconnectCount_;
        emit(out, "reconnected", "{\"attempts\":" + std::to_string(reconnectCount_) + "}");
    }
    everConnected_ = true;
    emit(out, "connected", dataJson);
    if (welcome.HasMember("rooms") && welcome["rooms"].IsObject()) {
        for (auto it = welcome["rooms"].MemberBegin(); it != welcome["rooms"].MemberEnd(); ++it) {
            std::string room = it->name.GetString();
            const auto& r = it->value;
            bool recovered = r.HasMember("recovered") && r["recovered"].IsBool() && r["recovered"].GetBool();
            auto state = rooms_.find(room);
            if (state == rooms_.end()) continue;
            if (r.HasMember("missed") && r["missed"].IsArray())
                for (const auto& frame : r["missed"].GetArray()) received(json::toString(frame), now, out);
            if (!recovered) emit(out, "recovery-failed", "{\"room\":" + jsonString(room) + "}");
            if (r.HasMember("epoch") && r["epoch"].IsString()) {
                state->second.epoch = r["epoch"].GetString();
                state->second.offset = r.HasMember("offset") && r["offset"].IsUint64() ? r["offset"].GetUint64() : 0;
                state->second.known = true;
            }
        }
    }
    flush(out);
    if (connectRequest_) {
        out.push_back(Effect{Effect::Kind::Resolve, {}, dataJson, {}, connectRequest_, 0});
        connectRequest_ = 0;
    }
}

void ClientCore::onReply(std::uint64_t ref, bool ok, const std::string& dataJson, const std::string& code,
                         const std::string& message, Effects& out) {
    auto it = std::find_if(outbox_.begin(), outbox_.end(), [&](const Outgoing& o) { return o.sent && o.ref == ref; });
    if (it == outbox_.end()) return;
    Outgoing o = std::move(*it);
    outbox_.erase(it);
    ++queueVersion_;
    if (ok && o.op == "join") {
        onJoined(o, dataJson, out);
    } else if (ok && o.op == "leave") {
        emit(out, "room-left", dataJson);
    } else if (ok && o.op == "send") {
        // join-session answers with the session room's join reply, and
        // leave-session with its room: track it like a joined room.
        json::Document data;
        data.Parse(dataJson.c_str());
        if (data.IsObject() && data.HasMember("room") && data["room"].IsString() &&
            std::string_view(data["room"].GetString()).rfind("$session:", 0) == 0) {
            std::string room = data["room"].GetString();
            if (data.HasMember("epoch") && data["epoch"].IsString() && data.HasMember("offset") && data["offset"].IsUint64()) {
                RoomState& r = rooms_[room];
                r.epoch = data["epoch"].GetString();
                r.offset = data["offset"].GetUint64();
                r.known = true;
            } else {
                rooms_.erase(room);
            }
        }
    } else if (ok && o.op == "publish" && !o.echo) {
        // Our own message takes its offset: later ones continue after it
        // (with echo, the echoed copy advances it when it arrives).
        json::Document data;
        data.Parse(dataJson.c_str());
        if (data.IsObject() && data.HasMember("room") && data["room"].IsString() && data.HasMember("offset") &&
            data["offset"].IsUint64()) {
            auto room = rooms_.find(data["room"].GetString());
            if (room != rooms_.end() && room->second.known && data.HasMember("epoch") && data["epoch"].IsString() &&
                room->second.epoch == data["epoch"].GetString())
                room->second.offset = std::max(room->second.offset, data["offset"].GetUint64());
        }
    }
    if (!o.requestId) return;
    if (ok) out.push_back(Effect{Effect::Kind::Resolve, {}, dataJson, {}, o.requestId, 0});
    else out.push_back(Effect{Effect::Kind::Reject, code, message, {}, o.requestId, 0});
}

void ClientCore::onJoined(const Outgoing& join, const std::string& dataJson, Effects& out) {
    json::Document data;
    data.Parse(dataJson.c_str());
    auto room = rooms_.find(join.room);
    if (data.IsObject() && room != rooms_.end()) {
        // Missed messages first, checked against the position we asked from.
        if (data.HasMember("missed") && data["missed"].IsArray())
            for (const auto& frame : data["missed"].GetArray()) received(json::toString(frame), lastNow_, out);
        bool recovered = data.HasMember("recovered") && data["recovered"].IsBool() && data["recovered"].GetBool();
        if (join.since && !recovered) emit(out, "recovery-failed", "{\"room\":" + jsonString(join.room) + "}");
        room = rooms_.find(join.room);  // received() may have changed the map
        if (room != rooms_.end()) {
            room->second.epoch = data.HasMember("epoch") && data["epoch"].IsString() ? data["epoch"].GetString() : "";
            room->second.offset = data.HasMember("offset") && data["offset"].IsUint64() ? data["offset"].GetUint64() : 0;
            room->second.known = true;
        }
    }
    emit(out, "room-joined", dataJson);
}

void ClientCore::onMessage(const std::string& frameJson, const std::string& room, const std::string& event,
                           const std::string& dataJson, std::uint64_t offset, const std::string& epoch, Effects& out) {
    auto it = rooms_.find(room);
    if (it != rooms_.end() && it->second.known && it->second.epoch == epoch) {
        if (offset <= it->second.offset) return;  // a duplicate (e.g. replayed on recovery)
        it->second.offset = offset;
    }
    emit(out, "message", frameJson);
    if (!isClientEventName(event)) emit(out, event, dataJson, frameJson);
}

void ClientCore::closed(std::uint16_t code, const std::string& reason, std::int64_t now, Effects& out) {
    if (state_ == State::Closed || state_ == State::Disconnected) return;
    for (auto& o : outbox_) o.sent = false;  // unanswered: sent again after reconnecting
    helloRef_ = 0;
    emit(out, "disconnected", "{\"code\":" + std::to_string(code) + ",\"reason\":" + jsonString(reason) + "}");
    if (!options_.reconnection || terminalClose(code)) {
        setState(State::Disconnected, out);
        if (connectRequest_) {
            out.push_back(Effect{Effect::Kind::Reject, "closed", "closed with " + std::to_string(code) + ": " + reason, {},
                                 connectRequest_, 0});
            connectRequest_ = 0;
        }
        return;
    }
    scheduleReconnect(now, out);
}

void ClientCore::scheduleReconnect(std::int64_t now, Effects& out) {
    if (attempts_ >= options_.reconnectionAttempts) {
        setState(State::Disconnected, out);
        emit(out, "reconnect-error", "{\"attempts\":" + std::to_string(attempts_) + "}");
        if (connectRequest_) {
            out.push_back(Effect{Effect::Kind::Reject, "unavailable", "could not reach the server", {}, connectRequest_, 0});
            connectRequest_ = 0;
        }
        return;
    }
    // Capped exponential backoff with full jitter.
    double cap = std::min<double>(static_cast<double>(options_.reconnectionDelayMaxMs),
                                  static_cast<double>(options_.reconnectionDelayMs) * std::pow(2.0, attempts_));
    reconnectAt_ = now + static_cast<std::int64_t>(random_() * cap);
    ++attempts_;
    setState(State::Reconnecting, out);
}

void ClientCore::tick(std::int64_t now, Effects& out) {
    lastNow_ = now;
    // Requests the server has not answered in time are rejected. Messages
    // stay in the outbox (a late answer or a reconnect still delivers them
    // once); joins, leaves and reads are dropped.
    for (auto it = outbox_.begin(); it != outbox_.end();) {
        bool overdue = it->sent && it->requestId && now - it->sentAt >= options_.requestTimeoutMs;
        if (!overdue) {
            ++it;
            continue;
        }
        out.push_back(Effect{Effect::Kind::Reject, "timeout", "no answer from the server in time", {}, it->requestId, 0});
        it->requestId = 0;
        it = (it->op == "publish" || it->op == "send") ? std::next(it) : outbox_.erase(it);
    }
    if (state_ == State::Reconnecting && now >= reconnectAt_) {
        setState(State::Connecting, out);
        out.push_back(Effect{Effect::Kind::Open, {}, {}, {}, 0, 0});
    }
    if (state_ == State::Connected && options_.heartbeatIntervalMs > 0 && now >= nextPingAt_) {
        nextPingAt_ = now + options_.heartbeatIntervalMs;
        out.push_back(Effect{Effect::Kind::Send, "{\"op\":\"ping\",\"ts\":" + std::to_string(now) + "}", {}, {}, 0, 0});
    }
}

std::int64_t ClientCore::nextWakeAt() const {
    if (state_ == State::Reconnecting) return reconnectAt_;
    std::int64_t next = 0;
    auto earliest = [&](std::int64_t t) { next = next == 0 ? t : std::min(next, t); };
    if (state_ == State::Connected && options_.heartbeatIntervalMs > 0) earliest(nextPingAt_);
    for (const auto& o : outbox_)
        if (o.sent && o.requestId) earliest(o.sentAt + options_.requestTimeoutMs);
    return next;
}

std::vector<std::string> ClientCore::rooms() const {
    std::vector<std::string> out;
    for (const auto& [room, r] : rooms_) out.push_back(room);
    return out;
}

std::string ClientCore::statsJson() const {
    double average = latencies_.empty() ? 0.0
                                        : std::accumulate(latencies_.begin(), latencies_.end(), 0.0) /
                                              static_cast<double>(latencies_.size());
    rapidjson::StringBuffer b;
    json::Writer w(b);
    w.StartObject();
    json::writeKey(w, "connected");
    w.Bool(state_ == State::Connected);
    json::writeKey(w, "state");
    json::writeString(w, stateName(state_));
    json::writeKey(w, "environment");
    json::writeString(w, options_.environment);
    json::writeKey(w, "messagesSent");
    w.Uint64(messagesSent_);
    json::writeKey(w, "messagesReceived");
    w.Uint64(messagesReceived_);
    json::writeKey(w, "averageLatency");
    w.Double(std::round(average * 100) / 100);
    json::writeKey(w, "reconnectCount");
    w.Uint64(reconnectCount_);
    json::writeKey(w, "rooms");
    w.StartArray();
    for (const auto& [room, r] : rooms_) json::writeString(w, room);
    w.EndArray();
    json::writeKey(w, "queued");
    w.Uint64(outbox_.size());
    json::writeKey(w, "dropped");
    w.Uint64(dropped_);
    w.EndObject();
    return std::string(b.GetString(), b.GetSize());
}

}  // namespace brolostack::client
