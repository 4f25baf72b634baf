#include "brolostack/server/broker.hpp"

#include "brolostack/protocol/identifiers.hpp"

#include <charconv>

namespace brolostack::server {

namespace {

std::optional<std::uint64_t> parseNumber(std::string_view text) {
    std::uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

}  // namespace

protocol::Error brokerUnreachable() {
    return protocol::makeError(protocol::ErrorCode::Unavailable, "the message broker is unreachable; try again shortly");
}

std::string BrokerOrigin::encode() const {
    return node + ':' + std::to_string(token) + ':' + std::to_string(skip);
}

std::optional<BrokerOrigin> BrokerOrigin::parse(std::string_view text) {
    auto first = text.find(':');
    auto second = first == std::string_view::npos ? first : text.find(':', first + 1);
    if (first == 0 || second == std::string_view::npos) return std::nullopt;
    auto token = parseNumber(text.substr(first + 1, second - first - 1));
    auto skip = parseNumber(text.substr(second + 1));
    if (!token || !skip) return std::nullopt;
    return BrokerOrigin{std::string(text.substr(0, first)), *token, *skip};
}

std::string_view nodeOfMemberKey(std::string_view key) {
    auto colon = key.find(':');
    return colon == std::string_view::npos ? std::string_view{} : key.substr(0, colon);
}

std::optional<std::uint64_t> connOfMemberKey(std::string_view key) {
    auto colon = key.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    return parseNumber(key.substr(colon + 1));
}

bool isClusterResumeToken(std::string_view token) {
    return protocol::isTokenText(token, kMinResumeTokenBytes, kMaxResumeTokenBytes);
}

}  // namespace brolostack::server
