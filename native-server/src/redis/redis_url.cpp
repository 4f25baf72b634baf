#include "redis/redis_url.hpp"

#include "brolostack/config/settings.hpp"

#include <cctype>
#include <limits>
#include <optional>

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

/// `text` with %XX sequences decoded; none when one is malformed.
std::optional<std::string> percentDecoded(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
            !std::isxdigit(static_cast<unsigned char>(text[i + 2])))
            return std::nullopt;
        out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
        i += 2;
    }
    return out;
}

}  // namespace

std::string RedisAddress::url() const {
    bool v6 = host.find(':') != std::string::npos;
    std::string credentials = password.empty() ? "" : user + ":****@";
    std::string out = "redis://" + credentials + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
    if (db != 0) out += "/" + std::to_string(db);
    return out;
}

std::variant<RedisAddress, std::string> parseRedisUrl(std::string_view url) {
    auto bad = [&](const std::string& why) { return "invalid Redis URL '" + config::withoutPassword(url) + "': " + why; };
    if (startsWithNoCase(url, "rediss://")) return bad("TLS (rediss://) is not supported");
    if (!startsWithNoCase(url, kScheme)) return bad("expected redis://host[:port][/db]");
    std::string_view rest = url.substr(kScheme.size());
    if (rest.find_first_of("?#") != std::string_view::npos) return bad("query strings and fragments are not supported");

    auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    RedisAddress address;
    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
        std::string_view credentials = authority.substr(0, at);
        authority = authority.substr(at + 1);
        auto colon = credentials.find(':');
        if (colon == std::string_view::npos) return bad("credentials need a password: [user]:password@host");
        auto user = percentDecoded(credentials.substr(0, colon));
        auto password = percentDecoded(credentials.substr(colon + 1));
        if (!user || !password) return bad("malformed %-escape in the credentials");
        if (password->empty()) return bad("empty password");
        address.user = std::move(*user);
        address.password = std::move(*password);
    }
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
