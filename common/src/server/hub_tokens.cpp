// Hub: JWT lifetime (expiry warning, refresh, close 4002) and the rooms and
// sessions claims (PROTOCOL.md section 4).
#include "brolostack/json.hpp"
#include "brolostack/protocol/identifiers.hpp"
#include "brolostack/server/hub.hpp"

namespace brolostack::server {

using protocol::Error;
using protocol::ErrorCode;
using protocol::makeError;

namespace {

constexpr std::int64_t kExpiryWarningMs = 60000;

}  // namespace

bool Hub::claimsAllow(const Connection& c, const std::string& room) const {
    if (!c.identity) return true;
    std::string_view session = protocol::sessionIdOfRoom(room);
    if (!session.empty()) return !c.identity->sessions || matchesAnyPattern(session, *c.identity->sessions);
    return !c.identity->rooms || matchesAnyPattern(room, *c.identity->rooms);
}

void Hub::checkTokenExpiry(Connection& c, std::int64_t now, Outbox& out) {
    if (!c.identity || !c.identity->expiresAtMs) return;
    std::int64_t expiresAt = *c.identity->expiresAtMs;
    if (now >= expiresAt) {
        closeWith(c, protocol::close_code::kTokenExpired, "token expired", out);
        return;
    }
    if (!c.expiringSent && now >= expiresAt - kExpiryWarningMs) {
        c.expiringSent = true;
        protocol::ExpiringFrame warning{expiresAt - now};
        send(c, std::make_shared<const std::string>(protocol::encodeServerFrame(warning)), out);
    }
}

void Hub::handleRefresh(Connection& c, const protocol::RefreshFrame& f, std::int64_t now, Outbox& out) {
    if (!c.identity || !c.identity->expiresAtMs) {
        fail(c, f.ref, "refresh", makeError(ErrorCode::BadRequest, "this connection has no expiring token to refresh"),
             now, out);
        return;
    }
    AuthResult result = auth_.checkToken(f.token, now);
    if (result.outcome != AuthOutcome::Authenticated) {
        fail(c, f.ref, "refresh", makeError(ErrorCode::Unauthorized, result.reason), now, out);
        return;
    }
    if (result.identity.userId != c.identity->userId) {
        fail(c, f.ref, "refresh", makeError(ErrorCode::Forbidden, "the new token is for another user"), now, out);
        return;
    }
    c.identity = std::move(result.identity);
    c.expiringSent = false;
    if (f.ref == 0) return;
    std::string data = "{}";
    if (c.identity->expiresAtMs) data = "{\"exp\":" + std::to_string(*c.identity->expiresAtMs / 1000) + "}";
    reply(c, f.ref, std::move(data), out);
}

}  // namespace brolostack::server
