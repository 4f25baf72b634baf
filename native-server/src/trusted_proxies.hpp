// Which address a request comes from when the server sits behind proxies:
// the peer's address, unless the peer is a trusted proxy (TRUSTED_PROXIES,
// CIDRs), in which case X-Forwarded-For is read from the right, past every
// trusted hop, to the first address a trusted proxy vouched for. A client
// can write anything into the header, so only hops we trust are believed.
#pragma once

#include <asio/ip/network_v4.hpp>
#include <asio/ip/network_v6.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace brolostack::native {

class TrustedProxies {
public:
    /// The networks of `cidrs` ("10.0.0.0/8", "::1/128", or a bare address),
    /// or a message naming the first entry that is not one.
    static std::variant<TrustedProxies, std::string> parse(const std::vector<std::string>& cidrs);

    bool trusts(const std::string& address) const;
    /// The client's address for a peer at `peer` that sent `forwardedFor`.
    std::string clientAddress(const std::string& peer, const std::optional<std::string>& forwardedFor) const;
    bool empty() const { return v4_.empty() && v6_.empty(); }

private:
    std::vector<asio::ip::network_v4> v4_;
    std::vector<asio::ip::network_v6> v6_;
};

}  // namespace brolostack::native
