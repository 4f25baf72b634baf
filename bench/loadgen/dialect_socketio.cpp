// Socket.IO's WebSocket-only transport (engine.io protocol 4, socket.io
// protocol 5), as the anchor server speaks it:
//   server "0{...}" (engine.io open)  -> client "40" (connect to "/")
//   server "40{...}"                  -> connected (ready)
//   server "2" (ping)                 -> client "3" (pong)
//   client 42<id>["join","room"]      -> server 43<id>[] (ack)
//   client 42<id>["publish",room,"m",payload] -> server 43<id>[]
//   deliveries: 42["message",{...}]
#include "dialect.hpp"
#include "net.hpp"

#include <cstdio>
#include <cstring>

namespace loadgen {

namespace {

class SocketIoDialect final : public Dialect {
public:
    const char* name() const override { return "socketio"; }
    const char* defaultPath() const override { return "/socket.io/?EIO=4&transport=websocket"; }
    const char* subprotocol() const override { return nullptr; }
    bool acksPublishes() const override { return true; }

    void onUpgraded(Connection& c, Net&) override { c.stage = 1; }  // waiting for "0{...}"

    void onText(Connection& c, const char* t, std::size_t n, Net& net, Sink& sink) override {
        if (n == 0) return;
        switch (t[0]) {
        case '0':  // engine.io open
            if (c.stage == 1) {
                c.stage = 2;
                net.sendText(c, "40", 2);
            }
            return;
        case '2':  // engine.io ping
            net.sendText(c, "3", 1);
            return;
        case '1':  // engine.io close
            net.fail(c, Failure::Disconnect);
            return;
        case '4':
            break;
        default:  // 3 pong, 6 noop...
            return;
        }
        if (n < 2) return;
        switch (t[1]) {
        case '0':  // connected
            if (c.stage == 2) {
                c.stage = 3;
                net.markReady(c);
            }
            return;
        case '1':  // disconnected by the server
            net.fail(c, Failure::Disconnect);
            return;
        case '2':  // event: 42["name",...]
            if (n >= 12 && std::memcmp(t + 2, "[\"message\"", 10) == 0) sink.onDelivery(c, t, n);
            else sink.onOther(c, t, n);
            return;
        case '3': {  // ack: 43<id>[...]
            long long id = 0;
            std::size_t i = 2;
            while (i < n && t[i] >= '0' && t[i] <= '9') id = id * 10 + (t[i++] - '0');
            sink.onReply(c, static_cast<std::uint32_t>(id), true);
            return;
        }
        case '4':  // connect error
            net.noteErrorFrame(t, n);
            net.fail(c, Failure::Error);
            return;
        default:
            sink.onOther(c, t, n);
        }
    }

    std::uint32_t join(Connection& c, Net& net, std::string_view room) override {
        std::uint32_t id = c.nextRef++;
        int n = std::snprintf(scratch_, sizeof scratch_, "42%u[\"join\",\"%.*s\"]", id, static_cast<int>(room.size()),
                              room.data());
        net.sendText(c, scratch_, static_cast<std::size_t>(n));
        return id;
    }

    std::uint32_t publish(Connection& c, Net& net, std::string_view room, std::string_view payload) override {
        std::uint32_t id = c.nextRef++;
        int n = std::snprintf(scratch_, sizeof scratch_, "42%u[\"publish\",\"%.*s\",\"m\",\"%.*s\"]", id,
                              static_cast<int>(room.size()), room.data(), static_cast<int>(payload.size()),
                              payload.data());
        if (n <= 0 || static_cast<std::size_t>(n) >= sizeof scratch_) return 0;
        net.sendText(c, scratch_, static_cast<std::size_t>(n));
        return id;
    }

private:
    char scratch_[65536];
};

}  // namespace

std::unique_ptr<Dialect> makeSocketIoDialect() { return std::make_unique<SocketIoDialect>(); }

}  // namespace loadgen
