// Plain WebSocket broadcast (the `ws` anchor and the C ceiling): no
// handshake beyond the upgrade, no rooms, no answers. Whatever one client
// sends as a text frame, the server forwards to every other client; each
// text frame received is a delivery.
#include "dialect.hpp"
#include "net.hpp"

namespace loadgen {

namespace {

class WsDialect final : public Dialect {
public:
    const char* name() const override { return "ws"; }
    const char* defaultPath() const override { return "/"; }
    const char* subprotocol() const override { return nullptr; }
    bool acksPublishes() const override { return false; }

    void onUpgraded(Connection& c, Net& net) override { net.markReady(c); }

    void onText(Connection& c, const char* t, std::size_t n, Net&, Sink& sink) override { sink.onDelivery(c, t, n); }

    std::uint32_t join(Connection&, Net&, std::string_view) override { return 0; }  // one room: everyone

    std::uint32_t publish(Connection& c, Net& net, std::string_view, std::string_view payload) override {
        net.sendText(c, payload.data(), payload.size());
        return 0;
    }
};

}  // namespace

std::unique_ptr<Dialect> makeWsDialect() { return std::make_unique<WsDialect>(); }

}  // namespace loadgen
