// Our protocol (PROTOCOL.md): subprotocol brolostack.v1, a hello with ref 1
// first, then join/publish requests answered by
// {"op":"reply","ref":N,"ok":...}; deliveries are {"op":"message",...}.
// The loader reads only the envelope it needs (op, ref, ok) by scanning the
// frame; the server writes "op" first and "ref"/"ok" right after it.
#include "dialect.hpp"
#include "net.hpp"
#include "text_scan.hpp"

#include <cstdio>
#include <cstring>

namespace loadgen {

namespace {

constexpr std::size_t kEnvelope = 48;  // op, ref and ok sit in a reply's first bytes

class BrolostackDialect final : public Dialect {
public:
    const char* name() const override { return "brolostack"; }
    const char* defaultPath() const override { return "/ws"; }
    const char* subprotocol() const override { return "brolostack.v1"; }
    bool acksPublishes() const override { return true; }

    void onUpgraded(Connection& c, Net& net) override {
        c.stage = 1;  // waiting for the hello reply
        int n = std::snprintf(scratch_, sizeof scratch_,
                              "{\"op\":\"hello\",\"ref\":%u,\"v\":1,\"client\":{\"name\":\"bench-loadgen\",\"version\":\"1\"}}",
                              c.nextRef++);
        net.sendText(c, scratch_, static_cast<std::size_t>(n));
    }

    void onText(Connection& c, const char* t, std::size_t n, Net& net, Sink& sink) override {
        const char* op = opOf(t, n);
        if (!op) {
            sink.onOther(c, t, n);
            return;
        }
        if (std::strncmp(op, "message\"", 8) == 0) {
            sink.onDelivery(c, t, n);
        } else if (std::strncmp(op, "reply\"", 6) == 0) {
            std::size_t head = n < kEnvelope ? n : kEnvelope;
            long long ref = numberAfter(t, head, "\"ref\":");
            bool ok = contains(t, head, "\"ok\":true");
            if (!ok) net.noteErrorFrame(t, n);
            if (c.stage == 1 && ref == 1) {
                c.stage = 2;
                if (ok) net.markReady(c);
                else net.fail(c, Failure::Error);
                return;
            }
            sink.onReply(c, static_cast<std::uint32_t>(ref < 0 ? 0 : ref), ok);
        } else if (std::strncmp(op, "error\"", 6) == 0) {
            net.noteErrorFrame(t, n);
            sink.onOther(c, t, n);
        } else {
            sink.onOther(c, t, n);
        }
    }

    std::uint32_t join(Connection& c, Net& net, std::string_view room) override {
        std::uint32_t ref = c.nextRef++;
        int n = std::snprintf(scratch_, sizeof scratch_, "{\"op\":\"join\",\"ref\":%u,\"room\":\"%.*s\"}", ref,
                              static_cast<int>(room.size()), room.data());
        net.sendText(c, scratch_, static_cast<std::size_t>(n));
        return ref;
    }

    std::uint32_t publish(Connection& c, Net& net, std::string_view room, std::string_view payload) override {
        std::uint32_t ref = c.nextRef++;
        int n = std::snprintf(scratch_, sizeof scratch_,
                              "{\"op\":\"publish\",\"ref\":%u,\"room\":\"%.*s\",\"event\":\"m\",\"data\":\"%.*s\"}", ref,
                              static_cast<int>(room.size()), room.data(), static_cast<int>(payload.size()),
                              payload.data());
        if (n <= 0 || static_cast<std::size_t>(n) >= sizeof scratch_) return 0;
        net.sendText(c, scratch_, static_cast<std::size_t>(n));
        return ref;
    }

private:
    // The value of the "op" key in the frame's first bytes, or nullptr.
    const char* opOf(const char* t, std::size_t n) {
        std::size_t head = n < 64 ? n : 64;
        const char* hit = opKey_.find(t, head);
        if (!hit) return nullptr;
        const char* v = hit + opKey_.key().size();
        return (t + n - v) >= 8 ? v : nullptr;
    }

    KeyFinder opKey_{"\"op\":\""};  // at the same place in every frame: the server writes it first

    char scratch_[65536];
};

}  // namespace

std::unique_ptr<Dialect> makeBrolostackDialect() { return std::make_unique<BrolostackDialect>(); }

}  // namespace loadgen
