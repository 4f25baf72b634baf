// Runs the client core over a script read from stdin, one JSON step per
// line, and prints each step's effects as one JSON line: what the native
// build decides. tests/wasm/client-parity.test.mjs runs the same script
// through the wasm build's boundary (the effect tape) and compares.
//
// Steps: {"call":"connect"|"disconnect"|"opened"|"tick","now":N}
//        {"call":"received","text":"<frame>","now":N}
//        {"call":"closed","code":N,"reason":"...","now":N}
//        {"call":"joinRoom","room","name","info"} {"call":"leaveRoom","room"}
//        {"call":"publish","room","event","data","echo","priority"}
//        {"call":"send","event","data","priority"} {"call":"history","room","limit"}
//        {"call":"members","room"} {"call":"refreshToken","token"}
//        {"call":"restoreQueue","snapshot"} {"call":"queueSnapshot"}
// Out: {"id":<request id>,"effects":[{"kind","text","data","dataJson","extra","extraJson","id","code"}],
//       "state","nextWakeAt","queueVersion"[,"restored"][,"snapshot"]}
#include "brolostack/client/client_core.hpp"
#include "brolostack/json.hpp"

#include <iostream>
#include <string>

namespace {

using namespace brolostack;

std::string field(const json::Value& step, const char* key) {
    auto it = step.FindMember(key);
    return it != step.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                          : std::string();
}

double number(const json::Value& step, const char* key) {
    auto it = step.FindMember(key);
    return it != step.MemberEnd() && it->value.IsNumber() ? it->value.GetDouble() : 0;
}

}  // namespace

int main(int argc, char** argv) {
    // The options and the random seed the wasm side is built with.
    client::ClientOptions options;
    options.heartbeatIntervalMs = 1000;
    double seed = argc > 1 ? std::stod(argv[1]) : 0.5;
    client::ClientCore core(options, client::seededRandom(seed));
    std::string line;
    while (std::getline(std::cin, line)) {
        json::Document step;
        step.Parse(line.data(), line.size());
        if (!step.IsObject()) return 2;
        std::string call = field(step, "call");
        auto now = static_cast<std::int64_t>(number(step, "now"));
        auto priority = static_cast<client::Priority>(static_cast<int>(number(step, "priority")));
        client::Effects e;
        std::uint64_t id = 0;
        std::optional<bool> restored;
        std::optional<std::string> snapshot;
        if (call == "connect") id = core.connect(now, e);
        else if (call == "disconnect") core.disconnect(now, e);
        else if (call == "opened") core.opened(now, e);
        else if (call == "tick") core.tick(now, e);
        else if (call == "received") core.received(field(step, "text"), now, e);
        else if (call == "closed") core.closed(static_cast<std::uint16_t>(number(step, "code")), field(step, "reason"), now, e);
        else if (call == "joinRoom") id = core.joinRoom(field(step, "room"), field(step, "name"), field(step, "info"), now, e);
        else if (call == "leaveRoom") id = core.leaveRoom(field(step, "room"), now, e);
        else if (call == "publish")
            id = core.publish(field(step, "room"), field(step, "event"), field(step, "data"),
                              step.HasMember("echo") && step["echo"].IsBool() && step["echo"].GetBool(), now, e, priority);
        else if (call == "send") id = core.send(field(step, "event"), field(step, "data"), now, e, priority);
        else if (call == "history") id = core.history(field(step, "room"), static_cast<std::uint64_t>(number(step, "limit")), now, e);
        else if (call == "members") id = core.members(field(step, "room"), now, e);
        else if (call == "refreshToken") id = core.refreshToken(field(step, "token"), now, e);
        else if (call == "restoreQueue") restored = core.restoreQueue(field(step, "snapshot"), now, e);
        else if (call == "queueSnapshot") snapshot = core.queueSnapshot();
        else return 2;

        std::cout << json::object([&](json::Writer& w) {
            json::writeKey(w, "id");
            w.Uint64(id);
            json::writeKey(w, "effects");
            w.StartArray();
            for (const auto& effect : e) {
                w.StartObject();
                json::writeKey(w, "kind");
                w.Int(static_cast<int>(effect.kind));
                json::writeKey(w, "text");
                json::writeString(w, effect.text);
                json::writeKey(w, "data");
                w.Int(static_cast<int>(effect.data));
                json::writeKey(w, "dataJson");
                json::writeString(w, effect.dataJson);
                json::writeKey(w, "extra");
                w.Int(static_cast<int>(effect.extra));
                json::writeKey(w, "extraJson");
                json::writeString(w, effect.extraJson);
                json::writeKey(w, "id");
                w.Uint64(effect.requestId);
                json::writeKey(w, "code");
                w.Uint(effect.code);
                w.EndObject();
            }
            w.EndArray();
            json::writeKey(w, "state");
            json::writeString(w, client::stateName(core.state()));
            json::writeKey(w, "nextWakeAt");
            w.Int64(core.nextWakeAt());
            json::writeKey(w, "queueVersion");
            w.Uint64(core.queueVersion());
            if (restored) {
                json::writeKey(w, "restored");
                w.Bool(*restored);
            }
            if (snapshot) {
                json::writeKey(w, "snapshot");
                json::writeString(w, *snapshot);
            }
        }) << "\n";
    }
    return 0;
}
