// The JS boundary of the core. Calls in are plain values; what a call
// decides comes back as a tape of compact effect records in the wasm heap
// (effect_tape.hpp), read by js/src/effects.mjs without a JSON round trip.
// A received frame is written by JS into an input buffer here, decoded once
// by the core, and parsed once more in JS only if an effect hands a part of
// it to the application.
#include "brolostack/args/message.hpp"
#include "brolostack/client/client_core.hpp"
#include "brolostack/json.hpp"
#include "brolostack/protocol/codec.hpp"
#include "brolostack/protocol/identifiers.hpp"
#include "effect_tape.hpp"

#include <emscripten/bind.h>

#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using namespace brolostack;
using protocol::Error;

/// What a codec or ARGS call returns to JS: canonical text, or an error code and message.
struct CodecResult {
    bool ok = false;
    std::string text;
    std::string errorCode;
    std::string errorMessage;
};

CodecResult failure(const Error& e) {
    return CodecResult{false, {}, std::string(protocol::errorCodeName(e.code)), e.message};
}

CodecResult failure(std::string message) { return CodecResult{false, {}, "bad_request", std::move(message)}; }

/// Decodes a client frame and encodes it again: the canonical bytes.
CodecResult canonicalClientFrame(const std::string& text) {
    auto decoded = protocol::decodeClientFrame(text);
    if (!decoded.frame) return failure(*decoded.error);
    return CodecResult{true, protocol::encodeClientFrame(*decoded.frame), {}, {}};
}

/// The same for server frames.
CodecResult canonicalServerFrame(const std::string& text) {
    auto decoded = protocol::decodeServerFrame(text);
    if (!decoded.frame) return failure(*decoded.error);
    return CodecResult{true, protocol::encodeServerFrame(*decoded.frame), {}, {}};
}

// ---- ARGS messages (ARGSProtocolHandler in js/src/args.mjs) -------------

constexpr unsigned kArgsMaxDepth = 32;

/// A new ARGS message, checked by the same decoder the server runs: its
/// canonical JSON, or why it is not one. `metadataJson` is an object of
/// metadata fields; `agentId` empty means none.
CodecResult argsCreateMessage(const std::string& type, const std::string& sessionId, const std::string& payloadJson,
                              const std::string& metadataJson, const std::string& agentId, const std::string& id,
                              double now) {
    if (!args::messageTypeFromName(type)) return failure("unknown ARGS type '" + type + "'");
    if (!protocol::isValidSessionId(sessionId)) return failure("invalid session id '" + sessionId + "'");
    std::string text = json::object([&](json::Writer& w) {
        json::writeKey(w, "id");
        json::writeString(w, id);
        json::writeKey(w, "type");
        json::writeString(w, type);
        json::writeKey(w, "timestamp");
        w.Int64(static_cast<std::int64_t>(now));
        json::writeKey(w, "sessionId");
        json::writeString(w, sessionId);
        if (!agentId.empty()) {
            json::writeKey(w, "agentId");
            json::writeString(w, agentId);
        }
        json::writeKey(w, "payload");
        w.RawValue(payloadJson.data(), payloadJson.size(), rapidjson::kObjectType);
        json::writeKey(w, "metadata");
        w.RawValue(metadataJson.data(), metadataJson.size(), rapidjson::kObjectType);
    });
    auto decoded = args::decodeMessage(text, static_cast<std::int64_t>(now), kArgsMaxDepth);
    if (auto* e = std::get_if<Error>(&decoded)) return failure(*e);
    return CodecResult{true, args::encodeMessage(std::get<args::Message>(decoded)), {}, {}};
}

/// Checks an ARGS message (envelope, metadata, ttl against `now`): its
/// canonical JSON, or the first problem found.
CodecResult argsValidateMessage(const std::string& messageJson, double now) {
    auto decoded = args::decodeMessage(messageJson, static_cast<std::int64_t>(now), kArgsMaxDepth);
    if (auto* e = std::get_if<Error>(&decoded)) return failure(*e);
    return CodecResult{true, args::encodeMessage(std::get<args::Message>(decoded)), {}, {}};
}

/// Bytes of the wasm heap in use: what the tests watch to see that
/// destroyed clients leave nothing behind.
double heapBytesInUse() { return static_cast<double>(mallinfo().uordblks); }

// ---- the client ------------------------------------------------------------

/// The client core for JS. App calls return their request id (0 when they
/// make none); every call leaves its effects on the tape.
class WasmClient {
public:
    WasmClient(const std::string& optionsJson, double seed) : core_(parse(optionsJson), client::seededRandom(seed)) {}

    double connect(double now) { return run([&](client::Effects& e) { return core_.connect(t(now), e); }); }
    void disconnect(double now) { run([&](client::Effects& e) { core_.disconnect(t(now), e); return 0; }); }
    double joinRoom(const std::string& room, const std::string& name, const std::string& info, double now) {
        return run([&](client::Effects& e) { return core_.joinRoom(room, name, info, t(now), e); });
    }
    double leaveRoom(const std::string& room, double now) {
        return run([&](client::Effects& e) { return core_.leaveRoom(room, t(now), e); });
    }
    /// `priority`: 0 low, 1 medium, 2 high, 3 critical.
    double publish(const std::string& room, const std::string& event, const std::string& data, bool echo, int priority,
                   double now) {
        return run([&](client::Effects& e) {
            return core_.publish(room, event, data, echo, t(now), e, priorityOf(priority));
        });
    }
    double send(const std::string& event, const std::string& data, int priority, double now) {
        return run([&](client::Effects& e) { return core_.send(event, data, t(now), e, priorityOf(priority)); });
    }
    double history(const std::string& room, double limit, double now) {
        return run([&](client::Effects& e) {
            return core_.history(room, static_cast<std::uint64_t>(limit), t(now), e);
        });
    }
    double members(const std::string& room, double now) {
        return run([&](client::Effects& e) { return core_.members(room, t(now), e); });
    }
    double refreshToken(const std::string& token, double now) {
        return run([&](client::Effects& e) { return core_.refreshToken(token, t(now), e); });
    }
    void opened(double now) { run([&](client::Effects& e) { core_.opened(t(now), e); return 0; }); }
    /// Where JS writes a received frame's UTF-8 bytes: room for `bytes`.
    double inputBuffer(double bytes) {
        input_.resize(std::max<std::size_t>(input_.size(), static_cast<std::size_t>(bytes)));
        return static_cast<double>(reinterpret_cast<std::uintptr_t>(input_.data()));
    }
    /// The frame is the first `bytes` of the input buffer.
    void received(double bytes, double now) {
        std::string_view text(input_.data(), std::min(input_.size(), static_cast<std::size_t>(bytes)));
        run([&](client::Effects& e) { core_.received(text, t(now), e); return 0; });
    }
    void closed(int code, const std::string& reason, double now) {
        run([&](client::Effects& e) { core_.closed(static_cast<std::uint16_t>(code), reason, t(now), e); return 0; });
    }
    void tick(double now) { run([&](client::Effects& e) { core_.tick(t(now), e); return 0; }); }
    /// False, with nothing changed, when the snapshot is not one.
    bool restoreQueue(const std::string& snapshot, double now) {
        bool restored = false;
        run([&](client::Effects& e) { restored = core_.restoreQueue(snapshot, t(now), e); return 0; });
        return restored;
    }
    /// Where the tape's header lives (effect_tape.hpp): fixed for the client's life.
    double tapeHeader() const { return static_cast<double>(reinterpret_cast<std::uintptr_t>(tape_.header())); }
    double nextWakeAt() const { return static_cast<double>(core_.nextWakeAt()); }
    std::string state() const { return client::stateName(core_.state()); }
    std::string stats() const { return core_.statsJson(); }
    std::string queueSnapshot() const { return core_.queueSnapshot(); }
    double queueVersion() const { return static_cast<double>(core_.queueVersion()); }

private:
    static std::int64_t t(double now) { return static_cast<std::int64_t>(now); }
    static client::Priority priorityOf(int p) {
        return static_cast<client::Priority>(std::clamp(p, static_cast<int>(client::Priority::Low),
                                                        static_cast<int>(client::Priority::Critical)));
    }

    static client::ClientOptions parse(const std::string& optionsJson) {
        client::ClientOptions o;
        json::Document d;
        d.Parse(optionsJson.c_str());
        if (!d.IsObject()) return o;
        auto num = [&](const char* k, auto& out) {
            if (d.HasMember(k) && d[k].IsNumber()) out = static_cast<std::remove_reference_t<decltype(out)>>(d[k].GetDouble());
        };
        auto flag = [&](const char* k, bool& out) {
            if (d.HasMember(k) && d[k].IsBool()) out = d[k].GetBool();
        };
        auto text = [&](const char* k, std::string& out) {
            if (d.HasMember(k) && d[k].IsString()) out = d[k].GetString();
        };
        flag("reconnection", o.reconnection);
        num("reconnectionAttempts", o.reconnectionAttempts);
        num("reconnectionDelay", o.reconnectionDelayMs);
        num("reconnectionDelayMax", o.reconnectionDelayMaxMs);
        flag("queueEnabled", o.queueEnabled);
        num("queueMaxSize", o.queueMaxSize);
        num("heartbeatInterval", o.heartbeatIntervalMs);
        text("environment", o.environment);
        text("token", o.token);
        text("apiKey", o.apiKey);
        return o;
    }

    template <class F>
    double run(F&& call) {
        effects_.clear();
        auto id = call(effects_);
        tape_.record(effects_);
        tape_.wakeAt(core_.nextWakeAt());
        return static_cast<double>(id);
    }

    client::ClientCore core_;
    client::Effects effects_;  // the last call's: the tape points into them
    wasm::EffectTape tape_;
    std::vector<char> input_ = std::vector<char>(4096);
};

}  // namespace

EMSCRIPTEN_BINDINGS(brolostack_core) {
    emscripten::value_object<CodecResult>("CodecResult")
        .field("ok", &CodecResult::ok)
        .field("text", &CodecResult::text)
        .field("errorCode", &CodecResult::errorCode)
        .field("errorMessage", &CodecResult::errorMessage);
    emscripten::function("canonicalClientFrame", &canonicalClientFrame);
    emscripten::function("canonicalServerFrame", &canonicalServerFrame);
    emscripten::function("argsCreateMessage", &argsCreateMessage);
    emscripten::function("argsValidateMessage", &argsValidateMessage);
    emscripten::function("heapBytesInUse", &heapBytesInUse);
    emscripten::constant("protocolVersion", protocol::kProtocolVersion);
    emscripten::class_<WasmClient>("WasmClient")
        .constructor<std::string, double>()
        .function("connect", &WasmClient::connect)
        .function("disconnect", &WasmClient::disconnect)
        .function("joinRoom", &WasmClient::joinRoom)
        .function("leaveRoom", &WasmClient::leaveRoom)
        .function("publish", &WasmClient::publish)
        .function("send", &WasmClient::send)
        .function("opened", &WasmClient::opened)
        .function("inputBuffer", &WasmClient::inputBuffer)
        .function("received", &WasmClient::received)
        .function("closed", &WasmClient::closed)
        .function("tick", &WasmClient::tick)
        .function("restoreQueue", &WasmClient::restoreQueue)
        .function("history", &WasmClient::history)
        .function("members", &WasmClient::members)
        .function("refreshToken", &WasmClient::refreshToken)
        .function("tapeHeader", &WasmClient::tapeHeader)
        .function("nextWakeAt", &WasmClient::nextWakeAt)
        .function("state", &WasmClient::state)
        .function("stats", &WasmClient::stats)
        .function("queueSnapshot", &WasmClient::queueSnapshot)
        .function("queueVersion", &WasmClient::queueVersion);
}
