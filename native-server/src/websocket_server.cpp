#include "websocket_server.hpp"

#include "brolostack/server/durable_gate.hpp"

#include <websocketpp/server.hpp>

#include "deflate.hpp"
#include "direct_writer.hpp"
#include "metrics.hpp"
#include "server_log.hpp"
#include "socket_linger.hpp"
#include "url.hpp"
#include "wall_clock.hpp"
#include "websocket_configs.hpp"
#include "webhook_client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

namespace brolostack::native {
namespace {

using Handle = websocketpp::connection_hdl;

constexpr auto kTickInterval = std::chrono::milliseconds(250);
// How long a finished connection's socket waits for the peer to close its
// side (socket_linger.hpp), and how many sockets may wait at once.
constexpr auto kCloseLinger = std::chrono::milliseconds(2000);
constexpr std::size_t kMaxLingeringSockets = 4096;

using SteadyTime = std::chrono::steady_clock::time_point;

double secondsSince(SteadyTime start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Whether the step delivers a room message (a publish's fan-out).
bool deliversMessage(const server::Outbox& out) {
    constexpr std::string_view kMessage = R"({"op":"message")";
    for (const auto& action : out)
        if (action.kind == server::Action::Kind::Send && action.frame && action.frame->compare(0, kMessage.size(), kMessage) == 0)
            return true;
    return false;
}

template <class ConnectionPtr>
std::optional<std::string> header(const ConnectionPtr& con, const char* name) {
    std::string value = con->get_request_header(name);
    if (value.empty()) return std::nullopt;
    return value;
}

/// One server frame, prepared once (header + payload) and shared by every
/// connection it goes to: server frames are unmasked, so the bytes are equal.
/// `deflated`: the payload is compressed (permessage-deflate's RSV1 bit).
template <class Config>
typename Config::message_type::ptr prepare(const std::string& payload, bool binary, bool deflated = false) {
    namespace frame = websocketpp::frame;
    auto opcode = binary ? frame::opcode::binary : frame::opcode::text;
    auto msg = std::make_shared<typename Config::message_type>(nullptr, opcode, payload.size());
    frame::basic_header h(opcode, payload.size(), true, false, deflated);
    frame::extended_header e(payload.size());
    msg->set_header(frame::prepare_header(h, e));
    msg->set_payload(payload);
    msg->set_prepared(true);
    return msg;
}

/// Frees the opening handshake's request and response (header maps, header
/// strings, bodies) of an open connection: websocketpp keeps both for the
/// connection's life, about 1.5 KiB per idle connection, and nothing reads
/// them after the upgrade (its own open/close log lines, which would, are
/// off; what the hub needs was taken at validation). websocketpp only lends
/// them out read-only; the objects themselves are not const.
template <class Connection>
void dropHandshake(Connection& con) {
    using Request = std::decay_t<decltype(con.get_request())>;
    using Response = std::decay_t<decltype(con.get_response())>;
    const_cast<Request&>(con.get_request()) = Request();
    const_cast<Response&>(con.get_response()) = Response();
}

}  // namespace

/// What WebSocketServer needs of its transport: one implementation per
/// websocketpp configuration (plain TCP, or TLS when ENABLE_ENCRYPTION).
struct WebSocketServer::Impl {
    virtual ~Impl() = default;
    virtual std::optional<std::string> loadTls() = 0;
    virtual std::optional<std::string> listen(const std::string& host, std::uint16_t port) = 0;
    virtual std::uint16_t port() = 0;
    virtual void run() = 0;
    virtual void post(std::function<void()> work) = 0;
    virtual void execute(const std::function<void(server::Outbox&, std::int64_t)>& work) = 0;
    virtual void shutdown() = 0;
    virtual void releaseDurable() = 0;
    virtual asio::io_context& ioContext() = 0;
    std::function<void(const server::BrokerRequest&)> broker;
};

template <class Config>
struct WebSocketServer::Transport final : WebSocketServer::Impl {
    using Endpoint = websocketpp::server<Config>;
    using ConnectionPtr = typename Endpoint::connection_ptr;
    using MessagePtr = typename Endpoint::message_ptr;
    static constexpr bool kTls = std::is_same_v<Config, TlsConfig>;

    Transport(server::Hub& hub, HttpApi& api, StaticFiles& files, TrustedProxies proxies,
              std::shared_ptr<spdlog::logger> log, ServerMetrics& metrics)
        : hub(hub), api(api), files(files), proxies(std::move(proxies)), log(std::move(log)), metrics(metrics), tick(io),
          signals(io, SIGINT, SIGTERM),
          reloadSignal(io, SIGHUP),
          drainDeadline(io),
          linger(io, kCloseLinger, kMaxLingeringSockets) {}

    std::optional<std::string> loadTls() override;
    /// A TLS context from TLS_CERT and TLS_KEY as they are on disk now.
    std::variant<std::shared_ptr<asio::ssl::context>, std::string> readTlsFiles() const;
    /// SIGHUP: TLS_CERT and TLS_KEY read again, for handshakes from now on.
    void awaitReload();
    std::optional<std::string> listen(const std::string& host, std::uint16_t port) override;
    std::uint16_t port() override;
    void run() override;
    void post(std::function<void()> work) override { asio::post(io, std::move(work)); }
    void execute(const std::function<void(server::Outbox&, std::int64_t)>& work) override;
    void shutdown() override {
        asio::post(io, [this] { beginDrain(); });
    }
    void releaseDurable() override {
        gate.release(hub.store().durableChange(), [this](server::Outbox& out) { performNow(out); });
    }
    asio::io_context& ioContext() override { return io; }

    server::Hub& hub;
    HttpApi& api;
    StaticFiles& files;
    TrustedProxies proxies;
    std::shared_ptr<spdlog::logger> log;
    ServerMetrics& metrics;
    asio::io_context io;
    Endpoint endpoint;
    asio::steady_timer tick;
    asio::signal_set signals;
    asio::signal_set reloadSignal;
    // The certificate and key as last read from TLS_CERT and TLS_KEY, held in
    // a context of their own; handshakes take them from here (useCurrentCertificate).
    std::shared_ptr<asio::ssl::context> tlsFiles;
    static int useCurrentCertificate(SSL* ssl, void* self);
    asio::steady_timer drainDeadline;
    SocketLinger linger;  // sockets of finished connections, until their peers close
    // Data frames to plain-TCP connections without an extension, one gathered
    // write per connection per loop turn (direct_writer.hpp).
    using Direct = DirectWriter<ConnectionPtr, typename Config::message_type>;
    Direct direct{io};

    server::ConnId nextId = 1;
    std::map<Handle, server::ConnId, std::owner_less<Handle>> ids;
    std::unordered_map<server::ConnId, Handle> handles;
    std::map<Handle, server::UpgradeRequest, std::owner_less<Handle>> admitted;  // passed validate, not open yet
    bool stopping = false;
    // Work from other threads (execute). Until run() hands the hub to the
    // loop it runs on the caller's thread; `handover` keeps it off the loop's
    // first tick. While `serving` it is queued in `handedOver` for the loop,
    // and what the loop did not reach before it stopped runs when run()
    // takes the hub back, so no caller waits forever. Recursive: work done
    // directly may call back in (an agent registering on an assignment).
    std::recursive_mutex handover;
    bool serving = false;
    std::deque<std::function<void()>> handedOver;
    void runHandedOver();
    DeflatePolicy deflatePolicy;                  // what the deflate extension may do on this loop
    MessageDeflater deflater;                     // room messages compressed once for all receivers
    std::unordered_set<server::ConnId> deflating;  // connections that negotiated permessage-deflate
    // Connections not read from for a while (INBOUND_BYTES_PER_SECOND). With
    // no read pending nothing of websocketpp's holds the connection, so the
    // entry does until reading resumes.
    struct PausedReading {
        ConnectionPtr connection;
        std::unique_ptr<asio::steady_timer> timer;
    };
    std::unordered_map<server::ConnId, PausedReading> pausedReading;
    std::unique_ptr<WebhookClient> webhooks;  // when BACKEND_URL is set
    server::DurableGate gate;                 // output waiting for the store

    void setUp();
    bool onValidate(Handle hdl);
    void onOpen(Handle hdl);
    void onClose(Handle hdl);
    void onFail(Handle hdl);
    void lingerOn(Handle hdl);
    /// The connection's close line: id, user, address, close code, duration.
    void logClosed(Handle hdl, server::ConnId id);
    void onMessage(Handle hdl, const MessagePtr& msg);
    void onHttp(Handle hdl);
    /// Status, headers and body of an HTTP answer onto the connection.
    void writeHttpResponse(const ConnectionPtr& con, const HttpRequest& request, const BrowserRequest& browser,
                           HttpResponse response);
    void onTick();
    void beginDrain();
    void finishIfDrained();
    /// Performs `out` now, or once the store's changes so far are durable.
    /// `received`: when the frame that caused it was read (for the publish
    /// delivery histogram).
    void perform(server::Outbox& out, std::optional<SteadyTime> received = std::nullopt);
    bool mustWaitForStore() const { return gate.mustWait(hub.store().lastChange(), hub.store().durableChange()); }
    void performNow(server::Outbox& out);
    /// websocketpp messages made once per batch, by shared frame (deflated:
    /// null when compression does not help that frame).
    struct PreparedFrames {
        std::unordered_map<const std::string*, MessagePtr> plain;
        std::unordered_map<const std::string*, MessagePtr> deflated;
    };
    /// A Send's frame to one of its receivers.
    void sendTo(server::ConnId conn, const server::Action& action, std::size_t maxBuffered, PreparedFrames& prepared,
                server::Outbox& followUp);
    /// A Send to a connection on the direct path.
    void sendDirect(server::ConnId conn, const server::Action& action, typename Direct::Conn& c,
                    std::size_t maxBuffered, server::Outbox& followUp);
    /// The prepared frame of a Send for its connection: compressed once per
    /// batch for connections that negotiated permessage-deflate, when that helps.
    MessagePtr frameFor(server::ConnId conn, const server::Action& action, PreparedFrames& prepared);
    void callWebhook(const server::Action& action);
    /// Reads nothing more from the connection for `delayMs` (INBOUND_BYTES_PER_SECOND).
    void pauseReading(server::ConnId conn, const ConnectionPtr& con, std::int64_t delayMs);
    server::UpgradeRequest upgradeOf(const ConnectionPtr& con) const;
    std::optional<server::ConnId> idOf(Handle hdl) const {
        auto it = ids.find(hdl);
        if (it == ids.end()) return std::nullopt;
        return it->second;
    }
};

template <class Config>
void WebSocketServer::Transport<Config>::setUp() {
    const auto& s = hub.settings();
    // websocketpp's own log writes to stderr past LOG_LEVEL, and calls a
    // client that drops mid-write "fatal": silenced here, the transport logs
    // what matters through spdlog (onFail, at debug).
    endpoint.clear_access_channels(websocketpp::log::alevel::all);
    endpoint.clear_error_channels(websocketpp::log::elevel::all);
    endpoint.set_user_agent("brolostack");  // the Server header: no library name or version to fingerprint
    endpoint.init_asio(&io);
    endpoint.set_reuse_addr(true);
    endpoint.set_listen_backlog(1024);
    endpoint.set_max_message_size(s.maxMessageBytes);
    deflatePolicy = DeflatePolicy{s.compression, s.maxMessageBytes};
    endpoint.set_max_http_body_size(s.maxMessageBytes);
    // Frames are written whole and at once: Nagle's algorithm would only hold
    // small ones back until the peer's delayed ACK (tens of ms of latency).
    endpoint.set_tcp_pre_init_handler([this](Handle h) {
        std::error_code ignored;
        auto con = endpoint.get_con_from_hdl(h, ignored);
        if (con) con->get_raw_socket().set_option(asio::ip::tcp::no_delay(true), ignored);
    });
    endpoint.set_validate_handler([this](Handle h) { return onValidate(h); });
    if (s.shards != 1) {
        // Every shard listens on the same port; the kernel spreads new
        // connections over their listeners.
        endpoint.set_tcp_pre_bind_handler([](const auto& acceptor) {
            std::error_code ec;
            acceptor->set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true), ec);
            return ec;
        });
    }
    endpoint.set_open_handler([this](Handle h) { onOpen(h); });
    endpoint.set_close_handler([this](Handle h) { onClose(h); });
    endpoint.set_fail_handler([this](Handle h) { onFail(h); });
    endpoint.set_message_handler([this](Handle h, MessagePtr m) { onMessage(h, m); });
    endpoint.set_http_handler([this](Handle h) { onHttp(h); });
    endpoint.set_pong_handler([this](Handle h, std::string) {
        if (auto id = idOf(h)) hub.activity(*id, nowMs());
    });
    endpoint.set_ping_handler([this](Handle h, std::string) {
        if (auto id = idOf(h)) {
            hub.activity(*id, nowMs());
            direct.yieldTo(*id);  // websocketpp writes the pong
        }
        return true;  // answer with a pong
    });
    awaitReload();
    signals.async_wait([this](const std::error_code& ec, int signal) {
        if (ec) return;
        logAlways(*log, "signal received: draining", {{"signal", std::int64_t{signal}}});
        beginDrain();
    });
}

template <class Config>
server::UpgradeRequest WebSocketServer::Transport<Config>::upgradeOf(const ConnectionPtr& con) const {
    server::UpgradeRequest r;
    r.origin = header(con, "Origin");
    std::error_code ec;
    auto remote = con->get_raw_socket().remote_endpoint(ec);
    if (!ec) r.remoteAddress = proxies.clientAddress(remote.address().to_string(), header(con, "X-Forwarded-For"));
    if (auto auth = header(con, "Authorization"); auth && auth->rfind("Bearer ", 0) == 0) r.bearer = auth->substr(7);
    r.apiKey = header(con, "X-API-Key");
    if (auto target = parseTarget(con->get_resource())) {
        if (auto it = target->query.find("token"); it != target->query.end() && !r.bearer) r.bearer = it->second;
        if (auto it = target->query.find("apiKey"); it != target->query.end() && !r.apiKey) r.apiKey = it->second;
    }
    return r;
}

template <class Config>
bool WebSocketServer::Transport<Config>::onValidate(Handle hdl) {
    auto con = endpoint.get_con_from_hdl(hdl);
    auto target = parseTarget(con->get_resource());
    auto refuse = [&](int status, const std::string& reason, std::int64_t retryAfter) {
        con->set_status(static_cast<websocketpp::http::status_code::value>(status));
        protocol::Error e;
        e.code = status == 403   ? protocol::ErrorCode::Forbidden
                 : status == 426 ? protocol::ErrorCode::BadRequest
                 : status == 401 ? protocol::ErrorCode::Unauthorized
                 : status == 404 ? protocol::ErrorCode::NotFound
                 : status == 429 ? protocol::ErrorCode::RateLimited
                                 : protocol::ErrorCode::Unavailable;
        e.message = reason;
        con->set_body(errorResponse(e).body);
        con->replace_header("Content-Type", "application/json");
        if (retryAfter > 0) con->replace_header("Retry-After", std::to_string(retryAfter));
        return false;
    };
    if (!target || target->path != hub.settings().wsPath) return refuse(404, "no WebSocket endpoint here", 0);
    // The drafts before RFC 6455 (hybi-00 has no masking) are not offered.
    if (header(con, "Sec-WebSocket-Version").value_or("") != "13") {
        con->replace_header("Sec-WebSocket-Version", "13");
        return refuse(426, "only WebSocket version 13 (RFC 6455) is spoken here", 0);
    }
    if (stopping) return refuse(503, "the server is shutting down", 1);
    server::UpgradeRequest request = upgradeOf(con);
    server::Admission admission = hub.admit(request, nowMs());
    if (!admission.admitted()) {
        logEvent(*log, spdlog::level::info, "upgrade refused",
                 {{"address", request.remoteAddress}, {"status", std::int64_t{admission.status}}, {"reason", admission.reason}});
        return refuse(admission.status, admission.reason, admission.retryAfterSeconds);
    }
    for (const auto& offered : con->get_requested_subprotocols()) {
        if (offered == protocol::kSubprotocol) {
            con->select_subprotocol(std::string(protocol::kSubprotocol));
            break;
        }
    }
    admitted[hdl] = std::move(request);
    return true;
}

template <class Config>
void WebSocketServer::Transport<Config>::onOpen(Handle hdl) {
    auto it = admitted.find(hdl);
    server::UpgradeRequest request = it == admitted.end() ? server::UpgradeRequest{} : it->second;
    if (it != admitted.end()) admitted.erase(it);
    server::ConnId id = nextId++;
    ids[hdl] = id;
    handles[id] = hdl;
    std::error_code ec;
    if (auto con = endpoint.get_con_from_hdl(hdl, ec); !ec) {
        if (!con->get_response_header("Sec-WebSocket-Extensions").empty())
            deflating.insert(id);  // the only extension this server agrees to
        else if (!kTls)
            direct.adopt(id, con);
        dropHandshake(*con);  // after the extension check: it empties the response's headers
    }
    hub.open(id, request, nowMs());
    logEvent(*log, spdlog::level::info, "connection open", {{"conn", static_cast<std::int64_t>(id)}, {"address", request.remoteAddress}});
}

template <class Config>
void WebSocketServer::Transport<Config>::logClosed(Handle hdl, server::ConnId id) {
    std::error_code ec;
    auto con = endpoint.get_con_from_hdl(hdl, ec);
    // The code of the close that ended it: the peer's, or ours when the peer
    // sent none (a drop, or a close the server started and the peer never answered).
    std::int64_t code = 1006;
    if (!ec) {
        auto remote = con->get_remote_close_code();
        bool peerClosed = remote != websocketpp::close::status::no_status &&
                          remote != websocketpp::close::status::abnormal_close && remote != 0;
        code = peerClosed ? remote : con->get_local_close_code();
        if (code == 0 || code == websocketpp::close::status::no_status) code = 1006;
    }
    metrics.connectionClosed(static_cast<int>(code));
    if (!log->should_log(spdlog::level::info)) return;
    auto info = hub.connectionInfo(id).value_or(server::Hub::ConnectionInfo{});
    logEvent(*log, spdlog::level::info, "connection closed",
             {{"conn", static_cast<std::int64_t>(id)}, {"user", info.user}, {"address", info.address},
              {"code", code}, {"durationMs", info.openedAt ? nowMs() - info.openedAt : std::int64_t{0}}});
}

template <class Config>
void WebSocketServer::Transport<Config>::lingerOn(Handle hdl) {
    std::error_code ec;
    auto con = endpoint.get_con_from_hdl(hdl, ec);
    if (!ec) linger.adopt(con->get_raw_socket().native_handle());
}

template <class Config>
void WebSocketServer::Transport<Config>::onClose(Handle hdl) {
    lingerOn(hdl);
    auto id = idOf(hdl);
    if (!id) return;
    logClosed(hdl, *id);
    server::Outbox out;
    hub.closed(*id, nowMs(), out);
    ids.erase(hdl);
    handles.erase(*id);
    deflating.erase(*id);
    direct.forget(*id);
    pausedReading.erase(*id);  // its timer is canceled
    perform(out);
    finishIfDrained();
}

template <class Config>
void WebSocketServer::Transport<Config>::onFail(Handle hdl) {
    if (log->should_log(spdlog::level::debug))
        logEvent(*log, spdlog::level::debug, "connection failed", {{"error", endpoint.get_con_from_hdl(hdl)->get_ec().message()}});
    auto it = admitted.find(hdl);
    if (it != admitted.end()) {
        admitted.erase(it);
        hub.abandon();
    }
    if (idOf(hdl)) onClose(hdl);
    else lingerOn(hdl);
}

template <class Config>
void WebSocketServer::Transport<Config>::onMessage(Handle hdl, const MessagePtr& msg) {
    auto id = idOf(hdl);
    if (!id) return;
    const SteadyTime received = std::chrono::steady_clock::now();
    server::Outbox out;
    if (msg->get_opcode() == websocketpp::frame::opcode::text)
        hub.receiveText(*id, msg->get_payload(), nowMs(), out);
    else
        hub.receiveBinary(*id, msg->get_payload(), nowMs(), out);
    perform(out, received);
}

template <class Config>
void WebSocketServer::Transport<Config>::writeHttpResponse(const ConnectionPtr& con, const HttpRequest& request,
                                                          const BrowserRequest& browser, HttpResponse response) {
    con->set_status(static_cast<websocketpp::http::status_code::value>(response.status));
    if (log->should_log(spdlog::level::info)) {
        std::error_code unknown;
        auto remote = con->get_raw_socket().remote_endpoint(unknown);
        logEvent(*log, spdlog::level::info, "http",
                 {{"method", request.method}, {"path", browser.path.empty() ? request.target : browser.path},
                  {"status", std::int64_t{response.status}}, {"bytes", static_cast<std::int64_t>(response.body.size())},
                  {"address", unknown ? std::string() : proxies.clientAddress(remote.address().to_string(), header(con, "X-Forwarded-For"))}});
    }
    con->replace_header("Content-Type", response.contentType);
    addBrowserHeaders(response, browser, hub.settings());
    for (const auto& [name, value] : response.headers) con->replace_header(name, value);
    // websocketpp ends the connection after each HTTP response; saying so
    // keeps clients with keep-alive pools (fetch, undici, requests) from
    // sending the next request on a socket that is closing.
    con->replace_header("Connection", "close");
    if (request.method == "HEAD") {
        // The headers of the GET answer, its length included, and no body.
        con->set_body("");
        con->replace_header("Content-Length", std::to_string(response.body.size()));
    } else {
        con->set_body(response.body);
    }
}

template <class Config>
void WebSocketServer::Transport<Config>::onHttp(Handle hdl) {
    const SteadyTime received = std::chrono::steady_clock::now();
    auto con = endpoint.get_con_from_hdl(hdl);
    const auto& req = con->get_request();
    HttpRequest request;
    request.method = req.get_method();
    request.target = req.get_uri();
    request.authorization = header(con, "Authorization");
    request.apiKey = header(con, "X-API-Key");
    request.body = req.get_body();
    request.contentLength = header(con, "Content-Length");
    auto target = parseTarget(request.target);
    BrowserRequest browser{request.method, target ? target->path : "", header(con, "Origin"),
                           header(con, "Access-Control-Request-Method")};
    server::Outbox out;
    std::optional<HttpResponse> response = corsPreflight(browser, hub.settings());
    if (!response) response = api.handle(request, nowMs(), out);
    const bool readOnly = request.method == "GET" || request.method == "HEAD";
    if (!response && readOnly) {
        if (auto file = target ? files.find(target->path) : std::nullopt)
            response = staticResponse(std::move(*file), header(con, "If-None-Match"));
    }
    if (!response) response = readOnly ? errorResponse(protocol::makeError(protocol::ErrorCode::NotFound, "not found"))
                                        : methodNotAllowed("GET, HEAD");
    if (response->later) {
        // Cluster mode: the broker places the publish first.
        std::error_code ec = con->defer_http_response();
        if (ec) logEvent(*log, spdlog::level::debug, "cannot defer an HTTP answer", {{"error", ec.message()}});
        // The held connection is owned here: nothing else keeps a deferred one alive.
        response->later->ready = [this, con, deferred = !ec, received, later = response->later, request, browser] {
            writeHttpResponse(con, request, browser, *later->response);
            std::error_code lost;
            if (deferred) con->send_http_response(lost);
            metrics.httpAnswered(secondsSince(received));
        };
        perform(out);
        return;
    }
    writeHttpResponse(con, request, browser, *response);
    if (!mustWaitForStore()) {
        perform(out);
        metrics.httpAnswered(secondsSince(received));
        return;
    }
    // A publish is answered once it is durable, like a WebSocket reply.
    hub.store().stepEnded();
    std::error_code ec = con->defer_http_response();
    if (ec) logEvent(*log, spdlog::level::debug, "cannot defer an HTTP answer", {{"error", ec.message()}});
    // The held connection is owned here: nothing else keeps a deferred one alive.
    gate.hold(hub.store().lastChange(), std::move(out), [this, con, deferred = !ec, received] {
        std::error_code lost;
        if (deferred) con->send_http_response(lost);
        metrics.httpAnswered(secondsSince(received));
    });
}

template <class Config>
void WebSocketServer::Transport<Config>::perform(server::Outbox& out, std::optional<SteadyTime> received) {
    // Every hub step ends in perform(): what it changed is one whole step for the store.
    hub.store().stepEnded();
    if (out.empty()) return;
    const bool delivery = received && deliversMessage(out);
    if (!mustWaitForStore()) {
        performNow(out);
        if (delivery) metrics.publishDelivered(secondsSince(*received));
        return;
    }
    // Pausing reads sends nothing, so it need not wait for the store; waiting
    // would let the connection's next frames in first.
    server::Outbox pauses;
    for (const auto& action : out)
        if (action.kind == server::Action::Kind::PauseReading) pauses.push_back(action);
    if (!pauses.empty()) {
        out.erase(std::remove_if(out.begin(), out.end(),
                                 [](const server::Action& a) { return a.kind == server::Action::Kind::PauseReading; }),
                  out.end());
        performNow(pauses);
    }
    std::function<void()> then;
    if (delivery) then = [this, at = *received] { metrics.publishDelivered(secondsSince(at)); };
    gate.hold(hub.store().lastChange(), std::move(out), std::move(then));
}

template <class Config>
void WebSocketServer::Transport<Config>::performNow(server::Outbox& out) {
    // Each shared frame is prepared once per batch, however many receive it,
    // and compressed at most once for those that negotiated permessage-deflate
    // (null: it goes uncompressed to them too).
    PreparedFrames prepared;
    server::Outbox followUp;
    const std::size_t maxBuffered = hub.settings().maxBufferedBytes;
    for (auto& action : out) {
        switch (action.kind) {
            case server::Action::Kind::Webhook:
                callWebhook(action);
                continue;
            case server::Action::Kind::Broker:
                if (broker) broker(*action.broker);
                continue;
            case server::Action::Kind::Send:
                action.forEachReceiver([&](server::ConnId conn) { sendTo(conn, action, maxBuffered, prepared, followUp); });
                continue;
            case server::Action::Kind::Close:
            case server::Action::Kind::Ping:
                direct.yieldTo(action.conn);  // this turn's frames go before websocketpp's ping or close
                break;
            case server::Action::Kind::PauseReading:
                break;
        }
        auto hit = handles.find(action.conn);
        if (hit == handles.end()) continue;
        std::error_code ec;
        auto con = endpoint.get_con_from_hdl(hit->second, ec);
        if (ec) continue;
        if (action.kind == server::Action::Kind::Close) con->close(action.code, action.reason, ec);
        else if (action.kind == server::Action::Kind::Ping) con->ping("", ec);
        else pauseReading(action.conn, con, action.delayMs);
        if (ec) logEvent(*log, spdlog::level::debug, "close or ping failed", {{"conn", static_cast<std::int64_t>(action.conn)}, {"error", ec.message()}});
    }
    if (!followUp.empty()) performNow(followUp);  // closes for slow consumers: nothing to wait for
}

template <class Config>
void WebSocketServer::Transport<Config>::sendTo(server::ConnId conn, const server::Action& action,
                                                std::size_t maxBuffered, PreparedFrames& prepared,
                                                server::Outbox& followUp) {
    if (auto* c = direct.find(conn)) return sendDirect(conn, action, *c, maxBuffered, followUp);
    auto hit = handles.find(conn);
    if (hit == handles.end()) return;
    std::error_code ec;
    auto con = endpoint.get_con_from_hdl(hit->second, ec);
    if (ec || con->get_state() != websocketpp::session::state::open) return;
    // Real-time stream data is skipped for a receiver that is behind, rather
    // than closing it.
    if (action.droppable && con->get_buffered_amount() > maxBuffered) {
        hub.frameDropped();
        return;
    }
    ec = con->send(frameFor(conn, action, prepared));
    if (ec) {
        logEvent(*log, spdlog::level::debug, "send failed", {{"conn", static_cast<std::int64_t>(conn)}, {"error", ec.message()}});
        return;
    }
    if (!action.droppable && con->get_buffered_amount() > maxBuffered) hub.slowConsumer(conn, followUp);
}

template <class Config>
void WebSocketServer::Transport<Config>::sendDirect(server::ConnId conn, const server::Action& action,
                                                    typename Direct::Conn& c, std::size_t maxBuffered,
                                                    server::Outbox& followUp) {
    // The same rules as websocketpp's path in sendTo, over the same buffered
    // amount. Whether the connection is still open is asked only when it is
    // behind: a frame queued for one that is closing is dropped when the turn
    // is written (the flush asks once per connection, not once per frame).
    if (action.droppable && Direct::buffered(c) > maxBuffered) {
        hub.frameDropped();
        return;
    }
    direct.queue(c, direct.prepare(action.frame, action.binary));
    if (!action.droppable && Direct::buffered(c) > maxBuffered && Direct::open(c)) hub.slowConsumer(conn, followUp);
}

template <class Config>
typename WebSocketServer::Transport<Config>::MessagePtr WebSocketServer::Transport<Config>::frameFor(
    server::ConnId conn, const server::Action& action, PreparedFrames& prepared) {
    const std::string* key = action.frame.get();
    if (deflating.count(conn)) {
        auto [it, added] = prepared.deflated.try_emplace(key);
        if (added) {
            if (auto compressed = deflater.deflate(*action.frame))
                it->second = prepare<Config>(*compressed, action.binary, true);
        }
        if (it->second) return it->second;
    }
    auto& msg = prepared.plain[key];
    if (!msg) msg = prepare<Config>(*action.frame, action.binary);
    return msg;
}

template <class Config>
void WebSocketServer::Transport<Config>::pauseReading(server::ConnId conn, const ConnectionPtr& con,
                                                      std::int64_t delayMs) {
    auto it = pausedReading.find(conn);
    if (it == pausedReading.end()) {
        if (con->pause_reading()) return;  // not open any more
        it = pausedReading.emplace(conn, PausedReading{con, std::make_unique<asio::steady_timer>(io)}).first;
    }
    // Paused already: the debt only grew, and the pause ends later.
    it->second.timer->expires_after(std::chrono::milliseconds(delayMs));
    it->second.timer->async_wait([this, conn](const std::error_code& ec) {
        if (ec) return;  // rescheduled, or the connection closed
        auto paused = pausedReading.find(conn);
        if (paused == pausedReading.end()) return;
        ConnectionPtr con = std::move(paused->second.connection);
        pausedReading.erase(paused);
        con->resume_reading();
    });
}

template <class Config>
void WebSocketServer::Transport<Config>::callWebhook(const server::Action& action) {
    server::ConnId conn = action.conn;
    std::uint64_t ref = action.ref;
    if (!webhooks) {
        const auto& s = hub.settings();
        webhooks = std::make_unique<WebhookClient>(s.backendUrl, s.webhookSecret, s.webhookTimeoutMs);
    }
    const SteadyTime called = std::chrono::steady_clock::now();
    webhooks->post(*action.frame, [this, conn, ref, called](int status, std::string body) {
        // Back on the server's thread with the answer.
        asio::post(io, [this, conn, ref, status, called, body = std::move(body)] {
            metrics.webhookAnswered(secondsSince(called));
            server::Outbox out;
            hub.webhookAnswered(conn, ref, status, body, nowMs(), out);
            perform(out);
        });
    });
}

template <class Config>
void WebSocketServer::Transport<Config>::onTick() {
    server::Outbox out;
    hub.tick(nowMs(), out);
    perform(out);
    tick.expires_after(kTickInterval);
    tick.async_wait([this](const std::error_code& ec) {
        if (!ec) onTick();
    });
}

template <class Config>
void WebSocketServer::Transport<Config>::beginDrain() {
    if (stopping) return;
    stopping = true;
    logAlways(*log, "draining", {{"open", static_cast<std::int64_t>(handles.size())},
                                 {"timeoutMs", static_cast<std::int64_t>(hub.settings().drainTimeoutMs)}});
    // The listener stays open while connections close: load balancers keep
    // getting answers (/readyz 503) and new upgrades are refused (onValidate).
    // Paused connections read again: they have a close handshake to finish.
    for (auto& [conn, paused] : pausedReading) paused.connection->resume_reading();
    pausedReading.clear();
    server::Outbox out;
    hub.drain(out);
    perform(out);
    drainDeadline.expires_after(std::chrono::milliseconds(hub.settings().drainTimeoutMs));
    drainDeadline.async_wait([this](const std::error_code& e) {
        if (e) return;
        if (!handles.empty())
            logAlways(*log, "drain timed out", {{"open", static_cast<std::int64_t>(handles.size())}});
        std::error_code ec;
        endpoint.stop_listening(ec);
        io.stop();
    });
    finishIfDrained();
}

template <class Config>
void WebSocketServer::Transport<Config>::finishIfDrained() {
    if (!stopping || !handles.empty()) return;
    std::error_code ec;
    endpoint.stop_listening(ec);
    tick.cancel();
    drainDeadline.cancel();
    signals.cancel();
    reloadSignal.cancel();
    // Let the last close frames flush, then the io_context runs out of work.
    asio::post(io, [this] { io.stop(); });
}

template <class Config>
std::optional<std::string> WebSocketServer::Transport<Config>::listen(const std::string& host, std::uint16_t port) {
    std::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) return "invalid HOST '" + host + "': " + ec.message();
    endpoint.listen(asio::ip::tcp::endpoint(address, port), ec);
    if (ec) return "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message();
    endpoint.start_accept(ec);
    if (ec) return "cannot accept connections: " + ec.message();
    return std::nullopt;
}

// The certificate and key are read once, at start: a bad file stops the
// start with a message instead of failing every handshake later.
template <class Config>
std::variant<std::shared_ptr<asio::ssl::context>, std::string> WebSocketServer::Transport<Config>::readTlsFiles() const {
    namespace ssl = asio::ssl;
    const auto& s = hub.settings();
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    std::error_code ec;
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                             ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                         ec);
    if (ec) return "cannot set up TLS: " + ec.message();
    context->use_certificate_chain_file(s.tlsCert, ec);
    if (ec) return "cannot use TLS_CERT '" + s.tlsCert + "' (a PEM certificate chain): " + ec.message();
    context->use_private_key_file(s.tlsKey, ssl::context::pem, ec);
    if (ec) return "cannot use TLS_KEY '" + s.tlsKey + "' (the PEM private key of TLS_CERT): " + ec.message();
    return context;
}

template <class Config>
std::optional<std::string> WebSocketServer::Transport<Config>::loadTls() {
    if constexpr (kTls) {
        auto read = readTlsFiles();
        if (auto* error = std::get_if<std::string>(&read)) return *error;
        tlsFiles = std::get<std::shared_ptr<asio::ssl::context>>(std::move(read));
        // One serving context whose certificate is chosen at each handshake
        // from what the files held at the last (re)load. websocketpp makes a
        // connection's TLS stream before its accept completes, so swapping
        // contexts on SIGHUP would reach the next connection but one.
        auto serving = std::get<std::shared_ptr<asio::ssl::context>>(readTlsFiles());
        SSL_CTX_set_cert_cb(serving->native_handle(), &Transport::useCurrentCertificate, this);
        endpoint.set_tls_init_handler([serving](Handle) { return serving; });
    }
    return std::nullopt;
}

template <class Config>
int WebSocketServer::Transport<Config>::useCurrentCertificate(SSL* ssl, void* self) {
    SSL_CTX* files = static_cast<Transport*>(self)->tlsFiles->native_handle();
    STACK_OF(X509)* chain = nullptr;
    SSL_CTX_get0_chain_certs(files, &chain);
    bool ok = SSL_use_certificate(ssl, SSL_CTX_get0_certificate(files)) == 1 &&
              SSL_use_PrivateKey(ssl, SSL_CTX_get0_privatekey(files)) == 1 && SSL_set1_chain(ssl, chain) == 1;
    return ok ? 1 : 0;
}

template <class Config>
void WebSocketServer::Transport<Config>::awaitReload() {
    reloadSignal.async_wait([this](const std::error_code& ec, int) {
        if (ec) return;  // stopping
        if constexpr (kTls) {
            auto read = readTlsFiles();
            if (auto* error = std::get_if<std::string>(&read)) {
                logEvent(*log, spdlog::level::err, "SIGHUP: TLS files not reloaded, the current ones stay", {{"error", *error}});
            } else {
                tlsFiles = std::get<std::shared_ptr<asio::ssl::context>>(std::move(read));
                logAlways(*log, "SIGHUP: TLS certificate and key reloaded", {{"cert", hub.settings().tlsCert}});
            }
        } else {
            logAlways(*log, "SIGHUP: nothing to reload (TLS is off)");
        }
        awaitReload();
    });
}

template <class Config>
std::uint16_t WebSocketServer::Transport<Config>::port() {
    std::error_code ec;
    auto local = endpoint.get_local_endpoint(ec);
    return ec ? 0 : local.port();
}

template <class Config>
void WebSocketServer::Transport<Config>::run() {
    {
        std::lock_guard<std::recursive_mutex> lock(handover);
        onTick();
        serving = true;
    }
    setDeflatePolicyOfThisThread(&deflatePolicy);  // handshakes run on this thread
    io.run();
    setDeflatePolicyOfThisThread(nullptr);
    std::lock_guard<std::recursive_mutex> lock(handover);
    serving = false;
    runHandedOver();
}

template <class Config>
void WebSocketServer::Transport<Config>::runHandedOver() {
    std::deque<std::function<void()>> jobs;
    {
        std::lock_guard<std::recursive_mutex> lock(handover);
        jobs.swap(handedOver);
    }
    for (auto& job : jobs) job();
}

template <class Config>
void WebSocketServer::Transport<Config>::execute(const std::function<void(server::Outbox&, std::int64_t)>& work) {
    auto runHere = [&] {
        server::Outbox out;
        work(out, nowMs());
        perform(out);
    };
    if (io.get_executor().running_in_this_thread()) {
        runHere();
        return;
    }
    std::promise<void> done;
    {
        std::lock_guard<std::recursive_mutex> lock(handover);
        if (!serving) {
            runHere();
            return;
        }
        handedOver.push_back([&] {
            runHere();
            done.set_value();
        });
    }
    asio::post(io, [this] { runHandedOver(); });
    done.get_future().wait();
}

WebSocketServer::WebSocketServer(server::Hub& hub, HttpApi& api, StaticFiles& files, TrustedProxies proxies,
                                 std::shared_ptr<spdlog::logger> log, ServerMetrics& metrics) {
    if (hub.settings().encryption) {
        auto tls = std::make_unique<Transport<TlsConfig>>(hub, api, files, std::move(proxies), std::move(log), metrics);
        tls->setUp();
        impl_ = std::move(tls);
    } else {
        auto plain =
            std::make_unique<Transport<PlainConfig>>(hub, api, files, std::move(proxies), std::move(log), metrics);
        plain->setUp();
        impl_ = std::move(plain);
    }
}

WebSocketServer::~WebSocketServer() = default;

std::optional<std::string> WebSocketServer::loadTls() { return impl_->loadTls(); }
std::optional<std::string> WebSocketServer::listen(const std::string& host, std::uint16_t port) {
    return impl_->listen(host, port);
}
std::uint16_t WebSocketServer::port() const { return impl_->port(); }
void WebSocketServer::run() { impl_->run(); }
void WebSocketServer::post(std::function<void()> work) { impl_->post(std::move(work)); }
void WebSocketServer::execute(const std::function<void(server::Outbox&, std::int64_t)>& work) { impl_->execute(work); }
void WebSocketServer::shutdown() { impl_->shutdown(); }
asio::io_context& WebSocketServer::ioContext() { return impl_->ioContext(); }
void WebSocketServer::setBroker(std::function<void(const server::BrokerRequest&)> perform) {
    impl_->broker = std::move(perform);
}
void WebSocketServer::releaseDurable() {
    impl_->post([impl = impl_.get()] { impl->releaseDurable(); });
}

}  // namespace brolostack::native
