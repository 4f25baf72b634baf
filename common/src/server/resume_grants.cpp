#include "brolostack/server/resume_grants.hpp"

namespace brolostack::server {

void ResumeGrants::restore(const std::vector<store::StoredGrant>& kept, std::int64_t now) {
    for (const auto& g : kept) {
        std::int64_t expiresAt = g.expiresAt.value_or(now + windowMs_);
        if (expiresAt > now) grants_[g.token] = Grant{g.dedupeKey, expiresAt};
    }
}

void ResumeGrants::issue(const std::string& token, const std::string& dedupeKey) {
    grants_[token] = Grant{dedupeKey, std::nullopt};
    if (store_) store_->grantIssued(token, dedupeKey);
}

std::optional<std::string> ResumeGrants::lookup(const std::string& token, std::int64_t now) const {
    auto it = grants_.find(token);
    if (it == grants_.end() || (it->second.expiresAt && *it->second.expiresAt <= now)) return std::nullopt;
    return it->second.dedupeKey;
}

void ResumeGrants::release(const std::string& token, std::int64_t now) {
    auto it = grants_.find(token);
    if (it == grants_.end()) return;
    it->second.expiresAt = now + windowMs_;
    if (store_) store_->grantExpires(token, *it->second.expiresAt);
}

void ResumeGrants::expire(std::int64_t now) {
    for (auto it = grants_.begin(); it != grants_.end();)
        it = it->second.expiresAt && *it->second.expiresAt <= now ? grants_.erase(it) : std::next(it);
}

}  // namespace brolostack::server
