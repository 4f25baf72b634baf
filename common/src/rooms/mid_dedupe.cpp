#include "brolostack/rooms/mid_dedupe.hpp"

namespace brolostack::rooms {

std::optional<PublishedAt> MidDedupe::find(const std::string& publisher, const std::string& mid,
                                           std::int64_t now) const {
    auto p = byPublisher_.find(publisher);
    if (p == byPublisher_.end()) return std::nullopt;
    auto m = p->second.find(mid);
    if (m == p->second.end() || m->second.expiresAt <= now) return std::nullopt;
    return m->second.at;
}

void MidDedupe::restore(const std::vector<store::StoredMid>& kept, std::int64_t now) {
    for (const auto& m : kept)
        if (m.expiresAt > now) add(m.publisher, m.mid, PublishedAt{m.room, m.offset, m.epoch}, m.expiresAt, now);
}

void MidDedupe::remember(const std::string& publisher, const std::string& mid, PublishedAt at, std::int64_t now) {
    std::int64_t expiresAt = now + windowMs_;
    if (store_) store_->midRemembered(store::StoredMid{publisher, mid, at.room, at.offset, at.epoch, expiresAt});
    add(publisher, mid, std::move(at), expiresAt, now);
}

void MidDedupe::add(const std::string& publisher, const std::string& mid, PublishedAt at, std::int64_t expiresAt,
                    std::int64_t now) {
    auto& mids = byPublisher_[publisher];
    auto [it, inserted] = mids.try_emplace(mid, Entry{std::move(at), expiresAt});
    if (!inserted) {
        it->second.expiresAt = expiresAt;
        // The older queue entry stays; forget() checks expiry before erasing.
    }
    order_.push_back(Key{publisher, mid, expiresAt});
    while (order_.size() > maxEntries_) {
        if (forget(order_.front()) && order_.front().expiresAt > now) ++evictedEarly_;
        order_.pop_front();
    }
}

void MidDedupe::expire(std::int64_t now) {
    while (!order_.empty() && order_.front().expiresAt <= now) {
        forget(order_.front());
        order_.pop_front();
    }
}

bool MidDedupe::forget(const Key& key) {
    auto p = byPublisher_.find(key.publisher);
    if (p == byPublisher_.end()) return false;
    auto m = p->second.find(key.mid);
    // A mid remembered again later has a later expiry: only its last queue
    // entry may erase it.
    bool erased = m != p->second.end() && m->second.expiresAt == key.expiresAt;
    if (erased) p->second.erase(m);
    if (p->second.empty()) byPublisher_.erase(p);
    return erased;
}

}  // namespace brolostack::rooms
