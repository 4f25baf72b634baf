// `redis://[[user]:password@]host[:port][/db]`, the form BROKER takes in
// cluster mode. The password (and user, for Redis 6 ACLs) may hold any
// character percent-encoded (`%40` for '@').
// (url.hpp splits request targets, not a scheme and an authority, so it
// does not fit here.)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace brolostack::native::redis {

struct RedisAddress {
    std::string host;  // a name, an IPv4 address or an IPv6 address (without brackets)
    std::uint16_t port = 6379;
    int db = 0;
    std::string user;  // empty: the default user (AUTH <password>)
    std::string password;  // empty: no AUTH

    /// Back in URL form, for logs and error messages: the password shows as ****.
    std::string url() const;
};

/// The address, or a message that says what is wrong with `url`.
std::variant<RedisAddress, std::string> parseRedisUrl(std::string_view url);

}  // namespace brolostack::native::redis
