// Resume grants (PROTOCOL.md section 3): each connection gets a secret
// resume token at hello; a later anonymous connection presenting it shares
// the earlier one's mid namespace, so publishes retried after a reconnect
// (or a server restart) are recognised. A grant lives while its
// connection is open, then for one mid window.
#pragma once

#include "brolostack/store/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace brolostack::server {

class ResumeGrants {
public:
    /// `store` (none: nothing is kept) hears every grant issued and closed.
    ResumeGrants(std::int64_t windowMs, store::Store* store) : windowMs_(windowMs), store_(store) {}

    /// Takes back the grants a store kept: one still open at the crash
    /// lapses one window from `now`, as if its connection closed now.
    void restore(const std::vector<store::StoredGrant>& kept, std::int64_t now);
    /// A grant for an open connection's `token`.
    void issue(const std::string& token, const std::string& dedupeKey);
    /// The dedupe key `token` grants, if it is a live grant.
    std::optional<std::string> lookup(const std::string& token, std::int64_t now) const;
    /// The token's connection closed: the grant lapses one window from now.
    void release(const std::string& token, std::int64_t now);
    void expire(std::int64_t now);

private:
    struct Grant {
        std::string dedupeKey;
        std::optional<std::int64_t> expiresAt;  // none while the connection is open
    };
    std::int64_t windowMs_;
    store::Store* store_;
    std::unordered_map<std::string, Grant> grants_;
};

}  // namespace brolostack::server
