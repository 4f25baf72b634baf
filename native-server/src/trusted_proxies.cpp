#include "trusted_proxies.hpp"

#include <asio/ip/address.hpp>

namespace brolostack::native {
namespace {

std::string trim(std::string s) {
    s.erase(0, s.find_first_not_of(" \t"));
    s.erase(s.find_last_not_of(" \t") + 1);
    return s;
}

/// An address as a single-host network: "10.1.2.3" is "10.1.2.3/32".
std::string withPrefix(const std::string& cidr) {
    if (cidr.find('/') != std::string::npos) return cidr;
    return cidr + (cidr.find(':') != std::string::npos ? "/128" : "/32");
}

}  // namespace

std::variant<TrustedProxies, std::string> TrustedProxies::parse(const std::vector<std::string>& cidrs) {
    TrustedProxies proxies;
    for (const auto& raw : cidrs) {
        std::string cidr = withPrefix(trim(raw));
        std::error_code ec;
        if (cidr.find(':') != std::string::npos) {
            auto net = asio::ip::make_network_v6(cidr, ec);
            if (!ec) proxies.v6_.push_back(net.canonical());
        } else {
            auto net = asio::ip::make_network_v4(cidr, ec);
            if (!ec) proxies.v4_.push_back(net.canonical());
        }
        if (ec) return "TRUSTED_PROXIES: '" + raw + "' is not an address or a CIDR (10.0.0.0/8, fd00::/8)";
    }
    return proxies;
}

bool TrustedProxies::trusts(const std::string& address) const {
    std::error_code ec;
    auto a = asio::ip::make_address(trim(address), ec);
    if (ec) return false;
    if (a.is_v6() && a.to_v6().is_v4_mapped()) a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
    if (a.is_v4()) {
        for (const auto& net : v4_)
            if (asio::ip::network_v4(a.to_v4(), net.prefix_length()).canonical() == net) return true;
    } else {
        for (const auto& net : v6_)
            if (asio::ip::network_v6(a.to_v6(), net.prefix_length()).canonical() == net) return true;
    }
    return false;
}

std::string TrustedProxies::clientAddress(const std::string& peer, const std::optional<std::string>& forwardedFor) const {
    if (!forwardedFor || !trusts(peer)) return peer;
    // Right to left: each trusted hop vouches for the address before it.
    std::string client = peer;
    std::size_t end = forwardedFor->size();
    while (end > 0) {
        std::size_t comma = forwardedFor->rfind(',', end - 1);
        std::size_t start = comma == std::string::npos ? 0 : comma + 1;
        std::string hop = trim(forwardedFor->substr(start, end - start));
        std::error_code ec;
        asio::ip::make_address(hop, ec);
        if (ec) return client;  // garbage ends the chain: keep the last address vouched for
        client = hop;
        if (!trusts(hop)) return client;
        if (comma == std::string::npos) break;
        end = comma;
    }
    return client;
}

}  // namespace brolostack::native
