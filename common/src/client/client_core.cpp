#include "brolostack/client/client_core.hpp"

#include "brolostack/args/message.hpp"
#include "brolostack/json.hpp"
#include "brolostack/protocol/codec.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <set>
#include <type_traits>

namespace brolostack::client {
namespace {

constexpr std::size_t kLatencySamples = 100;
// A server frame may carry a room's whole missed history (a join reply).
// It arrives as a WebSocket text frame, whose UTF-8 the WebSocket layer
// has checked (a browser fails the connection otherwise).
constexpr protocol::DecodeLimits kServerFrameLimits{64 * 1024 * 1024, 64, true};
constexpr std::string_view kMessagePrefix = R"({"op":"message",)";

using Arg = Effect::Arg;

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

void setRef(protocol::ClientFrame& frame, std::uint64_t ref) {
    std::visit(
        [&](auto& f) {
            if constexpr (!std::is_same_v<std::decay_t<decltype(f)>, protocol::PingFrame>) f.ref = ref;
        },
        frame);
}

std::string errorJson(std::string_view code, std::string_view message) {
    return json::object([&](json::Writer& w) {
        json::writeKey(w, "code");
        json::writeString(w, code);
        json::writeKey(w, "message");
        json::writeString(w, message);
    });
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

bool ClientCore::Outgoing::isMessage() const {
    return std::holds_alternative<protocol::PublishFrame>(frame) || std::holds_alternative<protocol::SendFrame>(frame);
}

std::string_view ClientCore::Outgoing::op() const { return protocol::opName(frame); }

ClientCore::ClientCore(ClientOptions options, std::function<double()> random)
    : options_(std::move(options)), random_(std::move(random)) {}

void ClientCore::setState(State s, Effects& out) {
    if (s == state_) return;
    state_ = s;
    emit(out, "state", jsonString(stateName(s)));
}

void ClientCore::emit(Effects& out, const std::string& name, std::string dataJson) {
    emitArgs(out, name, Arg::Json, std::move(dataJson), Arg::None, {});
}

void ClientCore::emitArgs(Effects& out, std::string name, Arg data, std::string dataJson, Arg extra,
                          std::string extraJson) {
    out.push_back(Effect{Effect::Kind::Emit, std::move(name), data, std::move(dataJson), extra, std::move(extraJson), 0, 0});
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
        out.push_back(Effect::resolve(id, Arg::Json, "{}"));
        return id;
    }
    // A connect while one is under way joins it: the last request settles.
    if (connectRequest_) out.push_back(Effect::reject(connectRequest_, "superseded", "a newer connect() call replaced this one"));
    connectRequest_ = id;
    if (state_ == State::Connecting) return id;
    attempts_ = 0;
    setState(State::Connecting, out);
    out.push_back(Effect::open());
    return id;
}

void ClientCore::disconnect(std::int64_t, Effects& out) {
    bool open = state_ == State::Connected || state_ == State::Connecting;
    bool wasUp = state_ != State::Closed && state_ != State::Disconnected;
    setState(State::Closed, out);
    if (wasUp) emit(out, "disconnected", "{\"code\":1000,\"reason\":\"client disconnect\"}");
    if (open) out.push_back(Effect::close(protocol::close_code::kNormal, "client disconnect"));
    failPending("disconnected", "the client was disconnected", out);
}

void ClientCore::failPending(const std::string& code, const std::string& message, Effects& out) {
    for (const auto& o : outbox_)
        if (o.requestId) out.push_back(Effect::reject(o.requestId, code, message));
    outbox_.clear();
    ++queueVersion_;
    if (connectRequest_) out.push_back(Effect::reject(connectRequest_, code, message));
    connectRequest_ = 0;
}

std::uint64_t ClientCore::enqueue(Outgoing o, std::int64_t now, Effects& out) {
    lastNow_ = now;
    o.requestId = nextRequestId_++;
    o.queuedAt = now;
    std::uint64_t id = o.requestId;
    if (o.isMessage() && !options_.queueEnabled && everConnected_ && state_ != State::Connected) {
        out.push_back(Effect::reject(id, "unavailable", "offline, and the message queue is off"));
        return id;
    }
    outbox_.push_back(std::move(o));
    ++queueVersion_;
    if (state_ == State::Connected) {
        transmit(outbox_.back(), out);
        return id;
    }
    emit(out, "message-queued", "{\"op\":" + jsonString(outbox_.back().op()) + ",\"queued\":" +
                                    std::to_string(outbox_.size()) + "}");
    dropOverflow(out);
    return id;
}

// Bounded: past queueMaxSize unsent messages, the oldest of the lowest
// priority present makes room, and says so.
void ClientCore::dropOverflow(Effects& out) {
    auto unsentMessage = [](const Outgoing& x) { return !x.sent && x.isMessage(); };
    auto unsent = static_cast<std::size_t>(std::count_if(outbox_.begin(), outbox_.end(), unsentMessage));
    for (; unsent > options_.queueMaxSize; --unsent) {
        auto oldest = outbox_.end();  // of the lowest priority present
        for (auto it = outbox_.begin(); it != outbox_.end(); ++it)
            if (unsentMessage(*it) && (oldest == outbox_.end() || it->priority < oldest->priority)) oldest = it;
        ++dropped_;
        emit(out, "message-dropped", "{\"reason\":\"queue-full\",\"mid\":" + jsonString(oldest->mid) + "}");
        if (oldest->requestId)
            out.push_back(Effect::reject(oldest->requestId, "dropped", "the message queue was full"));
        outbox_.erase(oldest);
        ++queueVersion_;
    }
}

void ClientCore::transmit(Outgoing& o, Effects& out) {
    o.ref = nextRef_++;
    o.sent = true;
    o.sentAt = lastNow_;
    ++messagesSent_;
    setRef(o.frame, o.ref);
    out.push_back(Effect::send(protocol::encodeClientFrame(o.frame)));
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
    protocol::JoinFrame f;
    f.room = room;
    if (!r.name.empty()) f.name = r.name;
    f.infoJson = r.infoJson;
    if (r.known) f.since = protocol::StreamPosition{r.epoch, r.offset};
    Outgoing o;
    o.frame = std::move(f);
    o.room = room;
    o.since = r.known;
    return o;
}

std::uint64_t ClientCore::leaveRoom(const std::string& room, std::int64_t now, Effects& out) {
    rooms_.erase(room);
    ++queueVersion_;
    Outgoing o;
    o.frame = protocol::LeaveFrame{0, room};
    return enqueue(std::move(o), now, out);
}

std::uint64_t ClientCore::history(const std::string& room, std::uint64_t limit, std::int64_t now, Effects& out) {
    protocol::HistoryFrame f;
    f.room = room;
    f.limit = static_cast<std::uint32_t>(std::min<std::uint64_t>(limit, UINT32_MAX));
    Outgoing o;
    o.frame = std::move(f);
    o.room = room;
    return enqueue(std::move(o), now, out);
}

std::uint64_t ClientCore::members(const std::string& room, std::int64_t now, Effects& out) {
    Outgoing o;
    o.frame = protocol::MembersFrame{0, room};
    o.room = room;
    return enqueue(std::move(o), now, out);
}

std::uint64_t ClientCore::refreshToken(const std::string& token, std::int64_t now, Effects& out) {
    options_.token = token;
    if (state_ != State::Connected) {
        std::uint64_t id = nextRequestId_++;
        out.push_back(Effect::resolve(id, Arg::Json, "{}"));
        return id;
    }
    Outgoing o;
    o.frame = protocol::RefreshFrame{0, token};
    return enqueue(std::move(o), now, out);
}

std::uint64_t ClientCore::publish(const std::string& room, const std::string& event, const std::string& dataJson,
                                  bool echo, std::int64_t now, Effects& out, Priority priority) {
    Outgoing o;
    o.mid = newMid();
    o.frame = protocol::PublishFrame{0, room, event, dataJson.empty() ? "null" : dataJson, o.mid, echo};
    o.priority = priority;
    o.room = room;
    o.event = event;
    o.echo = echo;
    return enqueue(std::move(o), now, out);
}

std::uint64_t ClientCore::send(const std::string& event, const std::string& dataJson, std::int64_t now, Effects& out,
                               Priority priority) {
    Outgoing o;
    o.mid = newMid();
    o.frame = protocol::SendFrame{0, event, dataJson.empty() ? "null" : dataJson, o.mid};
    o.event = event;
    o.priority = priority;
    return enqueue(std::move(o), now, out);
}

void ClientCore::opened(std::int64_t now, Effects& out) {
    lastNow_ = now;
    sendHello(out);
}

void ClientCore::sendHello(Effects& out) {
    helloRef_ = nextRef_++;
    protocol::HelloFrame hello;
    hello.ref = helloRef_;
    if (!options_.token.empty()) hello.token = options_.token;
    if (!options_.apiKey.empty()) hello.apiKey = options_.apiKey;
    hello.client = protocol::ClientInfo{"brolostack-js", "1.0.0"};
    if (!sid_.empty()) {
        protocol::ResumeState resume;
        resume.sid = sid_;
        resume.token = resumeToken_;
        for (const auto& [room, r] : rooms_)
            if (r.known) resume.rooms[room] = protocol::StreamPosition{r.epoch, r.offset};
        hello.resume = std::move(resume);
    }
    out.push_back(Effect::send(protocol::encodeClientFrame(hello)));
}

void ClientCore::received(std::string_view text, std::int64_t now, Effects& out) {
    lastNow_ = now;
    ++messagesReceived_;
    // Most frames are messages, which the server writes op first: read
    // straight into their frame, `data` left in the text (an effect hands
    // the application the frame's own `data`, Arg::FrameData).
    if (text.substr(0, kMessagePrefix.size()) == kMessagePrefix) {
        if (auto message = protocol::decodeMessageFrame(text, kServerFrameLimits, false))
            return onMessage(*message, text, false, out);
    }
    auto decoded = protocol::decodeServerFrame(text, kServerFrameLimits);
    if (!decoded.frame) {
        // A newer server's op is not this client's business; anything else
        // the server sent is broken, and the application hears of it.
        if (decoded.error->code == protocol::ErrorCode::UnknownOp) return;
        return emit(out, "error", errorJson("bad_frame", "the server sent a frame this client cannot read: " +
                                                             decoded.error->message));
    }
    handle(*decoded.frame, text, false, now, out);
}

void ClientCore::handle(const protocol::ServerFrame& frame, std::string_view text, bool nested, std::int64_t now,
                        Effects& out) {
    if (const auto* f = std::get_if<protocol::MessageFrame>(&frame)) return onMessage(*f, text, nested, out);
    if (const auto* f = std::get_if<protocol::ArgsPushFrame>(&frame)) return onArgsPush(*f, nested, out);
    if (nested) return;  // a reply carries only messages and ARGS pushes
    if (const auto* f = std::get_if<protocol::ReplyFrame>(&frame)) {
        if (f->ref != helloRef_ || helloRef_ == 0) return onReply(*f, out);
        helloRef_ = 0;
        if (f->ok) return onWelcome(*f, now, out);
        if (connectRequest_) {
            out.push_back(Effect::reject(connectRequest_, std::string(protocol::errorCodeName(f->error.code)),
                                         f->error.message));
            connectRequest_ = 0;
        }
    } else if (const auto* f = std::get_if<protocol::PresenceFrame>(&frame)) {
        emitArgs(out, f->action == "join" ? "user-joined" : "user-left", Arg::FrameMember, {}, Arg::Frame, {});
    } else if (const auto* f = std::get_if<protocol::PongFrame>(&frame)) {
        onPong(*f, now, out);
    } else if (std::holds_alternative<protocol::ExpiringFrame>(frame)) {
        emitArgs(out, "token-expiring", Arg::FrameInMs, {}, Arg::None, {});
    } else if (std::holds_alternative<protocol::ErrorFrame>(frame)) {
        emitArgs(out, "error", Arg::FrameError, {}, Arg::Frame, {});
    }
}

void ClientCore::handleNested(const std::vector<std::shared_ptr<const std::string>>& frames, std::int64_t now,
                              Effects& out) {
    for (const auto& text : frames) {
        auto decoded = protocol::decodeServerFrame(*text, kServerFrameLimits);
        if (decoded.frame) handle(*decoded.frame, *text, true, now, out);
    }
}

void ClientCore::onPong(const protocol::PongFrame& f, std::int64_t now, Effects& out) {
    // Our pings carry the client's clock; a pong without it answers someone else's.
    if (!f.tsJson) return;
    char* end = nullptr;
    double sentAt = std::strtod(f.tsJson->c_str(), &end);
    if (end == f.tsJson->c_str()) return;
    double latency = static_cast<double>(now) - sentAt;
    latencies_.push_back(latency);
    while (latencies_.size() > kLatencySamples) latencies_.pop_front();
    double average = std::accumulate(latencies_.begin(), latencies_.end(), 0.0) / static_cast<double>(latencies_.size());
    emit(out, "latency-updated", "{\"latency\":" + std::to_string(latency) + ",\"average\":" + std::to_string(average) + "}");
}

void ClientCore::onWelcome(const protocol::ReplyFrame& reply, std::int64_t now, Effects& out) {
    auto decoded = protocol::decodeWelcome(reply.dataJson);
    if (auto* e = std::get_if<protocol::Error>(&decoded))
        return emit(out, "error", errorJson("bad_frame", "the server's welcome is not readable: " + e->message));
    const protocol::Welcome& welcome = std::get<protocol::Welcome>(decoded);
    sid_ = welcome.sid;
    resumeToken_ = welcome.resumeToken;
    attempts_ = 0;
    nextPingAt_ = now;
    setState(State::Connected, out);
    if (everConnected_) {
        ++reconnectCount_;
        emit(out, "reconnected", "{\"attempts\":" + std::to_string(reconnectCount_) + "}");
    }
    everConnected_ = true;
    emitArgs(out, "connected", Arg::FrameData, {}, Arg::None, {});
    for (const auto& [room, resumed] : welcome.rooms) {
        if (!rooms_.count(room)) continue;
        if (resumed.joined) handleNested(resumed.joined->missed, now, out);
        if (!resumed.joined || !resumed.joined->recovered) emit(out, "recovery-failed", "{\"room\":" + jsonString(room) + "}");
        if (resumed.joined) takeRoomPosition(room, *resumed.joined);
    }
    flush(out);
    if (connectRequest_) {
        out.push_back(Effect::resolve(connectRequest_, Arg::FrameData));
        connectRequest_ = 0;
    }
}

void ClientCore::takeRoomPosition(const std::string& room, const protocol::JoinReply& reply) {
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return;
    it->second.epoch = reply.position.epoch;
    it->second.offset = reply.position.offset;
    it->second.known = true;
}

void ClientCore::onReply(const protocol::ReplyFrame& reply, Effects& out) {
    auto it = std::find_if(outbox_.begin(), outbox_.end(), [&](const Outgoing& o) { return o.sent && o.ref == reply.ref; });
    if (it == outbox_.end()) return;
    Outgoing o = std::move(*it);
    outbox_.erase(it);
    ++queueVersion_;
    if (reply.ok && std::holds_alternative<protocol::JoinFrame>(o.frame)) {
        auto joined = protocol::decodeJoinReply(reply.dataJson);
        if (auto* j = std::get_if<protocol::JoinReply>(&joined)) onJoined(o, *j, out);
        else emit(out, "error", errorJson("bad_frame", "the server's join reply is not readable: " +
                                                           std::get<protocol::Error>(joined).message));
        emitArgs(out, "room-joined", Arg::FrameData, {}, Arg::None, {});
    } else if (reply.ok && std::holds_alternative<protocol::LeaveFrame>(o.frame)) {
        emitArgs(out, "room-left", Arg::FrameData, {}, Arg::None, {});
    } else if (reply.ok && o.event == "join-session") {
        // The session room's join reply: tracked like a joined room.
        auto joined = protocol::decodeJoinReply(reply.dataJson);
        if (auto* j = std::get_if<protocol::JoinReply>(&joined)) {
            rooms_[j->room];
            takeRoomPosition(j->room, *j);
        }
    } else if (reply.ok && o.event == "leave-session") {
        auto left = protocol::decodeLeaveReply(reply.dataJson);
        if (auto* l = std::get_if<protocol::LeaveReply>(&left)) rooms_.erase(l->room);
    } else if (reply.ok && std::holds_alternative<protocol::PublishFrame>(o.frame) && !o.echo) {
        // Our own message takes its offset: later ones continue after it
        // (with echo, the echoed copy advances it when it arrives).
        auto published = protocol::decodePublishReply(reply.dataJson);
        if (auto* p = std::get_if<protocol::PublishReply>(&published)) {
            auto room = rooms_.find(p->room);
            if (room != rooms_.end() && room->second.known && room->second.epoch == p->position.epoch)
                room->second.offset = std::max(room->second.offset, p->position.offset);
        }
    }
    if (!o.requestId) return;
    if (reply.ok) out.push_back(Effect::resolve(o.requestId, Arg::FrameData));
    else out.push_back(Effect::reject(o.requestId, std::string(protocol::errorCodeName(reply.error.code)), reply.error.message));
}

void ClientCore::onJoined(const Outgoing& join, const protocol::JoinReply& reply, Effects& out) {
    if (!rooms_.count(join.room)) return;  // left again before the answer came
    // Missed messages first, checked against the position we asked from.
    handleNested(reply.missed, lastNow_, out);
    if (join.since && !reply.recovered) emit(out, "recovery-failed", "{\"room\":" + jsonString(join.room) + "}");
    takeRoomPosition(join.room, reply);
}

bool ClientCore::advance(const std::string& room, const std::string& epoch, std::uint64_t offset) {
    auto it = rooms_.find(room);
    if (it == rooms_.end() || !it->second.known || it->second.epoch != epoch) return true;
    if (offset <= it->second.offset) return false;
    it->second.offset = offset;
    return true;
}

void ClientCore::onMessage(const protocol::MessageFrame& f, std::string_view text, bool nested, Effects& out) {
    if (!advance(f.room, f.epoch, f.offset)) return;  // a duplicate (e.g. replayed on recovery)
    bool named = !isClientEventName(f.event);
    if (!nested) {
        emitArgs(out, "message", Arg::Frame, {}, Arg::None, {});
        if (named) emitArgs(out, f.event, Arg::FrameData, {}, Arg::Frame, {});
        return;
    }
    std::string frame(text);
    if (named) {
        emitArgs(out, "message", Arg::Json, frame, Arg::None, {});
        emitArgs(out, f.event, Arg::Json, f.dataJson, Arg::Json, std::move(frame));
    } else {
        emitArgs(out, "message", Arg::Json, std::move(frame), Arg::None, {});
    }
}

void ClientCore::onArgsPush(const protocol::ArgsPushFrame& f, bool nested, Effects& out) {
    if (f.room && !advance(*f.room, f.epoch, f.offset)) return;  // already seen (replayed on recovery)
    // The ARGS layer reads the message. Its ttl was the server's to check
    // (now = 0 never passes one): a replayed push is still delivered.
    auto message = args::decodeMessage(f.msgJson, 0, kServerFrameLimits.maxJsonDepth);
    if (auto* e = std::get_if<protocol::Error>(&message))
        return emit(out, "error", errorJson("bad_frame", "the server pushed an unreadable ARGS message: " + e->message));
    const args::Message& m = std::get<args::Message>(message);
    std::string name = kebab(std::string(args::messageTypeName(m.type)));
    if (nested) emitArgs(out, std::move(name), Arg::Json, m.payloadJson, Arg::Json, f.msgJson);
    else emitArgs(out, std::move(name), Arg::FrameMsgPayload, {}, Arg::FrameMsg, {});
}

void ClientCore::closed(std::uint16_t code, const std::string& reason, std::int64_t now, Effects& out) {
    if (state_ == State::Closed || state_ == State::Disconnected) return;
    for (auto& o : outbox_) o.sent = false;  // unanswered: sent again after reconnecting
    helloRef_ = 0;
    emit(out, "disconnected", "{\"code\":" + std::to_string(code) + ",\"reason\":" + jsonString(reason) + "}");
    if (!options_.reconnection || !protocol::mayReconnectAfter(code)) {
        setState(State::Disconnected, out);
        if (connectRequest_) {
            out.push_back(Effect::reject(connectRequest_, "closed", "closed with " + std::to_string(code) + ": " + reason));
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
            out.push_back(Effect::reject(connectRequest_, "unavailable", "could not reach the server"));
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
        out.push_back(Effect::reject(it->requestId, "timeout", "no answer from the server in time"));
        it->requestId = 0;
        it = it->isMessage() ? std::next(it) : outbox_.erase(it);
    }
    if (state_ == State::Reconnecting && now >= reconnectAt_) {
        setState(State::Connecting, out);
        out.push_back(Effect::open());
    }
    if (state_ == State::Connected && options_.heartbeatIntervalMs > 0 && now >= nextPingAt_) {
        nextPingAt_ = now + options_.heartbeatIntervalMs;
        out.push_back(Effect::send(protocol::encodeClientFrame(protocol::PingFrame{std::to_string(now)})));
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

namespace brolostack::client {

std::function<double()> seededRandom(double seed) {
    std::uint64_t state = static_cast<std::uint64_t>(seed * 9007199254740991.0) | 1;
    return [state]() mutable {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return static_cast<double>((state * 2685821657736338717ull) >> 11) / 9007199254740992.0;
    };
}

void resolveFrameArgs(Effects& effects, std::string_view frame) {
    json::Document doc;
    bool parsed = false;
    auto part = [&](Arg arg) -> std::string {
        if (arg == Arg::Frame) return std::string(frame);
        if (!parsed) {
            doc.Parse(frame.data(), frame.size());
            parsed = true;
        }
        auto member = [](const json::Value& object, const char* key) -> const json::Value* {
            if (!object.IsObject()) return nullptr;
            auto it = object.FindMember(key);
            return it == object.MemberEnd() ? nullptr : &it->value;
        };
        const json::Value* v = nullptr;
        switch (arg) {
            case Arg::FrameData: v = member(doc, "data"); break;
            case Arg::FrameMember: v = member(doc, "member"); break;
            case Arg::FrameError: v = member(doc, "error"); break;
            case Arg::FrameMsg: v = member(doc, "msg"); break;
            case Arg::FrameMsgPayload: v = member(doc, "msg") ? member(*member(doc, "msg"), "payload") : nullptr; break;
            case Arg::FrameInMs: v = member(doc, "inMs"); break;
            default: break;
        }
        return v ? json::toString(*v) : "null";
    };
    for (auto& e : effects) {
        if (e.data != Arg::None && e.data != Arg::Json) {
            e.dataJson = part(e.data);
            e.data = Arg::Json;
        }
        if (e.extra != Arg::None && e.extra != Arg::Json) {
            e.extraJson = part(e.extra);
            e.extra = Arg::Json;
        }
    }
}

}  // namespace brolostack::client
