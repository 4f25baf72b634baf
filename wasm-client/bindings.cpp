// The JS boundary of the core: low-level functions on plain strings. The
// idiomatic API lives in js/, on top of these.
#include "brolostack/client/client_core.hpp"
#include "brolostack/json.hpp"
#include "brolostack/protocol/codec.hpp"

#include <emscripten/bind.h>

#include <cstdint>
#include <algorithm>
#include <string>

namespace {

using namespace brolostack;
using protocol::Error;

/// What a codec call returns to JS: canonical text, or an error code and message.
struct CodecResult {
    bool ok = false;
    std::string text;
    std::string errorCode;
    std::string errorMessage;
};

CodecResult failure(const Error& e) {
    return CodecResult{false, {}, std::string(protocol::errorCodeName(e.code)), e.message};
}

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

/// The client core for JS: options in as JSON, effects out as a JSON array
/// ([{kind, text, data, extra, id, code}]), so the boundary stays two
/// strings wide. Times are epoch milliseconds as doubles.
class WasmClient {
public:
    WasmClient(const std::string& optionsJson, double seed)
        : state_(static_cast<std::uint64_t>(seed * 9007199254740991.0) | 1), core_(parse(optionsJson), [this] {
              // xorshift64*: jitter and message ids need spread, not secrecy.
              state_ ^= state_ >> 12;
              state_ ^= state_ << 25;
              state_ ^= state_ >> 27;
              return static_cast<double>((state_ * 2685821657736338717ull) >> 11) / 9007199254740992.0;
          }) {}

    std::string connect(double now) { return run([&](client::Effects& e) { requestId_ = core_.connect(t(now), e); }); }
    std::string disconnect(double now) { return run([&](client::Effects& e) { core_.disconnect(t(now), e); }); }
    std::string joinRoom(const std::string& room, const std::string& name, const std::string& info, double now) {
        return run([&](client::Effects& e) { requestId_ = core_.joinRoom(room, name, info, t(now), e); });
    }
    std::string leaveRoom(const std::string& room, double now) {
        return run([&](client::Effects& e) { requestId_ = core_.leaveRoom(room, t(now), e); });
    }
    /// `priority`: 0 low, 1 medium, 2 high, 3 critical.
    std::string publish(const std::string& room, const std::string& event, const std::string& data, bool echo,
                        int priority, double now) {
        return run([&](client::Effects& e) {
            requestId_ = core_.publish(room, event, data, echo, t(now), e, priorityOf(priority));
        });
    }
    std::string send(const std::string& event, const std::string& data, int priority, double now) {
        return run([&](client::Effects& e) {
            requestId_ = core_.send(event, data, t(now), e, priorityOf(priority));
        });
    }
    std::string history(const std::string& room, double limit, double now) {
        return run([&](client::Effects& e) { requestId_ = core_.history(room, static_cast<std::uint64_t>(limit), t(now), e); });
    }
    std::string members(const std::string& room, double now) {
        return run([&](client::Effects& e) { requestId_ = core_.members(room, t(now), e); });
    }
    std::string refreshToken(const std::string& token, double now) {
        return run([&](client::Effects& e) { requestId_ = core_.refreshToken(token, t(now), e); });
    }
    std::string opened(double now) { return run([&](client::Effects& e) { core_.opened(t(now), e); }); }
    std::string received(const std::string& text, double now) {
        return run([&](client::Effects& e) { core_.received(text, t(now), e); });
    }
    std::string closed(int code, const std::string& reason, double now) {
        return run([&](client::Effects& e) { core_.closed(static_cast<std::uint16_t>(code), reason, t(now), e); });
    }
    std::string tick(double now) { return run([&](client::Effects& e) { core_.tick(t(now), e); }); }
    std::string restoreQueue(const std::string& snapshot, double now) {
        return run([&](client::Effects& e) { restored_ = core_.restoreQueue(snapshot, t(now), e); });
    }
    /// The request id of the last call that made one.
    double lastRequestId() const { return static_cast<double>(requestId_); }
    bool lastRestoreOk() const { return restored_; }
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
    std::string run(F&& call) {
        client::Effects effects;
        call(effects);
        rapidjson::StringBuffer b;
        json::Writer w(b);
        w.StartArray();
        static const char* kinds[] = {"open", "send", "close", "emit", "resolve", "reject"};
        for (const auto& e : effects) {
            w.StartObject();
            json::writeKey(w, "kind");
            json::writeString(w, kinds[static_cast<int>(e.kind)]);
            json::writeKey(w, "text");
            json::writeString(w, e.text);
            json::writeKey(w, "data");
            json::writeString(w, e.dataJson);
            json::writeKey(w, "extra");
            json::writeString(w, e.extraJson);
            json::writeKey(w, "id");
            w.Uint64(e.requestId);
            json::writeKey(w, "code");
            w.Uint(e.code);
            w.EndObject();
        }
        w.EndArray();
        return std::string(b.GetString(), b.GetSize());
    }

    std::uint64_t state_;
    client::ClientCore core_;
    std::uint64_t requestId_ = 0;
    bool restored_ = false;
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
        .function("received", &WasmClient::received)
        .function("closed", &WasmClient::closed)
        .function("tick", &WasmClient::tick)
        .function("restoreQueue", &WasmClient::restoreQueue)
        .function("history", &WasmClient::history)
        .function("members", &WasmClient::members)
        .function("refreshToken", &WasmClient::refreshToken)
        .function("lastRequestId", &WasmClient::lastRequestId)
        .function("lastRestoreOk", &WasmClient::lastRestoreOk)
        .function("nextWakeAt", &WasmClient::nextWakeAt)
        .function("state", &WasmClient::state)
        .function("stats", &WasmClient::stats)
        .function("queueSnapshot", &WasmClient::queueSnapshot)
        .function("queueVersion", &WasmClient::queueVersion);
}
