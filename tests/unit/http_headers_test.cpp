// CORS and security headers (http_headers.hpp): allowed origins get CORS,
// every other origin gets none, and every answer carries the security
// headers browsers act on.
#include "http_headers.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace {

using brolostack::config::Settings;
using brolostack::native::addBrowserHeaders;
using brolostack::native::BrowserRequest;
using brolostack::native::corsPreflight;
using brolostack::native::HttpResponse;

std::optional<std::string> headerOf(const HttpResponse& r, const std::string& name) {
    for (const auto& [n, v] : r.headers)
        if (n == name) return v;
    return std::nullopt;
}

Settings allowing(std::vector<std::string> origins) {
    Settings s;
    s.anyOrigin = false;
    s.allowedOrigins = std::move(origins);
    return s;
}

TEST(HttpHeaders, PreflightOfAnAllowedOriginNamesItAndWhatMayBeSent) {
    Settings s = allowing({"https://app.example.com"});
    auto r = corsPreflight(BrowserRequest{"OPTIONS", "/api/v1/publish", "https://app.example.com", "POST"}, s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 204);
    EXPECT_EQ(headerOf(*r, "Access-Control-Allow-Origin"), "https://app.example.com");
    EXPECT_EQ(headerOf(*r, "Vary"), "Origin");
    EXPECT_NE(headerOf(*r, "Access-Control-Allow-Headers")->find("Authorization"), std::string::npos);
    EXPECT_NE(headerOf(*r, "Access-Control-Allow-Methods")->find("POST"), std::string::npos);
}

TEST(HttpHeaders, OtherOriginsGetNoCorsAtAll) {
    Settings s = allowing({"https://app.example.com"});
    for (const char* origin : {"https://app.example.com.evil.net", "http://app.example.com", "https://evil.example", "null"}) {
        auto pre = corsPreflight(BrowserRequest{"OPTIONS", "/api/v1/stats", origin, "GET"}, s);
        ASSERT_TRUE(pre) << origin;
        EXPECT_EQ(pre->status, 403) << origin;
        EXPECT_FALSE(headerOf(*pre, "Access-Control-Allow-Origin")) << origin;
        HttpResponse r;
        addBrowserHeaders(r, BrowserRequest{"GET", "/api/v1/stats", origin, std::nullopt}, s);
        EXPECT_FALSE(headerOf(r, "Access-Control-Allow-Origin")) << origin;
    }
}

TEST(HttpHeaders, OnlyRealPreflightsAreAnsweredAsSuch) {
    Settings s;
    EXPECT_FALSE(corsPreflight(BrowserRequest{"OPTIONS", "/api/v1/stats", "https://a.example", std::nullopt}, s));
    EXPECT_FALSE(corsPreflight(BrowserRequest{"OPTIONS", "/api/v1/stats", std::nullopt, "GET"}, s));
    EXPECT_FALSE(corsPreflight(BrowserRequest{"GET", "/api/v1/stats", "https://a.example", "GET"}, s));
}

TEST(HttpHeaders, AnyOriginIsAStarWithoutVary) {
    Settings s;  // development: any origin
    HttpResponse r;
    addBrowserHeaders(r, BrowserRequest{"GET", "/api/v1/stats", "http://localhost:5173", std::nullopt}, s);
    EXPECT_EQ(headerOf(r, "Access-Control-Allow-Origin"), "*");
    EXPECT_FALSE(headerOf(r, "Vary"));
}

TEST(HttpHeaders, SecurityHeadersOnEveryAnswerAndARestrictivePolicyOnTheApi) {
    Settings s;
    HttpResponse api;
    addBrowserHeaders(api, BrowserRequest{"GET", "/api/v1/stats", std::nullopt, std::nullopt}, s);
    EXPECT_EQ(headerOf(api, "X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(headerOf(api, "Content-Security-Policy"), "default-src 'none'; frame-ancestors 'none'");
    EXPECT_FALSE(headerOf(api, "Strict-Transport-Security")) << "no HSTS over plain HTTP";
    HttpResponse page;
    addBrowserHeaders(page, BrowserRequest{"GET", "/", std::nullopt, std::nullopt}, s);
    EXPECT_EQ(headerOf(page, "X-Content-Type-Options"), "nosniff");
    EXPECT_FALSE(headerOf(page, "Content-Security-Policy")) << "the page's own policy is the app's to set";
    s.encryption = true;
    HttpResponse tls;
    addBrowserHeaders(tls, BrowserRequest{"GET", "/healthz", std::nullopt, std::nullopt}, s);
    EXPECT_EQ(headerOf(tls, "Strict-Transport-Security"), "max-age=31536000");
}

}  // namespace
