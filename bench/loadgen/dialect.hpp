// A dialect is one server's wire protocol on top of WebSocket: how a
// connection becomes ready, how to join a room and publish to it, and how
// to recognise the answers and deliveries. The scenario (the Sink) sees the
// same events whatever the dialect.
#pragma once

#include "connection.hpp"
#include "text_scan.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace loadgen {

class Net;

class Sink {
public:
    virtual ~Sink() = default;
    virtual void onReady(Connection&) = 0;                            // protocol handshake done
    virtual void onReply(Connection&, std::uint32_t ref, bool ok) = 0;  // the answer to a request
    virtual void onDelivery(Connection&, const char* text, std::size_t n) = 0;  // a room message
    virtual void onOther(Connection&, const char*, std::size_t) {}   // presence, ARGS pushes, ...
    virtual void onClosed(Connection&) {}
};

class Dialect {
public:
    virtual ~Dialect() = default;
    virtual const char* name() const = 0;
    virtual const char* defaultPath() const = 0;
    virtual const char* subprotocol() const = 0;  // nullptr: none offered
    // Whether publishes are answered (then the window counts answers too).
    virtual bool acksPublishes() const = 0;
    // The WebSocket is open; the dialect calls Net::markReady once its own
    // handshake is done.
    virtual void onUpgraded(Connection&, Net&) = 0;
    virtual void onText(Connection&, const char* text, std::size_t n, Net&, Sink&) = 0;
    // Requests. Each returns the ref its answer will carry, 0 when none comes.
    virtual std::uint32_t join(Connection&, Net&, std::string_view room) = 0;
    virtual std::uint32_t publish(Connection&, Net&, std::string_view room, std::string_view payload) = 0;
};

// brolostack | socketio | ws; nullptr for another name.
std::unique_ptr<Dialect> makeBrolostackDialect();
std::unique_ptr<Dialect> makeSocketIoDialect();
std::unique_ptr<Dialect> makeWsDialect();
std::unique_ptr<Dialect> makeDialect(const std::string& name);

}  // namespace loadgen
