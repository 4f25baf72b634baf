// libFuzzer target: binary frames as the hub receives them (the stream
// chunk header: length prefix, JSON header, bytes), on a connection that
// said hello and started a binary stream. Nothing may crash or leak.
#include "brolostack/config/settings.hpp"
#include "brolostack/server/hub.hpp"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace server = brolostack::server;
    std::int64_t now = 1'700'000'000'000;
    int ids = 0;
    server::Hub hub(brolostack::config::Settings{}, [&ids] { return "id" + std::to_string(++ids); }, now);
    server::Outbox out;
    hub.open(1, server::UpgradeRequest{}, now);
    hub.receiveText(1, R"({"op":"hello","ref":1,"v":1})", now, out);
    hub.receiveText(1, R"({"op":"send","ref":2,"event":"start-stream","data":{"sessionId":"s","streamId":"st","type":"binary"}})",
                    now, out);
    hub.receiveBinary(1, std::string_view(reinterpret_cast<const char*>(data), size), now, out);
    hub.closed(1, now, out);
    return 0;
}
