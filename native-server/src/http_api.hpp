// The HTTP API on the WebSocket port (PROTOCOL.md section 8): routing,
// API-key checks and JSON bodies. No sockets: the WebSocket layer hands
// requests in and writes the responses out.
#pragma once

#include "brolostack/server/hub.hpp"
#include "metrics.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace brolostack::native {

struct HttpRequest {
    std::string method;
    std::string target;  // path and query, as sent
    std::optional<std::string> authorization;
    std::optional<std::string> apiKey;
    std::string body;
    std::optional<std::string> contentLength;  // as received: several headers arrive joined by ", "
};

struct LaterAnswer;

struct HttpResponse {
    int status = 200;
    std::string contentType = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    /// Set when the answer comes later (a publish the broker has yet to
    /// place, in cluster mode): the fields above mean nothing then.
    std::shared_ptr<LaterAnswer> later;
};

/// An answer that comes later: settled once, on the server's thread; the
/// I/O layer sets `ready` to write it out.
struct LaterAnswer {
    std::optional<HttpResponse> response;
    std::function<void()> ready;

    void settle(HttpResponse answer) {
        if (response) return;
        response = std::move(answer);
        if (ready) ready();
    }
    /// The answer when it is here already, else a response that says "later".
    static HttpResponse now(const std::shared_ptr<LaterAnswer>& later) {
        if (later->response) return *later->response;
        HttpResponse pending;
        pending.later = later;
        return pending;
    }
};

class HttpApi {
public:
    HttpApi(server::Hub& hub, const ServerMetrics& metrics) : hub_(hub), metrics_(metrics) {}

    /// Where /metrics and /api/v1/stats read their counts (the hub's by
    /// default; the whole process's when it runs several shards).
    void countFrom(std::function<server::Stats(std::int64_t now)> counts) { counts_ = std::move(counts); }

    /// The response for an API route, or nullopt when the target is not one
    /// (the caller then serves static files).
    std::optional<HttpResponse> handle(const HttpRequest& request, std::int64_t now, server::Outbox& out);

private:
    HttpResponse route(const HttpRequest& request, const std::string& path,
                       const std::map<std::string, std::string>& query, std::int64_t now, server::Outbox& out);
    HttpResponse publish(const std::string& body, std::int64_t now, server::Outbox& out);
    /// The answer `start` gives its callback: now, or later from another node.
    HttpResponse answerLater(int okStatus, const std::function<void(server::Hub::ArgsDone)>& start);
    HttpResponse broadcast(const std::string& body, std::int64_t now, server::Outbox& out);
    HttpResponse disconnect(const std::string& body, server::Outbox& out);
    HttpResponse history(const std::string& room, const std::map<std::string, std::string>& query, server::Outbox& out);
    bool authorized(const HttpRequest& request) const;

    server::Stats counts(std::int64_t now) const { return counts_ ? counts_(now) : hub_.stats(now); }

    server::Hub& hub_;
    const ServerMetrics& metrics_;
    std::function<server::Stats(std::int64_t)> counts_;
};

/// `{"error":{"code","message"}}` with the status that matches the code.
HttpResponse errorResponse(const protocol::Error& error);

/// 405 with the `Allow` header listing `allowed`.
HttpResponse methodNotAllowed(const std::string& allowed);

}  // namespace brolostack::native
