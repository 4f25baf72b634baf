#include "http_headers.hpp"

#include <algorithm>

namespace brolostack::native {
namespace {

constexpr const char* kAllowedMethods = "GET, HEAD, POST, DELETE";
constexpr const char* kAllowedHeaders = "Authorization, Content-Type, X-API-Key";

/// The value for Access-Control-Allow-Origin, or nullopt for no CORS:
/// the allowed origins compare whole (scheme, host and port).
std::optional<std::string> allowOriginFor(const std::optional<std::string>& origin, const config::Settings& s) {
    if (!origin) return std::nullopt;
    if (s.anyOrigin) return std::string("*");
    if (std::find(s.allowedOrigins.begin(), s.allowedOrigins.end(), *origin) != s.allowedOrigins.end()) return *origin;
    return std::nullopt;
}

bool isApiPath(const std::string& path) {
    return path.rfind("/api/", 0) == 0 || path == "/healthz" || path == "/readyz" || path == "/metrics";
}

}  // namespace

std::optional<HttpResponse> corsPreflight(const BrowserRequest& request, const config::Settings& settings) {
    if (request.method != "OPTIONS" || !request.accessControlRequestMethod || !request.origin) return std::nullopt;
    HttpResponse r;
    auto allow = allowOriginFor(request.origin, settings);
    if (!allow) {
        r = errorResponse(protocol::makeError(protocol::ErrorCode::Forbidden, "origin not allowed"));
        return r;
    }
    r.status = 204;
    r.contentType = "text/plain";
    r.headers.emplace_back("Access-Control-Allow-Origin", *allow);
    r.headers.emplace_back("Access-Control-Allow-Methods", kAllowedMethods);
    r.headers.emplace_back("Access-Control-Allow-Headers", kAllowedHeaders);
    r.headers.emplace_back("Access-Control-Max-Age", "600");
    if (*allow != "*") r.headers.emplace_back("Vary", "Origin");
    return r;
}

void addBrowserHeaders(HttpResponse& response, const BrowserRequest& request, const config::Settings& settings) {
    if (auto allow = allowOriginFor(request.origin, settings)) {
        response.headers.emplace_back("Access-Control-Allow-Origin", *allow);
        if (*allow != "*") response.headers.emplace_back("Vary", "Origin");
    }
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    response.headers.emplace_back("Referrer-Policy", "no-referrer");
    // The API answers JSON and text only: nothing in it may run or be framed.
    if (isApiPath(request.path))
        response.headers.emplace_back("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    if (settings.encryption) response.headers.emplace_back("Strict-Transport-Security", "max-age=31536000");
}

}  // namespace brolostack::native
