// The client as a sans-I/O state machine (DESIGN.md: the wasm client's
// core, driven by the JS shim). The shim tells it what happened (the app
// called connect, the socket opened, a frame arrived, time passed) and
// carries out the effects it returns: open or close the socket, send a
// frame, emit an event, settle a request.
//
// Delivery: every publish and send carries a `mid` and stays in the outbox
// until the server answers it. Unanswered messages are sent again, in their
// original order, after a reconnect that presents the previous connection's
// resumeToken, so the server's dedupe turns retries into exactly-once.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace brolostack::client {

enum class State { Disconnected, Connecting, Connected, Reconnecting, Closed };

/// What a full queue gives up first: the oldest message of the lowest
/// priority present. Delivery order is always the order of the calls.
enum class Priority { Low = 0, Medium = 1, High = 2, Critical = 3 };
const char* stateName(State s);

struct ClientOptions {
    bool reconnection = true;
    std::uint32_t reconnectionAttempts = 5;
    std::int64_t reconnectionDelayMs = 1000;
    std::int64_t reconnectionDelayMaxMs = 5000;
    bool queueEnabled = true;           // queue publishes and sends while offline after a connection
                                        // (calls before the first connection are always queued)
    std::size_t queueMaxSize = 1000;    // past it the oldest queued message is dropped (announced)
    std::int64_t requestTimeoutMs = 10000;
    std::int64_t heartbeatIntervalMs = 30000;  // ping for latency
    std::string environment = "development";
    std::string token;
    std::string apiKey;
};

struct Effect {
    enum class Kind { Open, Send, Close, Emit, Resolve, Reject };
    Kind kind = Kind::Send;
    std::string text;       // Send: the frame; Close: reason; Emit: event name; Reject: error code
    std::string dataJson;   // Emit: first argument; Resolve: the reply data; Reject: the message
    std::string extraJson;  // Emit: second argument (e.g. the whole frame), or empty
    std::uint64_t requestId = 0;
    std::uint16_t code = 0;  // Close
};
using Effects = std::vector<Effect>;

class ClientCore {
public:
    /// `random` returns a value in [0, 1): backoff jitter and message ids.
    ClientCore(ClientOptions options, std::function<double()> random);

    // ---- what the application does; each returns a request id ----------
    std::uint64_t connect(std::int64_t now, Effects& out);
    void disconnect(std::int64_t now, Effects& out);
    std::uint64_t joinRoom(const std::string& room, const std::string& name, const std::string& infoJson,
                           std::int64_t now, Effects& out);
    std::uint64_t leaveRoom(const std::string& room, std::int64_t now, Effects& out);
    /// The room's newest `limit` messages, oldest first (the reply's data).
    std::uint64_t history(const std::string& room, std::uint64_t limit, std::int64_t now, Effects& out);
    /// The room's members now (the reply's data: members and memberCount).
    std::uint64_t members(const std::string& room, std::int64_t now, Effects& out);
    /// A new token for this connection and every later hello. Connected, it
    /// goes to the server at once (the reply carries the new exp); otherwise
    /// the request settles at once and the next hello presents it.
    std::uint64_t refreshToken(const std::string& token, std::int64_t now, Effects& out);
    std::uint64_t publish(const std::string& room, const std::string& event, const std::string& dataJson, bool echo,
                          std::int64_t now, Effects& out, Priority priority = Priority::Medium);
    std::uint64_t send(const std::string& event, const std::string& dataJson, std::int64_t now, Effects& out,
                       Priority priority = Priority::Medium);

    // ---- what the transport reports ------------------------------------
    void opened(std::int64_t now, Effects& out);
    void received(const std::string& text, std::int64_t now, Effects& out);
    void closed(std::uint16_t code, const std::string& reason, std::int64_t now, Effects& out);
    void tick(std::int64_t now, Effects& out);
    /// When tick() has something to do next (0: nothing scheduled).
    std::int64_t nextWakeAt() const;

    // ---- what the application reads ------------------------------------
    State state() const { return state_; }
    std::string statsJson() const;
    std::vector<std::string> rooms() const;
    /// The messages still owed to the server (queued or unanswered) and the
    /// rooms they go to, as JSON to persist; empty when nothing is owed.
    std::string queueSnapshot() const;
    /// Changes whenever messages join or leave the outbox (or rooms are
    /// joined or left), not when only room positions move: a snapshot
    /// taken at an unchanged version differs at most in those positions.
    std::uint64_t queueVersion() const { return queueVersion_; }
    /// Takes over a snapshot (of a previous page, or a closed tab): rejoins
    /// its rooms from their last position, then sends its messages, those
    /// whose mid is already here once. Bounded by queueMaxSize like any
    /// queued message. False, with nothing changed, when it is not one.
    bool restoreQueue(const std::string& snapshotJson, std::int64_t now, Effects& out);

private:
    struct Outgoing {
        std::uint64_t requestId = 0;
        std::string op;  // publish | send | join | leave | history
        std::string frameWithoutRef;  // the frame's fields after op, as JSON members
        std::string mid;
        std::string room;   // publish and join: the room addressed
        std::string event;  // publish and send: the event name
        bool since = false; // join: asks for the messages after the last position seen
        bool sent = false;  // sent on the current connection, answer pending
        bool echo = false;  // publish: the server sends our own copy back
        Priority priority = Priority::Medium;
        std::int64_t sentAt = 0;
        std::uint64_t ref = 0;
        std::int64_t queuedAt = 0;
    };
    struct RoomState {
        std::string name;
        std::string infoJson = "{}";
        std::string epoch;
        std::uint64_t offset = 0;
        bool known = false;  // epoch/offset came from the server
    };

    void setState(State s, Effects& out);
    void emit(Effects& out, const std::string& name, std::string dataJson, std::string extraJson = {});
    std::uint64_t enqueue(Outgoing o, std::int64_t now, Effects& out);
    void transmit(Outgoing& o, Effects& out);
    void dropOverflow(Effects& out);
    Outgoing joinFrame(const std::string& room, const RoomState& state) const;
    void onJoined(const Outgoing& join, const std::string& dataJson, Effects& out);
    void flush(Effects& out);
    void sendHello(Effects& out);
    void onWelcome(const std::string& dataJson, std::int64_t now, Effects& out);
    void onReply(std::uint64_t ref, bool ok, const std::string& dataJson, const std::string& code,
                 const std::string& message, Effects& out);
    void onMessage(const std::string& frameJson, const std::string& room, const std::string& event,
                   const std::string& dataJson, std::uint64_t offset, const std::string& epoch, Effects& out);
    void scheduleReconnect(std::int64_t now, Effects& out);
    void failPending(const std::string& code, const std::string& message, Effects& out);
    std::string newMid();

    ClientOptions options_;
    std::function<double()> random_;
    State state_ = State::Disconnected;
    std::uint64_t nextRequestId_ = 1;
    std::uint64_t nextRef_ = 1;
    std::uint64_t helloRef_ = 0;
    std::uint64_t connectRequest_ = 0;
    std::deque<Outgoing> outbox_;
    std::map<std::string, RoomState> rooms_;
    std::string sid_;
    std::string resumeToken_;
    std::uint32_t attempts_ = 0;
    std::int64_t reconnectAt_ = 0;
    std::int64_t nextPingAt_ = 0;
    std::deque<double> latencies_;
    std::uint64_t messagesSent_ = 0;
    std::uint64_t messagesReceived_ = 0;
    std::uint64_t reconnectCount_ = 0;
    std::uint64_t dropped_ = 0;
    std::uint64_t queueVersion_ = 0;
    bool everConnected_ = false;
    std::int64_t lastNow_ = 0;  // the latest time any input brought
};

}  // namespace brolostack::client
