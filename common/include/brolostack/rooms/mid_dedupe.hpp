// Remembers client message ids (`mid`) per publisher for a fixed window, so
// a publish retried after a lost reply is not published twice.
#pragma once

#include "brolostack/store/store.hpp"

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace brolostack::rooms {

/// Where the first publish with a mid landed; repeated in duplicate replies.
struct PublishedAt {
    std::string room;
    std::uint64_t offset = 0;
    std::string epoch;
};

class MidDedupe {
public:
    /// `maxEntries` bounds memory: past it the oldest mids are forgotten early.
    /// `store` (none: nothing is kept) hears every mid remembered.
    MidDedupe(std::int64_t windowMs, std::size_t maxEntries, store::Store* store = nullptr)
        : windowMs_(windowMs), maxEntries_(maxEntries), store_(store) {}

    /// Takes back the mids a store kept, oldest first (before anything else happens).
    void restore(const std::vector<store::StoredMid>& kept, std::int64_t now);

    /// The earlier publish of (`publisher`, `mid`) still in the window, if any.
    std::optional<PublishedAt> find(const std::string& publisher, const std::string& mid, std::int64_t now) const;
    void remember(const std::string& publisher, const std::string& mid, PublishedAt at, std::int64_t now);
    void expire(std::int64_t now);

    std::size_t size() const { return order_.size(); }
    /// How many mids were forgotten before their window ended (memory bound hit).
    std::uint64_t evictedEarly() const { return evictedEarly_; }

private:
    struct Entry {
        PublishedAt at;
        std::int64_t expiresAt;
    };
    struct Key {
        std::string publisher;
        std::string mid;
        std::int64_t expiresAt;
    };
    /// Erases the mid of `key` unless it was remembered again since; true when erased.
    bool forget(const Key& key);

    /// Remembers without telling the store.
    void add(const std::string& publisher, const std::string& mid, PublishedAt at, std::int64_t expiresAt,
             std::int64_t now);

    std::int64_t windowMs_;
    std::size_t maxEntries_;
    store::Store* store_;
    std::unordered_map<std::string, std::unordered_map<std::string, Entry>> byPublisher_;
    std::deque<Key> order_;  // every window has the same length: FIFO = expiry order
    std::uint64_t evictedEarly_ = 0;
};

}  // namespace brolostack::rooms
