// The client state machine (common/client), driven through its inputs with a
// hand-moved clock, a deterministic random source and a small fake server
// that reads the frames the client sends and answers them. No sockets, no
// sleeps. The rules come from PROTOCOL.md sections 2-5, docs/protocol.md
// (resumeToken) and DESIGN.md "Public API" (event names).
#include "brolostack/client/client_core.hpp"
#include "brolostack/json.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

using brolostack::client::ClientCore;
using brolostack::client::ClientOptions;
using brolostack::client::Effect;
using brolostack::client::Effects;
using brolostack::client::State;
using brolostack::json::Document;
using brolostack::json::Value;
using Kind = Effect::Kind;

// ---------------------------------------------------------------------------
// Reading effects

Document parse(std::string_view text) {
    Document doc;
    doc.Parse(text.data(), text.size());
    EXPECT_FALSE(doc.HasParseError()) << "not JSON: " << text;
    return doc;
}

std::string str(const Value& v) { return brolostack::json::toString(v); }

std::string member(const Value& obj, const char* key) {
    if (!obj.IsObject() || !obj.HasMember(key)) return "<absent>";
    const Value& v = obj[key];
    return v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : str(v);
}

std::uint64_t refOf(const Value& frame) {
    return frame.IsObject() && frame.HasMember("ref") && frame["ref"].IsUint64() ? frame["ref"].GetUint64() : 0;
}

/// The frames the client asked to send, parsed; only those with `op` when given.
std::vector<Document> sent(const Effects& effects, std::string_view op = {}) {
    std::vector<Document> frames;
    for (const auto& e : effects) {
        if (e.kind != Kind::Send) continue;
        Document d = parse(e.text);
        if (!op.empty() && member(d, "op") != op) continue;
        frames.push_back(std::move(d));
    }
    return frames;
}

/// The ops of the frames sent, in order ("hello", "publish", ...).
std::vector<std::string> sentOps(const Effects& effects) {
    std::vector<std::string> ops;
    for (const auto& f : sent(effects)) ops.push_back(member(f, "op"));
    return ops;
}

std::size_t count(const Effects& effects, Kind kind) {
    return static_cast<std::size_t>(
        std::count_if(effects.begin(), effects.end(), [&](const Effect& e) { return e.kind == kind; }));
}

std::vector<const Effect*> emitted(const Effects& effects, std::string_view name) {
    std::vector<const Effect*> out;
    for (const auto& e : effects)
        if (e.kind == Kind::Emit && e.text == name) out.push_back(&e);
    return out;
}

/// Names of the events emitted, in order (state changes left out unless asked).
std::vector<std::string> eventNames(const Effects& effects, bool withState = false) {
    std::vector<std::string> names;
    for (const auto& e : effects)
        if (e.kind == Kind::Emit && (withState || e.text != "state")) names.push_back(e.text);
    return names;
}

/// The states announced by `state` events, in order.
std::vector<std::string> states(const Effects& effects) {
    std::vector<std::string> out;
    for (const auto* e : emitted(effects, "state")) {
        Document d = parse(e->dataJson);
        out.push_back(d.IsString() ? d.GetString() : "<not a string>");
    }
    return out;
}

const Effect* settled(const Effects& effects, Kind kind, std::uint64_t id) {
    for (const auto& e : effects)
        if (e.kind == kind && e.requestId == id) return &e;
    return nullptr;
}

bool settledAtAll(const Effects& effects, std::uint64_t id) {
    return settled(effects, Kind::Resolve, id) || settled(effects, Kind::Reject, id);
}

// ---------------------------------------------------------------------------
// What a server sends

std::string reply(std::uint64_t ref, const std::string& dataJson) {
    return R"({"op":"reply","ref":)" + std::to_string(ref) + R"(,"ok":true,"data":)" + dataJson + "}";
}

std::string errorReply(std::uint64_t ref, const std::string& code) {
    return R"({"op":"reply","ref":)" + std::to_string(ref) + R"(,"ok":false,"error":{"code":")" + code +
           R"(","message":"no"}})";
}

std::string welcomeData(const std::string& sid, const std::string& token, const std::string& roomsJson) {
    return R"({"sid":")" + sid + R"(","resumeToken":")" + token +
           R"(","user":null,"protocol":"ARGS","version":"1.0.0","v":1,"environment":"development",)"
           R"("heartbeatMs":15000,"capabilities":["rooms","presence","history","recovery","args","streams"],)"
           R"("rooms":)" +
           roomsJson + "}";
}

std::string joinData(const std::string& room, const std::string& epoch, std::uint64_t offset) {
    return R"({"room":")" + room + R"(","epoch":")" + epoch + R"(","offset":)" + std::to_string(offset) +
           R"(,"members":[],"memberCount":1,"recovered":false,"missed":[]})";
}

std::string publishData(const std::string& room, std::uint64_t offset, const std::string& epoch,
                        bool duplicate = false) {
    return R"({"room":")" + room + R"(","offset":)" + std::to_string(offset) + R"(,"epoch":")" + epoch +
           R"(","duplicate":)" + (duplicate ? "true" : "false") + "}";
}

std::string messageFrame(const std::string& room, std::uint64_t offset, const std::string& epoch,
                         const std::string& event = "chat", const std::string& dataJson = "",
                         const std::string& mid = "") {
    std::string data = dataJson.empty() ? R"({"n":)" + std::to_string(offset) + "}" : dataJson;
    return R"({"op":"message","room":")" + room + R"(","event":")" + event + R"(","data":)" + data +
           R"(,"from":{"sid":"c-other","user":null},"offset":)" + std::to_string(offset) + R"(,"epoch":")" + epoch +
           R"(","ts":1700000000000)" + (mid.empty() ? "" : R"(,"mid":")" + mid + "\"") + "}";
}

std::string argsFrame(const std::string& type, const std::string& payloadJson, const std::string& room = "",
                      std::uint64_t offset = 0, const std::string& epoch = "") {
    std::string f = R"({"op":"args","msg":{"id":"a-)" + std::to_string(offset) + R"(","type":")" + type +
                    R"(","timestamp":1700000000000,"sessionId":"s1","payload":)" + payloadJson + "}";
    if (!room.empty())
        f += R"(,"room":")" + room + R"(","offset":)" + std::to_string(offset) + R"(,"epoch":")" + epoch + "\"";
    return f + "}";
}

/// The `data` of message events (delivered room messages), as compact JSON.
std::vector<std::string> deliveredOffsets(const Effects& effects) {
    std::vector<std::string> out;
    for (const auto* e : emitted(effects, "message")) out.push_back(member(parse(e->dataJson), "offset"));
    return out;
}

// ---------------------------------------------------------------------------
// The fixture: one ClientCore, a clock, a random source, a fake server.

class ClientCoreTest : public ::testing::Test {
protected:
    ClientOptions options;
    std::int64_t now = 1'700'000'000'000;
    /// When set, the random source returns this; otherwise a fixed LCG sequence.
    std::optional<double> fixedRandom;
    std::uint64_t lcg = 0x2545F4914F6CDD1DULL;
    std::uint64_t randomCalls = 0;
    /// The request id of the last connect().
    std::uint64_t connectId = 0;
    /// The last hello the client sent, parsed.
    Document lastHello;

    void TearDown() override { EXPECT_EQ(brolostack::json::internalAssertCount(), assertsBefore_); }

    double random() {
        ++randomCalls;
        if (fixedRandom) return *fixedRandom;
        lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<double>(lcg >> 11) / 9007199254740992.0;
    }

    ClientCore& core() {
        if (!core_) core_ = std::make_unique<ClientCore>(options, [this] { return random(); });
        return *core_;
    }
    /// Starts over with a new core built from `options` (same clock).
    void rebuild() { core_.reset(); }

    // ---- the application ----
    Effects connect() {
        Effects e;
        connectId = core().connect(now, e);
        return e;
    }
    Effects disconnect() {
        Effects e;
        core().disconnect(now, e);
        return e;
    }
    Effects join(const std::string& room, std::uint64_t* id = nullptr, const std::string& name = "",
                 const std::string& info = "") {
        Effects e;
        auto r = core().joinRoom(room, name, info, now, e);
        if (id) *id = r;
        return e;
    }
    Effects leave(const std::string& room, std::uint64_t* id = nullptr) {
        Effects e;
        auto r = core().leaveRoom(room, now, e);
        if (id) *id = r;
        return e;
    }
    Effects publish(const std::string& room, const std::string& dataJson, std::uint64_t* id = nullptr,
                    bool echo = false, const std::string& event = "chat") {
        Effects e;
        auto r = core().publish(room, event, dataJson, echo, now, e);
        if (id) *id = r;
        return e;
    }
    Effects sendEvent(const std::string& event, const std::string& dataJson, std::uint64_t* id = nullptr) {
        Effects e;
        auto r = core().send(event, dataJson, now, e);
        if (id) *id = r;
        return e;
    }

    // ---- the transport ----
    Effects opened() {
        Effects e;
        core().opened(now, e);
        return e;
    }
    /// A frame from the server; values taken from it are resolved to JSON,
    /// as the JS shell resolves them from the frame it holds.
    Effects receive(const std::string& text) {
        Effects e;
        core().received(text, now, e);
        brolostack::client::resolveFrameArgs(e, text);
        return e;
    }
    Effects closed(std::uint16_t code, const std::string& reason = "") {
        Effects e;
        core().closed(code, reason, now, e);
        return e;
    }
    Effects tick() {
        Effects e;
        core().tick(now, e);
        return e;
    }
    Effects tickAt(std::int64_t t) {
        now = t;
        return tick();
    }

    // ---- the fake server ----
    /// The socket opens; reads the hello (exactly one frame) and answers it
    /// with a welcome. Returns the welcome's effects.
    Effects handshake(const std::string& roomsJson = "{}", const std::string& sid = "c-1",
                      const std::string& token = "t1") {
        Effects o = opened();
        auto frames = sent(o);
        EXPECT_EQ(frames.size(), 1u) << "opened() must send the hello and nothing else";
        if (frames.empty()) return {};
        EXPECT_EQ(member(frames[0], "op"), "hello");
        lastHello.CopyFrom(frames[0], lastHello.GetAllocator());
        return receive(reply(refOf(frames[0]), welcomeData(sid, token, roomsJson)));
    }
    /// connect() + Open + handshake: the client ends up connected.
    Effects connectAndWelcome(const std::string& roomsJson = "{}", const std::string& sid = "c-1",
                              const std::string& token = "t1") {
        Effects c = connect();
        EXPECT_EQ(count(c, Kind::Open), 1u);
        Effects w = handshake(roomsJson, sid, token);
        EXPECT_EQ(core().state(), State::Connected);
        return w;
    }
    /// Joins `room` while connected and answers with epoch/offset.
    void joinAnswered(const std::string& room, const std::string& epoch, std::uint64_t offset) {
        std::uint64_t id = 0;
        auto frames = sent(join(room, &id), "join");
        ASSERT_EQ(frames.size(), 1u);
        ASSERT_EQ(member(frames[0], "room"), room);
        Effects r = receive(reply(refOf(frames[0]), joinData(room, epoch, offset)));
        ASSERT_NE(settled(r, Kind::Resolve, id), nullptr);
    }
    /// After a non-terminal close: waits for the reconnect, and handshakes.
    Effects reconnectAndWelcome(const std::string& roomsJson = "{}", const std::string& sid = "c-2",
                                const std::string& token = "t2") {
        EXPECT_EQ(core().state(), State::Reconnecting);
        Effects t = tickAt(std::max(now, core().nextWakeAt()));
        EXPECT_EQ(count(t, Kind::Open), 1u);
        return handshake(roomsJson, sid, token);
    }

private:
    std::unique_ptr<ClientCore> core_;
    std::uint64_t assertsBefore_ = brolostack::json::internalAssertCount();
};

// ===========================================================================
// State machine

TEST_F(ClientCoreTest, ConnectOpensSendsHelloAndConnectsOnWelcome) {
    EXPECT_EQ(core().state(), State::Disconnected);
    EXPECT_EQ(core().nextWakeAt(), 0);

    Effects c = connect();
    EXPECT_EQ(core().state(), State::Connecting);
    EXPECT_EQ(states(c), std::vector<std::string>{"connecting"});
    EXPECT_EQ(count(c, Kind::Open), 1u);
    EXPECT_EQ(count(c, Kind::Send), 0u) << "nothing is sent before the socket opens";
    EXPECT_FALSE(settledAtAll(c, connectId));

    Effects o = opened();
    auto hello = sent(o);
    ASSERT_EQ(hello.size(), 1u);
    EXPECT_EQ(member(hello[0], "op"), "hello");
    EXPECT_GT(refOf(hello[0]), 0u);
    EXPECT_EQ(member(hello[0], "v"), "1");
    EXPECT_EQ(member(hello[0]["client"], "name"), "brolostack-js");
    EXPECT_FALSE(hello[0].HasMember("resume")) << "a first connection has nothing to resume";
    EXPECT_FALSE(hello[0].HasMember("token"));
    EXPECT_FALSE(hello[0].HasMember("apiKey"));
    EXPECT_EQ(core().state(), State::Connecting);
    EXPECT_FALSE(settledAtAll(o, connectId));

    // A reply to another ref is not the welcome.
    Effects stray = receive(reply(refOf(hello[0]) + 100, "{}"));
    EXPECT_EQ(core().state(), State::Connecting);
    EXPECT_FALSE(settledAtAll(stray, connectId));

    Effects w = receive(reply(refOf(hello[0]), welcomeData("c-1", "t1", "{}")));
    EXPECT_EQ(core().state(), State::Connected);
    EXPECT_EQ(states(w), std::vector<std::string>{"connected"});
    auto connected = emitted(w, "connected");
    ASSERT_EQ(connected.size(), 1u);
    EXPECT_EQ(member(parse(connected[0]->dataJson), "sid"), "c-1");
    EXPECT_TRUE(emitted(w, "reconnected").empty()) << "the first connection is not a reconnection";
    const Effect* resolved = settled(w, Kind::Resolve, connectId);
    ASSERT_NE(resolved, nullptr);
    EXPECT_EQ(member(parse(resolved->dataJson), "sid"), "c-1");
    EXPECT_EQ(member(parse(core().statsJson()), "connected"), "true");
}

TEST_F(ClientCoreTest, ConnectWhileConnectedResolvesAtOnceWithoutOpening) {
    connectAndWelcome();
    Effects again = connect();
    EXPECT_NE(settled(again, Kind::Resolve, connectId), nullptr);
    EXPECT_EQ(count(again, Kind::Open), 0u);
    EXPECT_EQ(count(again, Kind::Send), 0u);
    EXPECT_EQ(core().state(), State::Connected);
}

TEST_F(ClientCoreTest, HelloCarriesConfiguredCredentials) {
    options.token = "jwt.a.b";
    options.apiKey = "k1";
    connect();
    auto hello = sent(opened());
    ASSERT_EQ(hello.size(), 1u);
    EXPECT_EQ(member(hello[0], "token"), "jwt.a.b");
    EXPECT_EQ(member(hello[0], "apiKey"), "k1");
}

TEST_F(ClientCoreTest, RefusedHelloRejectsConnectAndUnauthorizedCloseDoesNotReconnect) {
    connect();
    auto hello = sent(opened());
    ASSERT_EQ(hello.size(), 1u);
    Effects r = receive(errorReply(refOf(hello[0]), "unauthorized"));
    const Effect* rejected = settled(r, Kind::Reject, connectId);
    ASSERT_NE(rejected, nullptr);
    EXPECT_EQ(rejected->text, "unauthorized");
    EXPECT_NE(core().state(), State::Connected);

    Effects c = closed(4001, "unauthorized");
    EXPECT_EQ(core().state(), State::Disconnected);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(count(tickAt(now + 10'000), Kind::Open), 0u);
}

// ===========================================================================
// Backoff: capped exponential with full jitter

TEST_F(ClientCoreTest, BackoffIsFullJitterOverExponentialDelayCappedAtMax) {
    options.reconnectionDelayMs = 1000;
    options.reconnectionDelayMaxMs = 5000;
    options.reconnectionAttempts = 8;
    for (double r : {0.0, 0.5, 0.999}) {
        SCOPED_TRACE("random " + std::to_string(r));
        rebuild();
        fixedRandom = r;
        connectAndWelcome();
        std::vector<std::int64_t> delays;
        Effects c = closed(1006, "abnormal");
        for (std::uint32_t attempt = 0; attempt < options.reconnectionAttempts; ++attempt) {
            SCOPED_TRACE("attempt " + std::to_string(attempt));
            ASSERT_EQ(core().state(), State::Reconnecting);
            EXPECT_EQ(count(c, Kind::Open), 0u) << "the reopen waits for its time";
            double cap = std::min(5000.0, 1000.0 * std::pow(2.0, attempt));
            std::int64_t expected = now + static_cast<std::int64_t>(r * cap);
            std::int64_t wake = core().nextWakeAt();
            EXPECT_EQ(wake, expected);
            EXPECT_GE(wake, now);
            EXPECT_LE(wake - now, options.reconnectionDelayMaxMs);
            delays.push_back(wake - now);
            if (wake > now) {
                EXPECT_EQ(count(tickAt(wake - 1), Kind::Open), 0u) << "too early";
            }
            Effects t = tickAt(wake);
            EXPECT_EQ(count(t, Kind::Open), 1u);
            EXPECT_EQ(core().state(), State::Connecting);
            now += 3;
            c = closed(1006, "refused");  // this attempt fails too
        }
        // Exponential growth until the cap, then flat at the cap.
        for (std::size_t i = 1; i < delays.size(); ++i) {
            double uncapped = 1000.0 * std::pow(2.0, static_cast<double>(i));
            if (uncapped <= 5000.0)
                EXPECT_NEAR(static_cast<double>(delays[i]), 2.0 * static_cast<double>(delays[i - 1]), 1.0);
            else
                EXPECT_EQ(delays[i], static_cast<std::int64_t>(r * 5000.0));
        }
    }
}

TEST_F(ClientCoreTest, AfterAllAttemptsFailTheClientGivesUpAndRejectsConnect) {
    options.reconnectionAttempts = 3;
    fixedRandom = 0.5;
    Effects all = connect();
    ASSERT_EQ(count(all, Kind::Open), 1u);
    Effects c = closed(1006, "refused");  // the first connection never opened
    int opens = 1;
    while (core().state() == State::Reconnecting) {
        EXPECT_FALSE(settledAtAll(c, connectId)) << "still trying";
        EXPECT_TRUE(emitted(c, "reconnect-error").empty());
        Effects t = tickAt(core().nextWakeAt());
        opens += static_cast<int>(count(t, Kind::Open));
        ASSERT_LE(opens, 10) << "never gives up";
        now += 5;
        c = closed(1006, "refused");
    }
    EXPECT_EQ(opens, 1 + 3) << "the first try and reconnectionAttempts retries";
    EXPECT_EQ(core().state(), State::Disconnected);
    auto err = emitted(c, "reconnect-error");
    ASSERT_EQ(err.size(), 1u);
    EXPECT_EQ(member(parse(err[0]->dataJson), "attempts"), "3");
    const Effect* rejected = settled(c, Kind::Reject, connectId);
    ASSERT_NE(rejected, nullptr);
    EXPECT_EQ(core().nextWakeAt(), 0);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(count(tickAt(now + 60'000), Kind::Open), 0u);
}

TEST_F(ClientCoreTest, SuccessfulReconnectStartsBackoffOverAndCountsReconnection) {
    fixedRandom = 0.999;
    options.reconnectionDelayMs = 1000;
    connectAndWelcome();
    closed(1006);
    EXPECT_EQ(core().nextWakeAt() - now, 999);
    tickAt(core().nextWakeAt());
    closed(1006);  // one failed attempt
    EXPECT_EQ(core().nextWakeAt() - now, 1998);
    tickAt(core().nextWakeAt());
    Effects w = handshake("{}", "c-2", "t2");
    EXPECT_EQ(core().state(), State::Connected);
    EXPECT_EQ(emitted(w, "reconnected").size(), 1u);
    EXPECT_EQ(emitted(w, "connected").size(), 1u);
    EXPECT_EQ(member(parse(core().statsJson()), "reconnectCount"), "1");
    closed(1006);
    EXPECT_EQ(core().nextWakeAt() - now, 999) << "attempts start over after a welcome";
}

class ReconnectingCloseCode : public ClientCoreTest, public ::testing::WithParamInterface<int> {};

TEST_P(ReconnectingCloseCode, ReconnectsWithBackoff) {
    fixedRandom = 0.25;
    connectAndWelcome();
    auto code = static_cast<std::uint16_t>(GetParam());
    Effects c = closed(code, "bye");
    auto d = emitted(c, "disconnected");
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(member(parse(d[0]->dataJson), "code"), std::to_string(code));
    EXPECT_EQ(member(parse(d[0]->dataJson), "reason"), "bye");
    EXPECT_EQ(core().state(), State::Reconnecting);
    EXPECT_EQ(count(c, Kind::Open), 0u);
    EXPECT_GT(core().nextWakeAt(), 0);
    Effects t = tickAt(core().nextWakeAt());
    EXPECT_EQ(count(t, Kind::Open), 1u);
    EXPECT_EQ(core().state(), State::Connecting);
}

INSTANTIATE_TEST_SUITE_P(EveryOtherCode, ReconnectingCloseCode,
                         ::testing::Values(1000, 1001, 1006, 1009, 1011, 1013, 4002, 4008, 4029, 4090));

class TerminalCloseCode : public ClientCoreTest, public ::testing::WithParamInterface<int> {};

TEST_P(TerminalCloseCode, NeverReconnectsWithoutTheApplication) {
    connectAndWelcome();
    auto code = static_cast<std::uint16_t>(GetParam());
    Effects c = closed(code, "no");
    EXPECT_EQ(emitted(c, "disconnected").size(), 1u);
    EXPECT_EQ(core().state(), State::Disconnected);
    EXPECT_EQ(core().nextWakeAt(), 0);
    for (int i = 0; i < 20; ++i) {
        Effects t = tickAt(now + 30'000);
        EXPECT_EQ(count(t, Kind::Open), 0u);
        EXPECT_EQ(count(t, Kind::Send), 0u);
    }
    EXPECT_EQ(core().state(), State::Disconnected);
    // The application may try again.
    Effects again = connect();
    EXPECT_EQ(count(again, Kind::Open), 1u);
}

TEST_P(TerminalCloseCode, DuringTheHandshakeRejectsConnect) {
    connect();
    opened();
    Effects c = closed(static_cast<std::uint16_t>(GetParam()), "no");
    EXPECT_EQ(core().state(), State::Disconnected);
    EXPECT_NE(settled(c, Kind::Reject, connectId), nullptr);
    EXPECT_EQ(count(tickAt(now + 60'000), Kind::Open), 0u);
}

INSTANTIATE_TEST_SUITE_P(ProtocolUnauthorizedForbidden, TerminalCloseCode, ::testing::Values(4000, 4001, 4003));

TEST_F(ClientCoreTest, ReconnectionDisabledMeansNoReconnect) {
    options.reconnection = false;
    connectAndWelcome();
    Effects c = closed(1006);
    EXPECT_EQ(core().state(), State::Disconnected);
    EXPECT_EQ(emitted(c, "disconnected").size(), 1u);
    EXPECT_EQ(core().nextWakeAt(), 0);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(count(tickAt(now + 10'000), Kind::Open), 0u);

    // Also when the very first connection fails: connect() is rejected.
    rebuild();
    connect();
    Effects f = closed(1006);
    EXPECT_EQ(core().state(), State::Disconnected);
    EXPECT_NE(settled(f, Kind::Reject, connectId), nullptr);
    EXPECT_EQ(count(tickAt(now + 10'000), Kind::Open), 0u);
}

// ===========================================================================
// Resume: hello.resume, recovery, missed frames

TEST_F(ClientCoreTest, ReconnectHelloResumesWithPreviousTokenAndLastOffsets) {
    connectAndWelcome("{}", "c-1", "t1");
    joinAnswered("general", "e1", 5);
    receive(messageFrame("general", 6, "e1"));
    receive(messageFrame("general", 7, "e1"));
    joinAnswered("other", "e2", 0);
    closed(1006);
    reconnectAndWelcome(R"({"general":{"recovered":true,"epoch":"e1","offset":7,"missed":[]},)"
                        R"("other":{"recovered":true,"epoch":"e2","offset":0,"missed":[]}})",
                        "c-2", "t2");
    ASSERT_TRUE(lastHello.HasMember("resume"));
    const Value& resume = lastHello["resume"];
    EXPECT_EQ(member(resume, "sid"), "c-1");
    EXPECT_EQ(member(resume, "token"), "t1");
    ASSERT_TRUE(resume.HasMember("rooms"));
    EXPECT_EQ(str(resume["rooms"]), R"({"general":{"epoch":"e1","offset":7},"other":{"epoch":"e2","offset":0}})");

    // The next resume names the connection just made, and its token.
    receive(messageFrame("general", 8, "e1"));
    closed(1001);
    reconnectAndWelcome("{}", "c-3", "t3");
    ASSERT_TRUE(lastHello.HasMember("resume"));
    EXPECT_EQ(member(lastHello["resume"], "sid"), "c-2");
    EXPECT_EQ(member(lastHello["resume"], "token"), "t2");
    EXPECT_EQ(str(lastHello["resume"]["rooms"]),
              R"({"general":{"epoch":"e1","offset":8},"other":{"epoch":"e2","offset":0}})");
}

TEST_F(ClientCoreTest, LeftRoomsAreNotResumed) {
    connectAndWelcome();
    joinAnswered("general", "e1", 1);
    joinAnswered("other", "e2", 2);
    receive(reply(refOf(sent(leave("other"), "leave").at(0)), R"({"room":"other"})"));
    EXPECT_EQ(core().rooms(), std::vector<std::string>{"general"});
    closed(1006);
    reconnectAndWelcome();
    EXPECT_EQ(str(lastHello["resume"]["rooms"]), R"({"general":{"epoch":"e1","offset":1}})");
}

TEST_F(ClientCoreTest, UnrecoveredRoomEmitsRecoveryFailedAndAdoptsTheNewEpoch) {
    connectAndWelcome();
    joinAnswered("general", "e1", 5);
    joinAnswered("locked", "e3", 1);
    closed(1006);
    Effects w = reconnectAndWelcome(
        R"({"general":{"recovered":false,"epoch":"e9","offset":100,"missed":[]},)"
        R"("locked":{"recovered":false,"error":{"code":"forbidden","message":"no"}}})");
    auto failed = emitted(w, "recovery-failed");
    ASSERT_EQ(failed.size(), 2u);
    std::set<std::string> rooms;
    for (const auto* f : failed) rooms.insert(member(parse(f->dataJson), "room"));
    EXPECT_EQ(rooms, (std::set<std::string>{"general", "locked"}));

    // The new epoch counts from here: 100 is known, 101 is new.
    EXPECT_TRUE(emitted(receive(messageFrame("general", 100, "e9")), "message").empty());
    EXPECT_EQ(emitted(receive(messageFrame("general", 101, "e9")), "message").size(), 1u);
}

TEST_F(ClientCoreTest, RecoveredRoomEmitsNoRecoveryFailed) {
    connectAndWelcome();
    joinAnswered("general", "e1", 5);
    closed(1006);
    Effects w = reconnectAndWelcome(R"({"general":{"recovered":true,"epoch":"e1","offset":5,"missed":[]}})");
    EXPECT_TRUE(emitted(w, "recovery-failed").empty());
}

TEST_F(ClientCoreTest, MissedFramesInTheWelcomeAreDeliveredOnceInOrder) {
    connectAndWelcome();
    joinAnswered("general", "e1", 5);
    receive(messageFrame("general", 6, "e1"));
    receive(messageFrame("general", 7, "e1"));
    closed(1006);
    std::string missed = "[" + messageFrame("general", 6, "e1") + "," + messageFrame("general", 7, "e1") + "," +
                         messageFrame("general", 8, "e1") + "," + messageFrame("general", 9, "e1") + "," +
                         messageFrame("general", 10, "e1") + "]";
    Effects w = reconnectAndWelcome(R"({"general":{"recovered":true,"epoch":"e1","offset":10,"missed":)" + missed +
                                    "}}");
    EXPECT_EQ(deliveredOffsets(w), (std::vector<std::string>{"8", "9", "10"}));
    EXPECT_EQ(emitted(w, "chat").size(), 3u);
    // The same frames live again are duplicates; the next one is new.
    EXPECT_TRUE(emitted(receive(messageFrame("general", 9, "e1")), "message").empty());
    EXPECT_TRUE(emitted(receive(messageFrame("general", 10, "e1")), "message").empty());
    EXPECT_EQ(deliveredOffsets(receive(messageFrame("general", 11, "e1"))), std::vector<std::string>{"11"});
}

// ===========================================================================
// Queue and delivery

TEST_F(ClientCoreTest, RequestsBeforeConnectingAreQueuedThenSentInOrderAfterWelcome) {
    std::uint64_t j = 0, p = 0, s = 0, late = 0;
    Effects q;
    for (Effects e : {join("general", &j, "General", R"({"name":"Ada"})"), publish("general", R"({"text":"hi"})", &p),
                      sendEvent("start-task", R"({"taskId":"t1"})", &s)})
        q.insert(q.end(), e.begin(), e.end());
    EXPECT_EQ(count(q, Kind::Send), 0u);
    EXPECT_EQ(count(q, Kind::Open), 0u) << "queueing does not connect";
    auto queued = emitted(q, "message-queued");
    ASSERT_EQ(queued.size(), 3u);
    EXPECT_EQ(member(parse(queued[2]->dataJson), "queued"), "3");
    EXPECT_EQ(std::set<std::uint64_t>({j, p, s}).size(), 3u) << "request ids are distinct";

    connect();
    auto hello = sent(opened());
    ASSERT_EQ(hello.size(), 1u) << "only the hello goes before the welcome";
    // Still queued while the handshake is under way.
    Effects l = publish("general", R"({"text":"late"})", &late);
    EXPECT_EQ(count(l, Kind::Send), 0u);
    EXPECT_EQ(emitted(l, "message-queued").size(), 1u);

    Effects w = receive(reply(refOf(hello[0]), welcomeData("c-1", "t1", "{}")));
    EXPECT_EQ(sentOps(w), (std::vector<std::string>{"join", "publish", "send", "publish"}));
    auto frames = sent(w);
    ASSERT_EQ(frames.size(), 4u);
    EXPECT_EQ(member(frames[0], "room"), "general");
    EXPECT_EQ(member(frames[0], "name"), "General");
    EXPECT_EQ(str(frames[0]["info"]), R"({"name":"Ada"})");
    EXPECT_EQ(str(frames[1]["data"]), R"({"text":"hi"})");
    EXPECT_EQ(member(frames[1], "event"), "chat");
    EXPECT_EQ(member(frames[1], "echo"), "false");
    EXPECT_EQ(member(frames[2], "event"), "start-task");
    EXPECT_EQ(str(frames[3]["data"]), R"({"text":"late"})");
    std::set<std::uint64_t> refs;
    std::set<std::string> mids;
    for (const auto& f : frames) refs.insert(refOf(f));
    for (std::size_t i = 1; i < 4; ++i) {
        ASSERT_TRUE(frames[i].HasMember("mid") && frames[i]["mid"].IsString()) << "publish and send carry a mid";
        EXPECT_FALSE(member(frames[i], "mid").empty());
        mids.insert(member(frames[i], "mid"));
    }
    EXPECT_EQ(refs.size(), 4u);
    EXPECT_FALSE(refs.count(refOf(hello[0])));
    EXPECT_EQ(mids.size(), 3u) << "every message has its own mid";
    auto processed = emitted(w, "queue-processed");
    ASSERT_EQ(processed.size(), 1u);
    EXPECT_EQ(member(parse(processed[0]->dataJson), "sent"), "4");
    EXPECT_NE(settled(w, Kind::Resolve, connectId), nullptr);
    for (auto id : {j, p, s, late}) EXPECT_FALSE(settledAtAll(w, id)) << "settled only by its reply";

    // Replies settle each request, in whatever order they come.
    Effects r = receive(reply(refOf(frames[2]), R"({"ok":1})"));
    ASSERT_NE(settled(r, Kind::Resolve, s), nullptr);
    EXPECT_EQ(settled(r, Kind::Resolve, s)->dataJson, R"({"ok":1})");
    r = receive(reply(refOf(frames[0]), joinData("general", "e1", 0)));
    EXPECT_NE(settled(r, Kind::Resolve, j), nullptr);
    EXPECT_EQ(emitted(r, "room-joined").size(), 1u);
    r = receive(reply(refOf(frames[1]), publishData("general", 1, "e1")));
    EXPECT_NE(settled(r, Kind::Resolve, p), nullptr);
    r = receive(errorReply(refOf(frames[3]), "forbidden"));
    ASSERT_NE(settled(r, Kind::Reject, late), nullptr);
    EXPECT_EQ(settled(r, Kind::Reject, late)->text, "forbidden");
    // Answered: nothing left to send again.
    EXPECT_EQ(core().queueSnapshot(), "");
}

TEST_F(ClientCoreTest, WhileConnectedMessagesGoOutAtOnceWithDistinctRefsAndMids) {
    connectAndWelcome();
    joinAnswered("general", "e1", 0);
    std::uint64_t a = 0, b = 0;
    Effects ea = publish("general", R"({"x":1})", &a, true, "doc-change");
    Effects eb = sendEvent("heartbeat", R"({"agentId":"x"})", &b);
    EXPECT_TRUE(emitted(ea, "message-queued").empty());
    auto fa = sent(ea, "publish");
    auto fb = sent(eb, "send");
    ASSERT_EQ(fa.size(), 1u);
    ASSERT_EQ(fb.size(), 1u);
    EXPECT_EQ(member(fa[0], "echo"), "true");
    EXPECT_EQ(member(fa[0], "event"), "doc-change");
    EXPECT_NE(refOf(fa[0]), refOf(fb[0]));
    EXPECT_NE(member(fa[0], "mid"), member(fb[0], "mid"));
    EXPECT_NE(member(fa[0], "mid"), "<absent>");
    EXPECT_NE(member(fb[0], "mid"), "<absent>");
    Effects r = receive(reply(refOf(fb[0]), "{}"));
    EXPECT_NE(settled(r, Kind::Resolve, b), nullptr);
    EXPECT_FALSE(settledAtAll(r, a));
}

TEST_F(ClientCoreTest, UnansweredPublishIsResentOnceWithTheSameMidBeforeNewerMessages) {
    connectAndWelcome("{}", "c-1", "t1");
    joinAnswered("general", "e1", 0);
    std::uint64_t a = 0, b = 0, c = 0;
    auto fa = sent(publish("general", R"({"n":"A"})", &a), "publish");
    ASSERT_EQ(fa.size(), 1u);
    std::string midA = member(fa[0], "mid");
    auto fb = sent(publish("general", R"({"n":"B"})", &b), "publish");
    ASSERT_EQ(fb.size(), 1u);
    Effects rb = receive(reply(refOf(fb[0]), publishData("general", 1, "e1")));
    ASSERT_NE(settled(rb, Kind::Resolve, b), nullptr);

    Effects down = closed(1006);
    EXPECT_FALSE(settledAtAll(down, a)) << "an unanswered publish waits for the reconnect";
    Effects qc = publish("general", R"({"n":"C"})", &c);
    EXPECT_EQ(count(qc, Kind::Send), 0u);
    EXPECT_EQ(emitted(qc, "message-queued").size(), 1u);

    Effects w = reconnectAndWelcome(R"({"general":{"recovered":true,"epoch":"e1","offset":1,"missed":[]}})");
    EXPECT_EQ(member(lastHello["resume"], "token"), "t1") << "so the server recognises the retried mid";
    auto frames = sent(w, "publish");
    ASSERT_EQ(frames.size(), 2u) << "A again, then C; B was answered";
    EXPECT_EQ(member(frames[0], "mid"), midA);
    EXPECT_EQ(str(frames[0]["data"]), R"({"n":"A"})");
    EXPECT_EQ(str(frames[0]["data"]), str(fa[0]["data"]));
    EXPECT_EQ(str(frames[1]["data"]), R"({"n":"C"})");
    EXPECT_NE(member(frames[1], "mid"), midA);

    Effects ra = receive(reply(refOf(frames[0]), publishData("general", 2, "e1", true)));
    EXPECT_NE(settled(ra, Kind::Resolve, a), nullptr);
    Effects rc = receive(reply(refOf(frames[1]), publishData("general", 3, "e1")));
    EXPECT_NE(settled(rc, Kind::Resolve, c), nullptr);

    // Everything answered: the next reconnect sends nothing again.
    closed(1006);
    Effects w2 = reconnectAndWelcome(R"({"general":{"recovered":true,"epoch":"e1","offset":3,"missed":[]}})");
    EXPECT_TRUE(sent(w2, "publish").empty());
    EXPECT_TRUE(emitted(w2, "queue-processed").empty());
}

TEST_F(ClientCoreTest, ResentMessagesKeepTheirOrderAcrossSeveralDrops) {
    connectAndWelcome();
    joinAnswered("general", "e1", 0);
    std::vector<std::string> mids;
    for (int i = 0; i < 4; ++i) mids.push_back(member(sent(publish("general", std::to_string(i)), "publish").at(0), "mid"));
    closed(1006);
    Effects t = tickAt(core().nextWakeAt());
    ASSERT_EQ(count(t, Kind::Open), 1u);
    closed(1006);  // fails before the welcome: nothing was sent on it
    Effects w = reconnectAndWelcome();
    auto frames = sent(w, "publish");
    ASSERT_EQ(frames.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(member(frames[i], "mid"), mids[i]);
        EXPECT_EQ(str(frames[i]["data"]), std::to_string(i));
    }
}

TEST_F(ClientCoreTest, FullQueueDropsTheOldestUnsentMessageAndRejectsIt) {
    options.queueMaxSize = 2;
    std::uint64_t j = 0, p1 = 0, p2 = 0, p3 = 0;
    join("general", &j);
    Effects e1 = publish("general", "1", &p1);
    publish("general", "2", &p2);
    EXPECT_TRUE(emitted(e1, "message-dropped").empty());
    Effects e3 = publish("general", "3", &p3);
    auto dropped = emitted(e3, "message-dropped");
    ASSERT_EQ(dropped.size(), 1u);
    const Effect* rejected = settled(e3, Kind::Reject, p1);
    ASSERT_NE(rejected, nullptr) << "the oldest message's promise fails";
    EXPECT_EQ(rejected->text, "dropped");
    EXPECT_FALSE(settledAtAll(e3, p2));
    EXPECT_FALSE(settledAtAll(e3, p3));
    EXPECT_FALSE(settledAtAll(e3, j)) << "a join is not a message to drop";

    // The dropped mid is the first publish's: it is not in the snapshot, the others are.
    Document snap = parse(core().queueSnapshot());
    ASSERT_TRUE(snap.IsObject() && snap["messages"].IsArray());
    ASSERT_EQ(snap["messages"].Size(), 2u);
    std::string droppedMid = member(parse(dropped[0]->dataJson), "mid");
    EXPECT_NE(droppedMid, "<absent>");
    for (const auto& item : snap["messages"].GetArray()) EXPECT_NE(member(item, "mid"), droppedMid);
    EXPECT_EQ(member(parse(core().statsJson()), "dropped"), "1");

    Effects w = connectAndWelcome();
    EXPECT_EQ(sentOps(w), (std::vector<std::string>{"join", "publish", "publish"}));
    auto frames = sent(w, "publish");
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(str(frames[0]["data"]), "2");
    EXPECT_EQ(str(frames[1]["data"]), "3");
}

TEST_F(ClientCoreTest, FullQueueGivesUpTheLowestPriorityFirstAndDeliversInCallOrder) {
    using brolostack::client::Priority;
    options.queueMaxSize = 3;
    auto queue = [&](const char* data, Priority priority) {
        Effects e;
        core().publish("general", "chat", data, false, now, e, priority);
        return e;
    };
    queue(R"("critical-1")", Priority::Critical);
    queue(R"("low-1")", Priority::Low);
    queue(R"("high-1")", Priority::High);
    Effects full = queue(R"("low-2")", Priority::Low);
    ASSERT_EQ(emitted(full, "message-dropped").size(), 1u);
    Effects again = queue(R"("medium-1")", Priority::Medium);
    ASSERT_EQ(emitted(again, "message-dropped").size(), 1u) << "the second low one goes next";
    Effects last = queue(R"("low-3")", Priority::Low);
    ASSERT_EQ(emitted(last, "message-dropped").size(), 1u) << "a new low one is the lowest: it goes itself";

    Document snap = parse(core().queueSnapshot());
    ASSERT_EQ(snap["messages"].Size(), 3u);
    EXPECT_EQ(member(snap["messages"][0], "priority"), "3") << "priorities persist";
    Effects w = connectAndWelcome();
    std::vector<std::string> order;
    for (const auto& f : sent(w, "publish")) order.push_back(str(f["data"]));
    EXPECT_EQ(order, (std::vector<std::string>{R"("critical-1")", R"("high-1")", R"("medium-1")"}));

    // A restored snapshot keeps them: its low message is the first to go.
    rebuild();
    options.queueMaxSize = 1;
    Effects r;
    ASSERT_TRUE(core().restoreQueue(R"({"messages":[)"
                                    R"({"op":"send","fields":"\"event\":\"a\",\"data\":1","mid":"m-a","priority":0},)"
                                    R"({"op":"send","fields":"\"event\":\"b\",\"data\":2","mid":"m-b","priority":2}]})",
                                    now, r));
    ASSERT_EQ(emitted(r, "message-dropped").size(), 1u);
    EXPECT_EQ(member(parse(emitted(r, "message-dropped")[0]->dataJson), "mid"), "m-a");
}

/// A snapshot of a client that joined `general` (at e1/4 when `known`) and
/// queued two publishes to it and one send, as a previous page leaves it.
std::string previousPageSnapshot(const ClientOptions& options, bool known) {
    std::uint64_t seed = 99;
    ClientCore first(options, [&seed] {
        seed = seed * 6364136223846793005ULL + 1;
        return static_cast<double>(seed >> 11) / 9007199254740992.0;
    });
    Effects e;
    first.joinRoom("general", "General", R"({"name":"Ada"})", 1, e);
    if (known) {
        first.connect(1, e);
        first.opened(1, e);
        Effects w;
        first.received(reply(1, welcomeData("c-old", "t-old", "{}")), 1, w);
        first.received(reply(2, joinData("general", "e1", 4)), 1, e);
        first.closed(1006, "", 1, e);
    }
    first.publish("general", "chat", R"({"n":1})", false, 2, e);
    first.send("start-task", R"({"taskId":"t1"})", 3, e);
    first.publish("general", "doc-change", R"({"n":2})", true, 4, e);
    return first.queueSnapshot();
}

TEST_F(ClientCoreTest, SnapshotRestoresIntoANewClientRoomsFirstThenTheSameMidsInOrder) {
    std::string snapshot = previousPageSnapshot(options, false);
    Document snap = parse(snapshot);
    ASSERT_TRUE(snap.IsObject());
    ASSERT_EQ(snap["messages"].Size(), 3u);
    EXPECT_EQ(member(snap["rooms"]["general"], "name"), "General");
    EXPECT_EQ(member(snap["rooms"]["general"], "epoch"), "<absent>") << "never answered: no position to resume";

    Effects r;
    ASSERT_TRUE(core().restoreQueue(snapshot, now, r));
    EXPECT_EQ(count(r, Kind::Send), 0u) << "not connected: restored messages wait";
    ASSERT_EQ(emitted(r, "queue-restored").size(), 1u);
    EXPECT_EQ(emitted(r, "queue-restored")[0]->dataJson, R"({"messages":3,"rooms":1})");
    EXPECT_EQ(core().queueSnapshot(), snapshot) << "the snapshot round-trips";
    EXPECT_EQ(core().rooms(), std::vector<std::string>{"general"});

    Effects w = connectAndWelcome();
    EXPECT_EQ(sentOps(w), (std::vector<std::string>{"join", "publish", "send", "publish"}))
        << "the room is joined before anything is published to it";
    auto frames = sent(w);
    EXPECT_EQ(member(frames[0], "room"), "general");
    EXPECT_EQ(member(frames[0], "name"), "General");
    EXPECT_EQ(str(frames[0]["info"]), R"({"name":"Ada"})");
    EXPECT_EQ(member(frames[0], "since"), "<absent>");
    for (std::size_t i = 1; i < 4; ++i) {
        EXPECT_EQ(member(frames[i], "mid"), member(snap["messages"][static_cast<rapidjson::SizeType>(i - 1)], "mid"));
        EXPECT_GT(refOf(frames[i]), 0u);
    }
    EXPECT_EQ(str(frames[1]["data"]), R"({"n":1})");
    EXPECT_EQ(member(frames[2], "event"), "start-task");
    EXPECT_EQ(member(frames[3], "event"), "doc-change");
    EXPECT_EQ(member(frames[3], "echo"), "true");
    // Answered, they leave the outbox; with nothing owed the snapshot is empty.
    for (const auto& f : frames) receive(reply(refOf(f), member(f, "op") == "join" ? joinData("general", "e1", 0) : "{}"));
    EXPECT_EQ(core().queueSnapshot(), "");
}

// What acts for this connection (its agents, its session membership, its
// streams) is never handed to another page: adopted, a queued
// register-agent would register an agent that nobody runs and the
// scheduler would give it work. Messages, tasks and custom events are.
TEST_F(ClientCoreTest, ConnectionScopedSendsStayOutOfTheSnapshotAndAreSkippedOnRestore) {
    Effects e;
    core().joinRoom("general", "", "{}", now, e);
    core().send("register-agent", R"({"id":"a","type":"w","capabilities":[]})", now, e);
    core().send("join-session", R"("s1")", now, e);
    core().send("task-progress", R"({"taskId":"t","agentId":"a","progress":5})", now, e);
    core().publish("general", "task-progress", R"({"n":1})", false, now, e);  // a room event of that name is data
    core().send("start-task", R"({"id":"t2"})", now, e);
    core().send("custom-event", R"({"x":1})", now, e);
    Document snap = parse(core().queueSnapshot());
    ASSERT_TRUE(snap.IsObject());
    std::vector<std::string> kept;
    for (const auto& m : snap["messages"].GetArray()) kept.push_back(member(m["frame"], "op") + ":" + member(m["frame"], "event"));
    EXPECT_EQ(kept, (std::vector<std::string>{"publish:task-progress", "send:start-task", "send:custom-event"}));

    // A snapshot of an earlier version (frames kept as `op` and `fields`,
    // and a register-agent before the rule) restores, without it.
    std::string old = R"({"rooms":{},"messages":[)"
                      R"({"op":"send","fields":"\"event\":\"register-agent\",\"data\":{\"id\":\"a\"},\"mid\":\"m-1\"","mid":"m-1"},)"
                      R"({"op":"send","fields":"\"event\":\"start-task\",\"data\":{},\"mid\":\"m-2\"","mid":"m-2"}]})";
    rebuild();
    Effects r;
    ASSERT_TRUE(core().restoreQueue(old, now, r));
    EXPECT_EQ(emitted(r, "queue-restored")[0]->dataJson, R"({"messages":1,"rooms":0})");
    Effects w = connectAndWelcome();
    auto sends = sent(w, "send");
    ASSERT_EQ(sends.size(), 1u);
    EXPECT_EQ(member(sends[0], "event"), "start-task");
}

TEST_F(ClientCoreTest, RestoredRoomIsRejoinedFromItsLastPositionAndMissedMessagesArriveOnce) {
    std::string snapshot = previousPageSnapshot(options, true);
    Document snap = parse(snapshot);
    EXPECT_EQ(member(snap["rooms"]["general"], "epoch"), "e1");
    EXPECT_EQ(member(snap["rooms"]["general"], "offset"), "4");
    Effects r;
    ASSERT_TRUE(core().restoreQueue(snapshot, now, r));
    Effects w = connectAndWelcome();
    auto joins = sent(w, "join");
    ASSERT_EQ(joins.size(), 1u);
    EXPECT_EQ(str(joins[0]["since"]), R"({"epoch":"e1","offset":4})");
    // Messages 5 and 6 came while the page was away; 4 is one it had seen.
    std::string data = R"({"room":"general","epoch":"e1","offset":6,"members":[],"memberCount":1,"recovered":true,"missed":[)" +
                       messageFrame("general", 4, "e1") + "," + messageFrame("general", 5, "e1") + "," +
                       messageFrame("general", 6, "e1") + "]}";
    Effects j = receive(reply(refOf(joins[0]), data));
    EXPECT_EQ(deliveredOffsets(j), (std::vector<std::string>{"5", "6"}));
    EXPECT_TRUE(emitted(j, "recovery-failed").empty());
    EXPECT_EQ(emitted(j, "room-joined").size(), 1u);
    // Live delivery continues after the recovered position, without repeats.
    EXPECT_TRUE(deliveredOffsets(receive(messageFrame("general", 6, "e1"))).empty());
    EXPECT_EQ(deliveredOffsets(receive(messageFrame("general", 7, "e1"))), std::vector<std::string>{"7"});
}

TEST_F(ClientCoreTest, RestoredRoomWhosePositionIsGoneReportsRecoveryFailed) {
    Effects r;
    ASSERT_TRUE(core().restoreQueue(previousPageSnapshot(options, true), now, r));
    Effects w = connectAndWelcome();
    auto joins = sent(w, "join");
    ASSERT_EQ(joins.size(), 1u);
    Effects j = receive(reply(refOf(joins[0]), joinData("general", "e2", 3)));  // a new epoch: history lost
    ASSERT_EQ(emitted(j, "recovery-failed").size(), 1u);
    EXPECT_EQ(emitted(j, "recovery-failed")[0]->dataJson, R"({"room":"general"})");
}

TEST_F(ClientCoreTest, RestoreTakesEachMidOnceAndLeavesJoinedRoomsAlone) {
    std::uint64_t ownJoin = 0;
    join("general", &ownJoin, "Mine");
    std::string snapshot = previousPageSnapshot(options, true);
    Effects first, second;
    ASSERT_TRUE(core().restoreQueue(snapshot, now, first));
    EXPECT_EQ(emitted(first, "queue-restored")[0]->dataJson, R"({"messages":3,"rooms":0})");
    ASSERT_TRUE(core().restoreQueue(snapshot, now, second));
    EXPECT_TRUE(emitted(second, "queue-restored").empty()) << "nothing new in it";
    Effects w = connectAndWelcome();
    EXPECT_EQ(sentOps(w), (std::vector<std::string>{"join", "publish", "send", "publish"}));
    EXPECT_EQ(member(sent(w, "join")[0], "name"), "Mine") << "the application's own join is kept";
}

TEST_F(ClientCoreTest, RestoreRespectsTheQueueLimitAndAnnouncesWhatItDrops) {
    options.queueMaxSize = 3;
    publish("general", R"({"own":1})");
    publish("general", R"({"own":2})");
    Effects r;
    ASSERT_TRUE(core().restoreQueue(previousPageSnapshot(options, false), now, r));
    auto dropped = emitted(r, "message-dropped");
    ASSERT_EQ(dropped.size(), 2u) << "five messages, room for three";
    EXPECT_EQ(member(parse(dropped[0]->dataJson), "reason"), "queue-full");
    EXPECT_EQ(member(parse(core().statsJson()), "dropped"), "2");
    Document snap = parse(core().queueSnapshot());
    ASSERT_EQ(snap["messages"].Size(), 3u);
    EXPECT_EQ(member(snap["messages"][0], "fields").find("own"), std::string::npos) << "the oldest went first";
}

TEST_F(ClientCoreTest, RestoreWhileConnectedSendsAtOnce) {
    connectAndWelcome();
    std::string snapshot = R"({"rooms":{},"messages":[{"op":"send","fields":"\"event\":\"chat\",\"data\":1,)"
                           R"(\"mid\":\"m-keep\"","mid":"m-keep","queuedAt":5}]})";
    Effects r;
    ASSERT_TRUE(core().restoreQueue(snapshot, now, r));
    auto frames = sent(r, "send");
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(member(frames[0], "mid"), "m-keep");
}

TEST_F(ClientCoreTest, CorruptedSnapshotIsRefusedAndChangesNothing) {
    publish("general", R"({"mine":true})");
    std::string before = core().queueSnapshot();
    const std::string good =
        R"({"op":"publish","fields":"\"room\":\"a\",\"event\":\"e\",\"data\":1,\"mid\":\"m-1\",\"echo\":false","mid":"m-1","queuedAt":1})";
    auto wrap = [](const std::string& messages, const std::string& rooms = "{}") {
        return R"({"rooms":)" + rooms + R"(,"messages":[)" + messages + "]}";
    };
    const std::vector<std::string> corrupt = {
        "",
        "not json",
        "{}",
        "[]",
        R"({"messages":{}})",
        R"({"messages":[],"rooms":[]})",
        wrap("1"),
        wrap(R"({"op":"publish","mid":"m-1"})"),
        wrap(R"({"op":"publish","fields":"\"room\":\"a\""})"),
        wrap(R"({"op":"join","fields":"\"room\":\"a\"","mid":"m-1"})"),
        wrap(R"({"op":"publish","fields":7,"mid":"m-1"})"),
        wrap(R"({"op":"publish","fields":"\"event\":\"e\",\"data\":1","mid":"m-1"})"),
        wrap(good + R"(,{"op":"publish","fields":"\"room\":\"a\"}{","mid":"m-2"})"),
        wrap(good + R"(,{"op":"send","fields":"\"event\":\"e\"},{\"x\":1","mid":"m-3"})"),
        wrap(good + R"(,{"op":"send","fields":"\"event\":","mid":"m-4"})"),
        wrap(good + R"(,{"op":"send","fields":"\"event\":\"e\"","mid":"m-5","queuedAt":"soon"})"),
        wrap(good + R"(,{"op":"send","fields":"\"event\":\"e\"","mid":"m-6","priority":7})"),
        wrap(good, R"({"a":1})"),
        wrap(good, R"({"bad room!":{}})"),
        wrap(good, R"({"a":{"info":[1]}})"),
        wrap(good, R"({"a":{"offset":-1,"epoch":"e"}})"),
        wrap(good).substr(0, good.size() / 2),
    };
    for (const auto& text : corrupt) {
        SCOPED_TRACE(text);
        Effects e;
        EXPECT_FALSE(core().restoreQueue(text, now, e));
        EXPECT_TRUE(e.empty());
        EXPECT_EQ(core().queueSnapshot(), before);
        EXPECT_TRUE(core().rooms().empty());
    }
    // The good item alone is accepted, which shows the refusals were about the bad parts.
    Effects e;
    EXPECT_TRUE(core().restoreQueue(wrap(good, R"({"a":{"name":"A","info":{},"epoch":"e","offset":2}})"), now, e));
    Effects w = connectAndWelcome();
    EXPECT_EQ(sentOps(w), (std::vector<std::string>{"publish", "join", "publish"})) << "its room before its message";
    auto frames = sent(w, "publish");
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(str(frames[0]["data"]), R"({"mine":true})");
    EXPECT_EQ(member(frames[1], "mid"), "m-1");
}

// ===========================================================================
// Inbound frames

TEST_F(ClientCoreTest, MessageFrameEmitsMessageThenItsEventName) {
    connectAndWelcome();
    joinAnswered("general", "e1", 0);
    std::string frame = messageFrame("general", 1, "e1", "document-change", R"({"ops":[1,2]})", "m-x");
    Effects r = receive(frame);
    EXPECT_EQ(eventNames(r), (std::vector<std::string>{"message", "document-change"}));
    auto m = emitted(r, "message");
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(str(parse(m[0]->dataJson)), str(parse(frame)));
    auto ev = emitted(r, "document-change");
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(str(parse(ev[0]->dataJson)), R"({"ops":[1,2]})") << "data first";
    EXPECT_EQ(str(parse(ev[0]->extraJson)), str(parse(frame))) << "the whole frame second";
}

TEST_F(ClientCoreTest, MessagesAtOrBelowTheLastOffsetOfTheEpochAreDropped) {
    connectAndWelcome();
    joinAnswered("general", "e1", 5);
    EXPECT_TRUE(emitted(receive(messageFrame("general", 5, "e1")), "message").empty()) << "5 was before the join";
    EXPECT_TRUE(emitted(receive(messageFrame("general", 3, "e1")), "message").empty());
    EXPECT_EQ(deliveredOffsets(receive(messageFrame("general", 6, "e1"))), std::vector<std::string>{"6"});
    EXPECT_TRUE(emitted(receive(messageFrame("general", 6, "e1")), "message").empty());
    EXPECT_TRUE(emitted(receive(messageFrame("general", 6, "e1")), "chat").empty());
    EXPECT_EQ(deliveredOffsets(receive(messageFrame("general", 7, "e1"))), std::vector<std::string>{"7"});
    // Rooms are independent.
    joinAnswered("other", "e2", 0);
    EXPECT_EQ(deliveredOffsets(receive(messageFrame("other", 1, "e2"))), std::vector<std::string>{"1"});
}

TEST_F(ClientCoreTest, PublishReplyAdvancesTheOffsetSoAReplayIsNotDelivered) {
    connectAndWelcome();
    joinAnswered("general", "e1", 5);
    auto f = sent(publish("general", R"({"mine":1})"), "publish");
    ASSERT_EQ(f.size(), 1u);
    receive(reply(refOf(f[0]), publishData("general", 6, "e1")));
    // Someone else's next message.
    EXPECT_EQ(deliveredOffsets(receive(messageFrame("general", 7, "e1"))), std::vector<std::string>{"7"});
    closed(1006);
    std::string missed = "[" + messageFrame("general", 6, "e1", "chat", R"({"mine":1})") + "," +
                         messageFrame("general", 7, "e1") + "," + messageFrame("general", 8, "e1") + "]";
    Effects w =
        reconnectAndWelcome(R"({"general":{"recovered":true,"epoch":"e1","offset":8,"missed":)" + missed + "}}");
    EXPECT_EQ(str(lastHello["resume"]["rooms"]), R"({"general":{"epoch":"e1","offset":7}})");
    EXPECT_EQ(deliveredOffsets(w), std::vector<std::string>{"8"}) << "our own 6 and the seen 7 are not repeated";
}

TEST_F(ClientCoreTest, PublishReplyOffsetIsResumedFrom) {
    connectAndWelcome();
    joinAnswered("general", "e1", 5);
    auto f = sent(publish("general", "1"), "publish");
    ASSERT_EQ(f.size(), 1u);
    receive(reply(refOf(f[0]), publishData("general", 6, "e1")));
    closed(1006);
    reconnectAndWelcome();
    EXPECT_EQ(str(lastHello["resume"]["rooms"]), R"({"general":{"epoch":"e1","offset":6}})");
}

TEST_F(ClientCoreTest, PresenceBecomesUserJoinedAndUserLeft) {
    connectAndWelcome();
    joinAnswered("general", "e1", 0);
    std::string joinFrame =
        R"({"op":"presence","room":"general","action":"join","member":{"sid":"c-9","user":"u9","info":{"name":"Bo"}},"memberCount":2})";
    Effects j = receive(joinFrame);
    auto joined = emitted(j, "user-joined");
    ASSERT_EQ(joined.size(), 1u);
    EXPECT_EQ(str(parse(joined[0]->dataJson)), R"({"sid":"c-9","user":"u9","info":{"name":"Bo"}})");
    EXPECT_EQ(str(parse(joined[0]->extraJson)), str(parse(joinFrame)));
    EXPECT_TRUE(emitted(j, "user-left").empty());

    Effects l = receive(R"({"op":"presence","room":"general","action":"leave","member":{"sid":"c-9","user":"u9","info":{}},"memberCount":1})");
    auto left = emitted(l, "user-left");
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(member(parse(left[0]->dataJson), "sid"), "c-9");
    EXPECT_TRUE(emitted(l, "user-joined").empty());
}

TEST_F(ClientCoreTest, ArgsFramesEmitKebabCaseTypesWithPayloadThenMessage) {
    connectAndWelcome();
    std::string frame = argsFrame("TASK_PROGRESS", R"({"taskId":"t1","progress":50})");
    Effects r = receive(frame);
    auto ev = emitted(r, "task-progress");
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(str(parse(ev[0]->dataJson)), R"({"taskId":"t1","progress":50})");
    EXPECT_EQ(str(parse(ev[0]->extraJson)), str(parse(frame)["msg"]));
    EXPECT_EQ(emitted(receive(argsFrame("AGENT_REGISTER", "{}")), "agent-register").size(), 1u);
    EXPECT_EQ(emitted(receive(argsFrame("COLLABORATION_REQUEST", "{}")), "collaboration-request").size(), 1u);
    EXPECT_EQ(emitted(receive(argsFrame("STREAM_DATA", "{}")), "stream-data").size(), 1u);
    // Direct messages (no room) carry no offset and are never deduped.
    EXPECT_EQ(emitted(receive(argsFrame("TASK_PROGRESS", "{}")), "task-progress").size(), 1u);
}

TEST_F(ClientCoreTest, ArgsFramesAreDedupedBySessionRoomOffset) {
    connectAndWelcome();
    joinAnswered("$session:s1", "es", 3);
    EXPECT_TRUE(emitted(receive(argsFrame("TASK_PROGRESS", "{}", "$session:s1", 3, "es")), "task-progress").empty());
    EXPECT_EQ(emitted(receive(argsFrame("TASK_PROGRESS", "{}", "$session:s1", 4, "es")), "task-progress").size(), 1u);
    EXPECT_TRUE(emitted(receive(argsFrame("TASK_PROGRESS", "{}", "$session:s1", 4, "es")), "task-progress").empty());
    // Resumed from the last args offset, and replays in the welcome come once.
    closed(1006);
    std::string missed = "[" + argsFrame("TASK_START", "{}", "$session:s1", 4, "es") + "," +
                         argsFrame("TASK_COMPLETE", R"({"taskId":"t1"})", "$session:s1", 5, "es") + "]";
    Effects w =
        reconnectAndWelcome(R"({"$session:s1":{"recovered":true,"epoch":"es","offset":5,"missed":)" + missed + "}}");
    EXPECT_EQ(str(lastHello["resume"]["rooms"]), R"({"$session:s1":{"epoch":"es","offset":4}})");
    EXPECT_TRUE(emitted(w, "task-start").empty());
    EXPECT_EQ(emitted(w, "task-complete").size(), 1u);
}

// PROTOCOL.md section 6: the ARGS way into a session is send("join-session");
// docs/protocol.md: session announcements are kept in the session room's
// history "so join with since and hello.resume recover them like any room's
// messages". A client that joined that way must resume the session room.
TEST_F(ClientCoreTest, SessionJoinedWithJoinSessionIsResumedAndDeduped) {
    connectAndWelcome();
    std::uint64_t id = 0;
    auto f = sent(sendEvent("join-session", R"("s1")", &id), "send");
    ASSERT_EQ(f.size(), 1u);
    Effects r = receive(reply(refOf(f[0]), joinData("$session:s1", "es", 2)));
    EXPECT_NE(settled(r, Kind::Resolve, id), nullptr);
    EXPECT_EQ(emitted(receive(argsFrame("TASK_PROGRESS", "{}", "$session:s1", 3, "es")), "task-progress").size(), 1u);
    closed(1006);
    std::string missed = "[" + argsFrame("TASK_PROGRESS", "{}", "$session:s1", 3, "es") + "," +
                         argsFrame("TASK_COMPLETE", "{}", "$session:s1", 4, "es") + "]";
    Effects w =
        reconnectAndWelcome(R"({"$session:s1":{"recovered":true,"epoch":"es","offset":4,"missed":)" + missed + "}}");
    ASSERT_TRUE(lastHello.HasMember("resume"));
    EXPECT_TRUE(lastHello["resume"].HasMember("rooms") && lastHello["resume"]["rooms"].HasMember("$session:s1"))
        << "the session room is not resumed: " << str(lastHello);
    EXPECT_TRUE(emitted(w, "task-progress").empty()) << "offset 3 was delivered before the drop";
}

TEST_F(ClientCoreTest, PongUpdatesLatencyWithARollingAverageOfTheLast100) {
    connectAndWelcome();
    std::int64_t sentAt = now;
    now += 40;
    Effects p = receive(R"({"op":"pong","ts":)" + std::to_string(sentAt) + R"(,"serverTs":1})");
    auto lat = emitted(p, "latency-updated");
    ASSERT_EQ(lat.size(), 1u);
    Document d = parse(lat[0]->dataJson);
    EXPECT_DOUBLE_EQ(d["latency"].GetDouble(), 40.0);
    EXPECT_DOUBLE_EQ(d["average"].GetDouble(), 40.0);

    now += 1000;
    d = parse(emitted(receive(R"({"op":"pong","ts":)" + std::to_string(now - 60) + R"(,"serverTs":1})"), "latency-updated").at(0)->dataJson);
    EXPECT_DOUBLE_EQ(d["latency"].GetDouble(), 60.0);
    EXPECT_DOUBLE_EQ(d["average"].GetDouble(), 50.0);
    EXPECT_DOUBLE_EQ(parse(core().statsJson())["averageLatency"].GetDouble(), 50.0);

    // 100 samples of 10 push the first two out; one of 110 pushes one 10 out.
    for (int i = 0; i < 100; ++i) receive(R"({"op":"pong","ts":)" + std::to_string(now - 10) + R"(,"serverTs":1})");
    EXPECT_DOUBLE_EQ(parse(core().statsJson())["averageLatency"].GetDouble(), 10.0);
    d = parse(emitted(receive(R"({"op":"pong","ts":)" + std::to_string(now - 110) + R"(,"serverTs":1})"), "latency-updated").at(0)->dataJson);
    EXPECT_DOUBLE_EQ(d["latency"].GetDouble(), 110.0);
    EXPECT_DOUBLE_EQ(d["average"].GetDouble(), 11.0);
    EXPECT_DOUBLE_EQ(parse(core().statsJson())["averageLatency"].GetDouble(), 11.0);
}

TEST_F(ClientCoreTest, PingsGoOutEveryHeartbeatIntervalWhileConnected) {
    options.heartbeatIntervalMs = 30'000;
    EXPECT_EQ(core().nextWakeAt(), 0);
    connectAndWelcome();
    std::int64_t start = now;
    std::int64_t first = core().nextWakeAt();
    ASSERT_GE(first, start);
    ASSERT_LE(first, start + 30'000);
    if (first > start) {
        EXPECT_TRUE(sent(tickAt(first - 1), "ping").empty());
    }
    auto pings = sent(tickAt(first), "ping");
    ASSERT_EQ(pings.size(), 1u);
    EXPECT_EQ(member(pings[0], "ts"), std::to_string(first));
    for (int i = 1; i <= 3; ++i) {
        EXPECT_EQ(core().nextWakeAt(), first + i * 30'000);
        EXPECT_TRUE(sent(tickAt(first + i * 30'000 - 1), "ping").empty());
        EXPECT_TRUE(sent(tickAt(first + i * 30'000 - 1), "ping").empty());
        auto p = sent(tickAt(first + i * 30'000), "ping");
        ASSERT_EQ(p.size(), 1u);
        EXPECT_EQ(member(p[0], "ts"), std::to_string(now));
        EXPECT_TRUE(sent(tick(), "ping").empty()) << "once per interval";
    }
    // The pong of a ping measures the round trip.
    std::int64_t ts = now;
    now += 25;
    Effects pong = receive(R"({"op":"pong","ts":)" + std::to_string(ts) + R"(,"serverTs":1})");
    auto lat = emitted(pong, "latency-updated");
    ASSERT_EQ(lat.size(), 1u);
    EXPECT_DOUBLE_EQ(parse(lat[0]->dataJson)["latency"].GetDouble(), 25.0);

    // Not while the connection is down.
    fixedRandom = 0.5;
    closed(1006);
    EXPECT_EQ(core().nextWakeAt(), now + 500) << "the reconnect, not a ping";
    EXPECT_TRUE(sent(tickAt(now + 400), "ping").empty());
}

TEST_F(ClientCoreTest, NoPingsWhenTheHeartbeatIsOff) {
    options.heartbeatIntervalMs = 0;
    connectAndWelcome();
    EXPECT_EQ(core().nextWakeAt(), 0);
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(sent(tickAt(now + 60'000), "ping").empty());
}

TEST_F(ClientCoreTest, GarbageFromTheServerIsAnErrorEventNotACrash) {
    connectAndWelcome();
    for (std::string text : {"", "not json", "[1,2]", R"({"op":5})", R"({"no":"op"})"}) {
        Effects e = receive(text);
        EXPECT_EQ(emitted(e, "error").size(), 1u) << text;
        EXPECT_EQ(core().state(), State::Connected);
    }
    // Frames of known ops with wrong field types are refused by the
    // protocol's decoder: an error event, nothing else.
    for (std::string text : {R"({"op":"reply","ref":"x","ok":true})", R"({"op":"args","msg":5})",
                             R"({"op":"pong","ts":"soon"})", R"({"op":"message","room":5,"offset":"x"})"}) {
        Effects e = receive(text);
        ASSERT_EQ(emitted(e, "error").size(), 1u) << text;
        EXPECT_EQ(member(parse(emitted(e, "error")[0]->dataJson), "code"), "bad_frame");
        EXPECT_EQ(eventNames(e), std::vector<std::string>{"error"}) << text;
        EXPECT_EQ(core().state(), State::Connected);
    }
    // An op this version does not know is a newer server's: ignored.
    EXPECT_TRUE(receive(R"({"op":"shiny","x":1})").empty());
}

TEST_F(ClientCoreTest, EffectsOfALiveMessageReferToTheFrameInsteadOfCopyingIt) {
    connectAndWelcome();
    joinAnswered("general", "e1", 0);
    Effects e;
    std::string frame = messageFrame("general", 1, "e1", "chat", R"({"text":"hi"})");
    core().received(frame, now, e);
    auto message = emitted(e, "message");
    auto chat = emitted(e, "chat");
    ASSERT_EQ(message.size(), 1u);
    ASSERT_EQ(chat.size(), 1u);
    EXPECT_EQ(message[0]->data, Effect::Arg::Frame);
    EXPECT_EQ(chat[0]->data, Effect::Arg::FrameData);
    EXPECT_EQ(chat[0]->extra, Effect::Arg::Frame);
    EXPECT_TRUE(message[0]->dataJson.empty() && chat[0]->dataJson.empty() && chat[0]->extraJson.empty());
    brolostack::client::resolveFrameArgs(e, frame);
    EXPECT_EQ(chat[0]->dataJson, R"({"text":"hi"})");
    EXPECT_EQ(message[0]->dataJson, frame);
}

// ===========================================================================
// disconnect()

TEST_F(ClientCoreTest, DisconnectClosesWith1000RejectsPendingAndNeverReconnects) {
    connectAndWelcome();
    joinAnswered("general", "e1", 0);
    std::uint64_t p = 0, j = 0;
    publish("general", "1", &p);
    join("other", &j);
    Effects d = disconnect();
    ASSERT_EQ(count(d, Kind::Close), 1u);
    auto close = std::find_if(d.begin(), d.end(), [](const Effect& e) { return e.kind == Kind::Close; });
    EXPECT_EQ(close->code, 1000);
    EXPECT_EQ(core().state(), State::Closed);
    EXPECT_EQ(states(d), std::vector<std::string>{"closed"});
    EXPECT_NE(settled(d, Kind::Reject, p), nullptr);
    EXPECT_NE(settled(d, Kind::Reject, j), nullptr);
    // The socket then reports its close: still no reconnect.
    Effects c = closed(1000, "client disconnect");
    EXPECT_EQ(core().state(), State::Closed);
    EXPECT_EQ(count(c, Kind::Open), 0u);
    EXPECT_EQ(core().nextWakeAt(), 0);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(count(tickAt(now + 30'000), Kind::Open), 0u);
    // Nothing of the rejected requests is sent on a later connection.
    Effects w = connectAndWelcome();
    EXPECT_TRUE(sent(w, "publish").empty());
    EXPECT_TRUE(sent(w, "join").empty());
}

TEST_F(ClientCoreTest, DisconnectWhileReconnectingCancelsTheReconnect) {
    fixedRandom = 0.5;
    connectAndWelcome();
    closed(1006);
    std::int64_t wake = core().nextWakeAt();
    Effects d = disconnect();
    EXPECT_EQ(count(d, Kind::Close), 0u) << "there is no socket to close";
    EXPECT_EQ(core().state(), State::Closed);
    EXPECT_EQ(count(tickAt(wake), Kind::Open), 0u);
    EXPECT_EQ(count(tickAt(wake + 60'000), Kind::Open), 0u);
}

TEST_F(ClientCoreTest, DisconnectWhileConnectingRejectsConnect) {
    connect();
    Effects d = disconnect();
    EXPECT_EQ(count(d, Kind::Close), 1u);
    EXPECT_NE(settled(d, Kind::Reject, connectId), nullptr);
    EXPECT_EQ(core().state(), State::Closed);
}

// DESIGN.md lists `disconnected` among the client's events; the reference
// clients (centrifuge-js, socket.io-client) announce a disconnect() too.
TEST_F(ClientCoreTest, DisconnectAnnouncesDisconnected) {
    connectAndWelcome();
    Effects d = disconnect();
    Effects c = closed(1000, "client disconnect");
    EXPECT_EQ(emitted(d, "disconnected").size() + emitted(c, "disconnected").size(), 1u);
}

// ===========================================================================
// Options the core must honour

// STYLE.md practice 10: pending requests live "in a map with timeouts";
// ClientOptions::requestTimeoutMs.
TEST_F(ClientCoreTest, UnansweredRequestsTimeOut) {
    options.requestTimeoutMs = 10'000;
    options.heartbeatIntervalMs = 0;
    connectAndWelcome();
    std::uint64_t j = 0;
    Effects e = join("general", &j);
    ASSERT_EQ(sent(e, "join").size(), 1u);
    std::int64_t sentAt = now;
    EXPECT_NE(core().nextWakeAt(), 0) << "the core must wake up for the deadline";
    EXPECT_LE(core().nextWakeAt(), sentAt + 10'000);
    Effects all;
    for (std::int64_t t = sentAt + 1000; t <= sentAt + 11'000; t += 1000) {
        Effects x = tickAt(t);
        all.insert(all.end(), x.begin(), x.end());
    }
    const Effect* rejected = settled(all, Kind::Reject, j);
    ASSERT_NE(rejected, nullptr) << "no answer in requestTimeoutMs";
    EXPECT_EQ(rejected->text, "timeout");
}

// ClientOptions::queueEnabled: "queue publishes and sends while offline";
// DESIGN.md's profile table turns the queue off in the test profile.
// DESIGN.md: calls before the connection is up are queued, not thrown; the
// queue setting governs offline periods after a connection was made.
TEST_F(ClientCoreTest, WithTheQueueOffOfflineMessagesAreNotQueued) {
    options.queueEnabled = false;
    std::uint64_t early = 0;
    publish("general", "0", &early);
    Effects w = connectAndWelcome();
    EXPECT_EQ(sent(w, "publish").size(), 1u) << "before the first connection, calls are queued";
    Effects c;
    core().closed(1006, "gone", now, c);
    std::uint64_t p = 0;
    Effects e = publish("general", "1", &p);
    EXPECT_TRUE(emitted(e, "message-queued").empty()) << "the queue is off";
    EXPECT_NE(settled(e, Kind::Reject, p), nullptr) << "the caller learns at once that nothing was sent";
}

// ===========================================================================
// Stats

TEST_F(ClientCoreTest, StatsReportTrafficLatencyReconnectsAndRooms) {
    options.environment = "staging";
    Document s0 = parse(core().statsJson());
    EXPECT_EQ(member(s0, "connected"), "false");
    EXPECT_EQ(member(s0, "environment"), "staging");
    EXPECT_EQ(member(s0, "reconnectCount"), "0");
    EXPECT_EQ(str(s0["rooms"]), "[]");

    connectAndWelcome();
    joinAnswered("general", "e1", 0);
    joinAnswered("other", "e2", 0);
    Document s1 = parse(core().statsJson());
    EXPECT_EQ(member(s1, "connected"), "true");
    EXPECT_EQ(str(s1["rooms"]), R"(["general","other"])");
    std::uint64_t sent0 = s1["messagesSent"].GetUint64();
    std::uint64_t recv0 = s1["messagesReceived"].GetUint64();

    publish("general", "1");
    publish("general", "2");
    sendEvent("sync", "{}");
    for (std::uint64_t o = 1; o <= 4; ++o) receive(messageFrame("other", o, "e2"));
    std::int64_t ts = now;
    now += 30;
    receive(R"({"op":"pong","ts":)" + std::to_string(ts) + R"(,"serverTs":1})");
    Document s2 = parse(core().statsJson());
    EXPECT_EQ(s2["messagesSent"].GetUint64(), sent0 + 3);
    EXPECT_EQ(s2["messagesReceived"].GetUint64(), recv0 + 5);
    EXPECT_DOUBLE_EQ(s2["averageLatency"].GetDouble(), 30.0);

    receive(reply(refOf(sent(leave("other"), "leave").at(0)), R"({"room":"other"})"));
    closed(1006);
    EXPECT_EQ(member(parse(core().statsJson()), "connected"), "false");
    reconnectAndWelcome();
    Document s3 = parse(core().statsJson());
    EXPECT_EQ(member(s3, "connected"), "true");
    EXPECT_EQ(member(s3, "reconnectCount"), "1");
    EXPECT_EQ(str(s3["rooms"]), R"(["general"])");
    EXPECT_EQ(member(s3, "environment"), "staging");
}

}  // namespace

namespace {

TEST_F(ClientCoreTest, HistoryIsARequestThatResolvesWithTheReplyAndIsNeverPersisted) {
    connectAndWelcome();
    std::uint64_t id = 0;
    Effects e;
    id = core().history("general", 50, now, e);
    auto frames = sent(e, "history");
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(member(frames[0], "room"), "general");
    EXPECT_EQ(member(frames[0], "limit"), "50");
    EXPECT_EQ(core().queueSnapshot(), "") << "a read is not a message to keep";
    std::string data = R"({"room":"general","epoch":"e1","offset":2,"messages":[],"complete":true})";
    Effects r = receive(reply(refOf(frames[0]), data));
    ASSERT_NE(settled(r, Kind::Resolve, id), nullptr);
    EXPECT_EQ(settled(r, Kind::Resolve, id)->dataJson, data);

    // Unanswered in time, it is rejected and dropped (not sent again).
    Effects late;
    std::uint64_t second = core().history("general", 10, now, late);
    now += 10'000;
    Effects t = tick();
    ASSERT_NE(settled(t, Kind::Reject, second), nullptr);
    closed(1006);
    EXPECT_TRUE(sent(reconnectAndWelcome(), "history").empty());
}

}  // namespace

namespace {

TEST_F(ClientCoreTest, RoomEventsNamedLikeClientEventsArriveOnlyAsMessage) {
    connectAndWelcome();
    joinAnswered("general", "e1", 0);
    Effects chat = receive(messageFrame("general", 1, "e1", "message", R"({"content":"hi"})"));
    EXPECT_EQ(eventNames(chat), std::vector<std::string>{"message"}) << "once, with the frame";
    EXPECT_EQ(member(parse(emitted(chat, "message")[0]->dataJson), "offset"), "1");
    Effects error = receive(messageFrame("general", 2, "e1", "error", R"({"x":1})"));
    EXPECT_EQ(eventNames(error), std::vector<std::string>{"message"});
    Effects named = receive(messageFrame("general", 3, "e1", "document-change", R"({"x":1})"));
    EXPECT_EQ(eventNames(named), (std::vector<std::string>{"message", "document-change"}));
}

}  // namespace

namespace {

TEST_F(ClientCoreTest, QueueVersionMovesWithTheOwedMessagesNotWithRoomPositions) {
    connectAndWelcome();
    joinAnswered("general", "e1", 0);
    auto v0 = core().queueVersion();
    auto frames = sent(publish("general", R"({"n":1})"), "publish");
    auto v1 = core().queueVersion();
    EXPECT_NE(v1, v0) << "a message joined the outbox";
    std::string before = core().queueSnapshot();
    receive(messageFrame("general", 1, "e1"));
    receive(messageFrame("general", 2, "e1"));
    EXPECT_EQ(core().queueVersion(), v1) << "only the room's position moved";
    EXPECT_NE(core().queueSnapshot(), before) << "which the snapshot does carry";
    receive(reply(refOf(frames.at(0)), publishData("general", 3, "e1")));
    EXPECT_NE(core().queueVersion(), v1) << "the message was answered and left";
    EXPECT_EQ(core().queueSnapshot(), "");
}

TEST_F(ClientCoreTest, MembersIsARequestForTheRoomThatResolvesWithTheReply) {
    connectAndWelcome();
    Effects e;
    std::uint64_t id = core().members("general", now, e);
    auto frames = sent(e, "members");
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(member(frames[0], "room"), "general");
    std::string data = R"({"room":"general","members":[{"sid":"c-1","user":null,"info":{}}],"memberCount":1})";
    Effects r = receive(reply(refOf(frames[0]), data));
    ASSERT_NE(settled(r, Kind::Resolve, id), nullptr);
    EXPECT_EQ(settled(r, Kind::Resolve, id)->dataJson, data);
    EXPECT_EQ(core().queueSnapshot(), "") << "a read is not a message to keep";
}

TEST_F(ClientCoreTest, ARefreshedTokenGoesToTheServerAndIntoEveryLaterHello) {
    options.token = "old";
    connectAndWelcome();
    EXPECT_EQ(member(lastHello, "token"), "old");
    Effects e;
    std::uint64_t id = core().refreshToken("new", now, e);
    auto frames = sent(e, "refresh");
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(member(frames[0], "token"), "new");
    Effects r = receive(reply(refOf(frames[0]), R"({"exp":1700003600})"));
    ASSERT_NE(settled(r, Kind::Resolve, id), nullptr);

    closed(4002, "token expired");
    reconnectAndWelcome();
    EXPECT_EQ(member(lastHello, "token"), "new") << "the reconnect presents the refreshed token";
}

TEST_F(ClientCoreTest, ATokenRefreshedWhileOfflineSettlesAtOnceAndRidesTheNextHello) {
    options.token = "old";
    connectAndWelcome();
    closed(4002, "token expired");
    ASSERT_EQ(core().state(), State::Reconnecting) << "4002 is not terminal: the client comes back";
    Effects e;
    std::uint64_t id = core().refreshToken("new", now, e);
    EXPECT_TRUE(sent(e).empty()) << "nothing to send without a connection";
    ASSERT_NE(settled(e, Kind::Resolve, id), nullptr);
    auto hello = reconnectAndWelcome();
    EXPECT_EQ(member(lastHello, "token"), "new");
    EXPECT_TRUE(sent(hello, "refresh").empty()) << "the hello carried it; no refresh follows";
}

}  // namespace
