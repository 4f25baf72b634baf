// Hub: connection lifecycle, hello, dispatch and timers.
#include "brolostack/server/hub.hpp"

#include "brolostack/json.hpp"
#include "brolostack/protocol/identifiers.hpp"
#include "brolostack/protocol/json_writers.hpp"
#include "brolostack/store/memory_store.hpp"

#include <algorithm>
#include <limits>

namespace brolostack::server {

using protocol::close_code::kGoingAway;
using protocol::close_code::kProtocolError;
using protocol::close_code::kRateLimited;
using protocol::close_code::kSlowConsumer;
using protocol::close_code::kTimeout;
using protocol::close_code::kUnauthorized;
using protocol::Error;
using protocol::ErrorCode;
using protocol::makeError;

namespace {

// A connection refused for rate limiting this long without a frame getting
// through is closed (PROTOCOL.md section 4).
constexpr std::int64_t kRateLimitGraceMs = 10000;
// CONNECTION_RATE_PER_IP counts upgrades over this window.
constexpr std::int64_t kUpgradeWindowMs = 60000;
// Frames one connection may send while an earlier one waits for rooms to
// load from the broker (cluster mode); more are refused with unavailable.
constexpr std::size_t kMaxHeldFrames = 256;

}  // namespace

Hub::Hub(config::Settings settings, std::function<std::string()> newId, std::int64_t now,
         std::optional<JwtSetup> jwt, store::Store* store)
    : settings_(std::move(settings)),
      newId_(std::move(newId)),
      auth_(settings_.apiKeys, std::move(jwt)),
      ownStore_(store ? nullptr : std::make_unique<store::MemoryStore>(settings_.maxRememberedMids)),
      store_(store ? store : ownStore_.get()),
      rooms_(rooms::RoomServiceSettings{rooms::RoomSettings{settings_.historySize, settings_.historyTtlMs,
                                                            settings_.historyMaxBytes, settings_.memoryLimitBytes,
                                                            settings_.maxRooms, settings_.emptyRoomTtlMs},
                                        settings_.midTtlMs, settings_.maxRememberedMids,
                                        settings_.maxRoomsPerConnection, settings_.maxHistoryLimit},
             // In cluster mode rooms, their history and publish mids live in the broker.
             [this] { return newId_(); }, settings_.broker == "local" ? store_ : nullptr),
      resumeGrants_(settings_.midTtlMs, store_),
      coordinator_(args::CoordinatorSettings{settings_.maxAgentsPerSession, settings_.taskTimeoutMs,
                                             settings_.assignTimeoutMs, settings_.collaborationTimeoutMs,
                                             settings_.sessionIdleTimeoutMs, 2, settings_.maxTasksPerSession,
                                             settings_.maxSessions, settings_.taskRetentionMs,
                                             settings_.deadLetterRetentionMs},
                   [this] { return newId_(); }, store_),
      clustered_(settings_.broker != "local"),
      startedAt_(now) {
    nodeId_ = newId_();
    decodeLimits_.maxMessageBytes = settings_.maxMessageBytes;
    decodeLimits_.maxJsonDepth = settings_.maxJsonDepth;
    counters_.environment = std::string(config::environmentName(settings_.environment));
    restore(store_->load(), now);
}

void Hub::restore(const store::Snapshot& kept, std::int64_t now) {
    if (!clustered_) rooms_.restore(kept, now);
    resumeGrants_.restore(kept.grants, now);
    unreadableRecords_ = coordinator_.restore(kept, now);
}

Admission Hub::admit(const UpgradeRequest& request, std::int64_t now) {
    Admission a;
    auto refuse = [&](int status, std::string reason) {
        a.status = status;
        a.reason = std::move(reason);
        ++counters_.rejectedConnections;
        return a;
    };
    if (draining_) {
        a.retryAfterSeconds = 5;
        return refuse(503, "server is shutting down");
    }
    if (request.origin && !settings_.anyOrigin &&
        std::find(settings_.allowedOrigins.begin(), settings_.allowedOrigins.end(), *request.origin) ==
            settings_.allowedOrigins.end())
        return refuse(403, "origin not allowed");
    if (!allowUpgradeFrom(request.remoteAddress, now, a.retryAfterSeconds))
        return refuse(429, "too many new connections from this address");
    if (connections_.size() + pendingAdmissions_ >= settings_.maxConnections) {
        a.retryAfterSeconds = 5;
        return refuse(503, "connection limit reached");
    }
    if (request.bearer && auth_.checkBearer(*request.bearer, now).outcome == AuthOutcome::Invalid)
        return refuse(401, "invalid credentials");
    if (request.apiKey && auth_.checkApiKey(*request.apiKey).outcome == AuthOutcome::Invalid)
        return refuse(401, "invalid API key");
    ++pendingAdmissions_;
    return a;
}

bool Hub::allowUpgradeFrom(const std::string& ip, std::int64_t now, std::int64_t& retryAfterSeconds) {
    if (settings_.connectionRatePerIp == 0) return true;
    auto& times = recentUpgrades_[ip];
    while (!times.empty() && times.front() + kUpgradeWindowMs <= now) times.pop_front();
    if (times.size() >= settings_.connectionRatePerIp) {
        retryAfterSeconds = (times.front() + kUpgradeWindowMs - now + 999) / 1000;
        return false;
    }
    times.push_back(now);
    return true;
}

void Hub::abandon() {
    if (pendingAdmissions_ > 0) --pendingAdmissions_;
}

void Hub::open(ConnId conn, const UpgradeRequest& request, std::int64_t now) {
    abandon();
    Connection c;
    c.id = conn;
    c.sid = "c-" + newId_();
    c.dedupeKey = "s:" + c.sid;
    c.address = request.remoteAddress;
    c.openedAt = c.lastSeen = c.lastPing = now;
    c.rate = RateLimiter(settings_.rateLimitRpm, now);
    c.inbound = InboundThrottle(settings_.inboundBytesPerSecond, settings_.maxMessageBytes, now);
    if (request.bearer) c.upgradeAuth = auth_.checkBearer(*request.bearer, now);
    else if (request.apiKey) c.upgradeAuth = auth_.checkApiKey(*request.apiKey);
    connections_[conn] = std::move(c);
}

Hub::Connection* Hub::find(ConnId conn) {
    auto it = connections_.find(conn);
    return it == connections_.end() ? nullptr : &it->second;
}

void Hub::receiveText(ConnId conn, std::string_view text, std::int64_t now, Outbox& out) {
    Connection* c = find(conn);
    if (!c || c->closing) return;
    c->lastSeen = now;
    ++counters_.messagesIn;
    counters_.bytesIn += text.size();
    throttleInbound(*c, text.size(), now, out);

    auto decoded = protocol::decodeClientFrame(text, decodeLimits_);
    // (A hello held while its rooms load is the first frame: what follows it waits.)
    if (!c->helloDone && c->held.empty()) {
        bool isHello = decoded.frame && std::holds_alternative<protocol::HelloFrame>(*decoded.frame);
        if (!isHello) {
            Error e = decoded.op == "hello" && decoded.error
                          ? *decoded.error
                          : makeError(ErrorCode::BadRequest, "the first frame must be hello");
            fail(*c, decoded.ref, decoded.op, std::move(e), now, out);
            closeWith(*c, kProtocolError, "expected hello", out);
            return;
        }
    }
    bool isPing = decoded.frame && std::holds_alternative<protocol::PingFrame>(*decoded.frame);
    if (!isPing && !admitByRate(*c, decoded.ref, decoded.op, now, out)) return;
    if (!decoded.frame) {
        fail(*c, decoded.ref, decoded.op, *decoded.error, now, out);
        return;
    }
    if (!c->held.empty() && !isPing) {
        // Frames keep their order behind one that waits for rooms to load.
        if (c->held.size() >= kMaxHeldFrames) {
            fail(*c, decoded.ref, decoded.op,
                 makeError(ErrorCode::Unavailable, "too many frames wait for rooms to load; send again later"), now,
                 out);
            return;
        }
        c->held.push_back(std::move(*decoded.frame));
        return;
    }
    handleFrame(*c, *decoded.frame, now, out);
}

void Hub::receiveBinary(ConnId conn, std::string_view bytes, std::int64_t now, Outbox& out) {
    Connection* c = find(conn);
    if (!c || c->closing) return;
    c->lastSeen = now;
    ++counters_.messagesIn;
    counters_.bytesIn += bytes.size();
    throttleInbound(*c, bytes.size(), now, out);
    if (!c->helloDone) {
        fail(*c, 0, "", makeError(ErrorCode::BadRequest, "the first frame must be hello"), now, out);
        closeWith(*c, kProtocolError, "expected hello", out);
        return;
    }
    if (!admitByRate(*c, 0, "stream-chunk", now, out)) return;
    handleBinaryChunk(*c, bytes, now, out);
}

void Hub::throttleInbound(Connection& c, std::size_t bytes, std::int64_t now, Outbox& out) {
    std::int64_t pauseMs = c.inbound.receive(bytes, now);
    if (pauseMs == 0) return;
    ++counters_.inboundPauses;
    Action a;
    a.kind = Action::Kind::PauseReading;
    a.conn = c.id;
    a.delayMs = pauseMs;
    out.push_back(std::move(a));
}

// One bucket for text and binary frames alike: over the limit a frame is
// refused with rate_limited, and a connection that keeps sending while
// limited for kRateLimitGraceMs is closed with 4029, whatever it sends.
bool Hub::admitByRate(Connection& c, std::uint64_t ref, const std::string& op, std::int64_t now, Outbox& out) {
    if (c.rate.take(now)) return true;
    if (now - c.rate.limitedSince() >= kRateLimitGraceMs) {
        closeWith(c, kRateLimited, "rate limit exceeded", out);
        return false;
    }
    Error e = makeError(ErrorCode::RateLimited, "rate limit exceeded");
    e.detailsJson = "{\"retryAfterMs\":" + std::to_string(c.rate.retryAfterMs(now)) + "}";
    fail(c, ref, op, std::move(e), now, out);
    return false;
}

void Hub::handleFrame(Connection& c, protocol::ClientFrame& frame, std::int64_t now, Outbox& out) {
    using namespace protocol;
    if (clustered_ && holdForRooms(c, frame, out)) return;
    if (auto* hello = std::get_if<HelloFrame>(&frame)) {
        if (c.helloDone) {
            fail(c, hello->ref, "hello", makeError(ErrorCode::BadRequest, "hello was already sent"), now, out);
            return;
        }
        handleHello(c, *hello, now, out);
    } else if (auto* ping = std::get_if<PingFrame>(&frame)) {
        PongFrame pong{ping->tsJson, now};
        send(c, std::make_shared<const std::string>(encodeServerFrame(pong)), out);
    } else if (auto* join = std::get_if<JoinFrame>(&frame)) {
        handleJoin(c, *join, now, out);
    } else if (auto* leave = std::get_if<LeaveFrame>(&frame)) {
        handleLeave(c, *leave, now, out);
    } else if (auto* publish = std::get_if<PublishFrame>(&frame)) {
        handlePublish(c, *publish, now, out);
    } else if (auto* history = std::get_if<HistoryFrame>(&frame)) {
        handleHistory(c, *history, out);
    } else if (auto* members = std::get_if<MembersFrame>(&frame)) {
        handleMembers(c, *members, out);
    } else if (auto* sendFrame = std::get_if<SendFrame>(&frame)) {
        handleSend(c, *sendFrame, now, out);
    } else if (auto* args = std::get_if<ArgsFrame>(&frame)) {
        handleArgs(c, *args, now, out);
    } else if (auto* refresh = std::get_if<RefreshFrame>(&frame)) {
        handleRefresh(c, *refresh, now, out);
    }
}

void Hub::handleHello(Connection& c, protocol::HelloFrame& hello, std::int64_t now, Outbox& out) {
    std::optional<AuthResult> auth = c.upgradeAuth;
    if (hello.apiKey) auth = auth_.checkApiKey(*hello.apiKey);
    else if (hello.token) auth = auth_.checkBearer(*hello.token, now);
    if (auth && auth->outcome == AuthOutcome::Invalid) {
        fail(c, hello.ref, "hello", makeError(ErrorCode::Unauthorized, auth->reason), now, out);
        closeWith(c, kUnauthorized, "invalid credentials", out);
        return;
    }
    bool authenticated = auth && auth->outcome == AuthOutcome::Authenticated;
    if (settings_.authRequired && !authenticated) {
        fail(c, hello.ref, "hello", makeError(ErrorCode::Unauthorized, "credentials are required"), now, out);
        closeWith(c, kUnauthorized, "credentials required", out);
        return;
    }
    if (authenticated) {
        c.identity = auth->identity;
        c.dedupeKey = "u:" + auth->identity.userId;
    } else if (hello.resume && !hello.resume->token.empty()) {
        // An anonymous client resuming with the secret token of its earlier
        // connection keeps that connection's mid namespace, so publishes it
        // retries after a reconnect are recognised. Sids are public (member
        // lists show them), so they cannot serve for this.
        if (auto granted = resumeGrants_.lookup(hello.resume->token, now)) c.dedupeKey = *granted;
        else if (clustered_ && isClusterResumeToken(hello.resume->token)) c.resumeToken = hello.resume->token;
    }
    c.helloDone = true;
    if (clustered_ && !c.identity) {
        // Any node may see the client next, so the mid namespace of an
        // anonymous client follows from its secret token alone, with no
        // grant table to share: the token is kept across reconnects and
        // names the namespace. (Mids live in the broker for one mid window;
        // an old token names a namespace nothing is left in.)
        if (c.resumeToken.empty()) c.resumeToken = newId_() + newId_();
        c.dedupeKey = "t:" + c.resumeToken;
    } else {
        c.resumeToken = newId_() + newId_();
        resumeGrants_.issue(c.resumeToken, c.dedupeKey);
    }

    std::string roomsJson = "{}";
    if (hello.resume && !hello.resume->rooms.empty()) {
        rapidjson::StringBuffer buffer;
        json::Writer w(buffer);
        w.StartObject();
        for (auto& [room, since] : hello.resume->rooms) {
            protocol::JoinFrame join;
            join.room = room;
            join.since = since;
            json::writeKey(w, room);
            auto joined = joinRoom(c, join, now, out);
            if (auto* data = std::get_if<std::string>(&joined)) {
                json::writeRaw(w, *data);
            } else {
                w.StartObject();
                json::writeKey(w, "recovered");
                w.Bool(false);
                json::writeKey(w, "error");
                protocol::writeError(w, redact(std::get<Error>(joined)));
                w.EndObject();
            }
        }
        w.EndObject();
        roomsJson.assign(buffer.GetString(), buffer.GetSize());
    }
    reply(c, hello.ref, welcomeJson(c, roomsJson), out);
}

std::string Hub::welcomeJson(const Connection& c, const std::string& roomsJson) const {
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    json::writeKey(w, "sid");
    json::writeString(w, c.sid);
    json::writeKey(w, "resumeToken");
    json::writeString(w, c.resumeToken);
    json::writeKey(w, "user");
    if (c.identity) {
        w.StartObject();
        json::writeKey(w, "id");
        json::writeString(w, c.identity->userId);
        if (c.identity->name) {
            json::writeKey(w, "name");
            json::writeString(w, *c.identity->name);
        }
        w.EndObject();
    } else {
        w.Null();
    }
    json::writeKey(w, "protocol");
    json::writeString(w, "ARGS");
    json::writeKey(w, "version");
    json::writeString(w, "1.0.0");
    json::writeKey(w, "v");
    w.Int(protocol::kProtocolVersion);
    json::writeKey(w, "environment");
    json::writeString(w, config::environmentName(settings_.environment));
    json::writeKey(w, "heartbeatMs");
    w.Int64(settings_.heartbeatMs);
    json::writeKey(w, "capabilities");
    w.StartArray();
    for (const char* cap : {"rooms", "presence", "history", "recovery", "args", "streams"}) json::writeString(w, cap);
    w.EndArray();
    json::writeKey(w, "limits");
    w.StartObject();
    json::writeKey(w, "maxMessageBytes");
    w.Uint64(settings_.maxMessageBytes);
    json::writeKey(w, "rateLimitPerMinute");
    w.Uint(settings_.rateLimitRpm);
    json::writeKey(w, "maxRoomsPerConnection");
    w.Uint64(settings_.maxRoomsPerConnection);
    w.EndObject();
    json::writeKey(w, "rooms");
    json::writeRaw(w, roomsJson);
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

void Hub::activity(ConnId conn, std::int64_t now) {
    if (Connection* c = find(conn)) c->lastSeen = now;
}

void Hub::slowConsumer(ConnId conn, Outbox& out) {
    Connection* c = find(conn);
    if (!c || c->closing) return;
    ++counters_.slowConsumerDisconnects;
    closeWith(*c, kSlowConsumer, "slow consumer", out);
}

void Hub::closed(ConnId conn, std::int64_t now, Outbox& out) {
    Connection* c = find(conn);
    if (!c) return;
    c->closing = true;
    closing_.insert(conn);
    std::set<std::string> joined = rooms_.roomsOf(conn);
    rooms_.leaveAll(conn, now, deliverTo(out));
    if (clustered_) {
        for (const auto& room : joined)
            if (!protocol::isServerRoom(room)) announceMember(room, conn, "", out);
        unwatchIfUnused(joined, out);
    }
    if (!clustered_) resumeGrants_.release(c->resumeToken, now);
    connections_.erase(conn);
    closing_.erase(conn);
    args::Outputs outputs;
    coordinator_.ownerGone(conn, now, outputs);
    route(outputs, now, out);
    if (clustered_) sessionsOfClosed(conn, out);
}

void Hub::tick(std::int64_t now, Outbox& out) {
    for (auto& [id, c] : connections_) {
        if (c.closing) continue;
        if (!c.helloDone && now - c.openedAt >= settings_.helloTimeoutMs) {
            closeWith(c, kTimeout, "no hello in time", out);
            continue;
        }
        if (now - c.lastSeen >= 2 * settings_.heartbeatMs) {
            closeWith(c, kTimeout, "no sign of life", out);
            continue;
        }
        checkTokenExpiry(c, now, out);
        if (c.closing) continue;
        if (now - c.lastPing >= settings_.heartbeatMs) {
            c.lastPing = now;
            Action ping;
            ping.kind = Action::Kind::Ping;
            ping.conn = c.id;
            out.push_back(std::move(ping));
        }
    }
    args::Outputs outputs;
    std::vector<std::string> closedSessions;
    coordinator_.tick(now, outputs, &closedSessions);
    route(outputs, now, out);
    for (const auto& sessionId : closedSessions) {
        // Its records and lease are gone with it: it is asked for anew.
        if (clustered_) leads_.forget(sessionId);
        // The session's last word, so its members know it is gone.
        std::string payload = "{\"sessionId\":\"" + sessionId + "\",\"state\":\"closed\",\"reason\":\"idle\"}";
        args::Message m;
        m.id = "args_" + newId_();
        m.type = args::MessageType::SyncResponse;
        m.timestamp = now;
        m.sessionId = sessionId;
        m.payloadJson = payload;
        announce(sessionId, args::encodeMessage(m), now, out);
    }
    rooms_.expire(now);
    if (clustered_) {
        retryCatchUps(out);
        tickSessions(now, out);
    }
    resumeGrants_.expire(now);
    store_->expire(now);
    for (auto it = recentUpgrades_.begin(); it != recentUpgrades_.end();) {
        while (!it->second.empty() && it->second.front() + kUpgradeWindowMs <= now) it->second.pop_front();
        it = it->second.empty() ? recentUpgrades_.erase(it) : std::next(it);
    }
}

void Hub::drain(Outbox& out) {
    draining_ = true;
    for (auto& [id, c] : connections_)
        if (!c.closing) closeWith(c, kGoingAway, "server shutting down", out);
}

std::size_t Hub::disconnect(const std::optional<std::string>& user, const std::optional<std::string>& sid,
                           Outbox& out) {
    std::size_t closedCount = 0;
    for (auto& [id, c] : connections_) {
        if (c.closing) continue;
        bool match = (sid && c.sid == *sid) || (user && c.identity && c.identity->userId == *user);
        if (!match) continue;
        closeWith(c, protocol::close_code::kForbidden, "disconnected by the server", out);
        ++closedCount;
    }
    return closedCount;
}

std::optional<Hub::ConnectionInfo> Hub::connectionInfo(ConnId conn) const {
    auto it = connections_.find(conn);
    if (it == connections_.end()) return std::nullopt;
    const Connection& c = it->second;
    return ConnectionInfo{c.identity ? c.identity->userId : std::string(), c.address, c.openedAt};
}

Stats Hub::stats(std::int64_t now) const {
    Stats s = counters_;
    s.connectedClients = connections_.size();
    s.rooms = rooms_.roomCount();
    s.historyBytes = rooms_.historyBytes();
    s.historyEvictions = rooms_.budgetEvictions();
    auto totals = coordinator_.totals();
    s.activeSessions = totals.sessions;
    s.totalAgents = totals.agents;
    s.activeStreams = totals.streams;
    s.totalTasks = totals.tasks;
    s.completedTasks = totals.completed;
    s.failedTasks = totals.failed;
    std::uint64_t finished = totals.completed + totals.failed;
    s.errorRate = finished ? 100.0 * static_cast<double>(totals.failed) / static_cast<double>(finished) : 0.0;
    s.avgExecutionTime = totals.avgExecutionMs;
    s.taskDurations = totals.completedDurations;
    s.uptime = now - startedAt_;
    return s;
}

}  // namespace brolostack::server
