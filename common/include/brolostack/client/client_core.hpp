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

#include "brolostack/protocol/frames.hpp"
#include "brolostack/protocol/replies.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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

/// What the shell must do. Values an event or a settled request carries
/// are either JSON the core wrote, or a part of the frame being received:
/// the shell holds that frame already and parses it once, however many
/// effects use it (a message is one `message` event and one named event).
struct Effect {
    enum class Kind { Open, Send, Close, Emit, Resolve, Reject };
    /// Where a value comes from.
    enum class Arg : std::uint8_t {
        None,             // no value (undefined)
        Json,             // the JSON text beside it
        Frame,            // the received frame, whole
        FrameData,        // its `data` (a message's, or a reply's)
        FrameMember,      // its `member` (presence)
        FrameError,       // its `error`
        FrameMsg,         // its `msg` (an ARGS push)
        FrameMsgPayload,  // its `msg.payload`
        FrameInMs,        // its `inMs` (expiring)
    };
    Kind kind = Kind::Send;
    std::string text;       // Send: the frame; Close: reason; Emit: event name; Reject: error code
    Arg data = Arg::None;   // Emit: first argument; Resolve: the value
    std::string dataJson;   // data == Json: its text; Reject: the message
    Arg extra = Arg::None;  // Emit: second argument
    std::string extraJson;  // extra == Json: its text
    std::uint64_t requestId = 0;
    std::uint16_t code = 0;  // Close

    static Effect open() { return Effect{Kind::Open, {}, Arg::None, {}, Arg::None, {}, 0, 0}; }
    static Effect send(std::string frame) { return Effect{Kind::Send, std::move(frame), Arg::None, {}, Arg::None, {}, 0, 0}; }
    static Effect close(std::uint16_t code, std::string reason) {
        return Effect{Kind::Close, std::move(reason), Arg::None, {}, Arg::None, {}, 0, code};
    }
    static Effect resolve(std::uint64_t id, Arg value, std::string json = {}) {
        return Effect{Kind::Resolve, {}, value, std::move(json), Arg::None, {}, id, 0};
    }
    static Effect reject(std::uint64_t id, std::string code, std::string message) {
        return Effect{Kind::Reject, std::move(code), Arg::None, std::move(message), Arg::None, {}, id, 0};
    }
};
using Effects = std::vector<Effect>;

/// A random source for ClientCore from a seed in [0, 1): xorshift64*.
/// Jitter and message ids need spread, not secrecy (a mid only has to be
/// unique within its sender's dedupe window).
std::function<double()> seededRandom(double seed);

/// For shells that want every value as JSON text (a native embedder, the
/// tests): fills dataJson and extraJson of the effects whose values are
/// parts of `frame`, the text last given to received(), and marks them Json.
void resolveFrameArgs(Effects& effects, std::string_view frame);

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
    void received(std::string_view text, std::int64_t now, Effects& out);
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
        protocol::ClientFrame frame;  // sent with a fresh ref on each connection
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

        bool isMessage() const;  // a publish or a send: kept until answered
        std::string_view op() const;
    };
    struct RoomState {
        std::string name;
        std::string infoJson = "{}";
        std::string epoch;
        std::uint64_t offset = 0;
        bool known = false;  // epoch/offset came from the server
    };

    void setState(State s, Effects& out);
    void emit(Effects& out, const std::string& name, std::string dataJson);
    void emitArgs(Effects& out, std::string name, Effect::Arg data, std::string dataJson, Effect::Arg extra,
                  std::string extraJson);
    std::uint64_t enqueue(Outgoing o, std::int64_t now, Effects& out);
    void transmit(Outgoing& o, Effects& out);
    void dropOverflow(Effects& out);
    Outgoing joinFrame(const std::string& room, const RoomState& state) const;
    void onJoined(const Outgoing& join, const protocol::JoinReply& reply, Effects& out);
    void takeRoomPosition(const std::string& room, const protocol::JoinReply& reply);
    /// A frame from the server; `nested` for frames inside a reply (a join's
    /// or a welcome's missed messages), whose values the core then writes
    /// as JSON, since they are not the frame the shell holds.
    void handle(const protocol::ServerFrame& frame, std::string_view text, bool nested, std::int64_t now, Effects& out);
    void handleNested(const std::vector<std::shared_ptr<const std::string>>& frames, std::int64_t now, Effects& out);
    void onArgsPush(const protocol::ArgsPushFrame& f, bool nested, Effects& out);
    void onPong(const protocol::PongFrame& f, std::int64_t now, Effects& out);
    void flush(Effects& out);
    void sendHello(Effects& out);
    void onWelcome(const protocol::ReplyFrame& reply, std::int64_t now, Effects& out);
    void onReply(const protocol::ReplyFrame& reply, Effects& out);
    void onMessage(const protocol::MessageFrame& f, std::string_view text, bool nested, Effects& out);
    /// False for a frame already seen in `room` (replayed on recovery); moves the room's position otherwise.
    bool advance(const std::string& room, const std::string& epoch, std::uint64_t offset);
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
