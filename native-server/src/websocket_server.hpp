// The WebSocket and HTTP endpoint: websocketpp on standalone Asio, one
// thread, in clear text or TLS (ENABLE_ENCRYPTION). It moves bytes and
// timers between the network and the Hub; all protocol decisions are the
// Hub's. websocketpp is included by the .cpp only, so its slow headers
// compile once.
#pragma once

#include "brolostack/server/hub.hpp"
#include "http_api.hpp"
#include "static_files.hpp"
#include "http_headers.hpp"
#include "trusted_proxies.hpp"

#include <functional>
#include <memory>
#include <string>

namespace spdlog { class logger; }
namespace asio { class io_context; }

namespace brolostack::native {

class ServerMetrics;

class WebSocketServer {
public:
    WebSocketServer(server::Hub& hub, HttpApi& api, StaticFiles& files, TrustedProxies proxies,
                    std::shared_ptr<spdlog::logger> log, ServerMetrics& metrics);
    ~WebSocketServer();

    /// With TLS (ENABLE_ENCRYPTION): reads TLS_CERT and TLS_KEY; an error
    /// message when they are unusable. Nothing to do without TLS.
    std::optional<std::string> loadTls();
    /// Binds and listens; returns an error message on failure.
    std::optional<std::string> listen(const std::string& host, std::uint16_t port);
    /// The bound port (useful when listening on port 0).
    std::uint16_t port() const;
    /// Serves until shutdown has drained every connection (or timed out).
    /// SIGINT and SIGTERM start the shutdown.
    void run();
    /// Starts the drain from any thread.
    void shutdown();
    /// Runs `work` on the server's thread with an outbox that is performed
    /// afterwards. Called from another thread while the server runs, it
    /// waits until the work is done.
    void execute(const std::function<void(server::Outbox& out, std::int64_t now)>& work);
    /// Queues `work` to run on the server's thread after what is running now.
    void post(std::function<void()> work);
    /// Tells the server (from any thread) that the store made more changes
    /// durable: the output that waited for them goes out.
    void releaseDurable();
    /// The server's event loop (a broker's connections run on it).
    asio::io_context& ioContext();
    /// Where the hub's broker requests go (cluster mode); called on the loop.
    void setBroker(std::function<void(const server::BrokerRequest&)> perform);

private:
    struct Impl;
    template <class Config>
    struct Transport;
    std::unique_ptr<Impl> impl_;
};

}  // namespace brolostack::native
