// The headers every HTTP answer on the WebSocket port carries for browsers:
// CORS for the allowed origins only (preflights answered here), and
// security headers. Pure functions over the request, the response and the
// settings, so each rule is testable without a socket.
#pragma once

#include "brolostack/config/settings.hpp"
#include "http_api.hpp"

#include <optional>
#include <string>

namespace brolostack::native {

/// The browser-facing parts of a request.
struct BrowserRequest {
    std::string method;
    std::string path;
    std::optional<std::string> origin;
    std::optional<std::string> accessControlRequestMethod;
};

/// The answer to a CORS preflight (OPTIONS with Access-Control-Request-Method),
/// or nullopt when the request is not one. An origin that is not allowed
/// gets 403 and no CORS header at all.
std::optional<HttpResponse> corsPreflight(const BrowserRequest& request, const config::Settings& settings);

/// Adds CORS (for an allowed Origin) and security headers to `response`.
void addBrowserHeaders(HttpResponse& response, const BrowserRequest& request, const config::Settings& settings);

}  // namespace brolostack::native
