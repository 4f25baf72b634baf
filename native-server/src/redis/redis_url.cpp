#include "redis/redis_url.hpp"

#include <cctype>
#include <limits>

namespace brolostack::native::redis {
namespace {

constexpr std::string_view kScheme = "redis://";

bool startsWithNoCase(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
    return true;
}

/// A decimal number of at most `max`, nothing else.
bool parseNumber(std::string_view text, long max, long& out) {
    if (text.empty() || text.size() > 10) return false;
    long value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
    }
    if (value > max) return false;
    out = value;
    return true;
}

}  // namespace

std::string RedisAddress::url() const {
    bool v6 = host.find(':') != std::string::npos;
    std::string out = "redis://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
    if (db != 0) out += "/" + std::to_string(db);
    return out;
}

std::variant<RedisAddress, std::string> parseRedisUrl(std::string_view url) {
    auto bad = [&](const std::string& why) { return "invalid Redis URL '" + std::string(url) + "': " + why; };
    if (startsWithNoCase(url, "rediss://")) return bad("TLS (rediss://) is not supported");
    if (!startsWithNoCase(url, kScheme)) return bad("expected redis://host[:port][/db]");
    std::string_view rest = url.substr(kScheme.size());
    if (rest.find_first_of("?#") != std::string_view::npos) return bad("query strings and fragments are not supported");

    auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (authority.find('@') != std::string_view::npos) return bad("credentials in the URL are not supported");

    RedisAddress address;
    std::string_view portText;
    if (!authority.empty() && authority.front() == '[') {  // [v6-address]:port
        auto close = authority.find(']');
        if (close == std::string_view::npos) return bad("unclosed '[' in the host");
        address.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return bad("expected ':' after ']'");
            portText = after.substr(1);
            if (portText.empty()) return bad("empty port");
        }
    } else {
        auto colon = authority.find(':');
        address.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            portText = authority.substr(colon + 1);
            if (portText.empty()) return bad("empty port");
        }
    }
    if (address.host.empty()) return bad("no host");
    if (!portText.empty()) {
        long port = 0;
        if (!parseNumber(portText, 65535, port) || port == 0) return bad("the port must be a number from 1 to 65535");
        address.port = static_cast<std::uint16_t>(port);
    }
    if (!path.empty()) {
        long db = 0;
        if (!parseNumber(path, std::numeric_limits<int>::max(), db)) return bad("the database must be a number");
        address.db = static_cast<int>(db);
    }
    return address;
}

}  // namespace brolostack::native::redis
