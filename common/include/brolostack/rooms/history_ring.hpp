// The bounded history of one room: the newest messages, by count, by bytes
// and by age.
// Offsets in the ring are contiguous, so lookups by offset are O(1).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace brolostack::rooms {

/// One serialized message frame, shared by every connection it is sent to.
using SharedFrame = std::shared_ptr<const std::string>;

struct HistoryEntry {
    std::uint64_t offset = 0;
    std::int64_t ts = 0;
    SharedFrame frame;
};

class HistoryRing {
public:
    /// At most `capacity` messages of at most `maxBytes` frame bytes in all
    /// (a single larger frame is not kept), none older than `ttlMs`.
    HistoryRing(std::size_t capacity, std::int64_t ttlMs, std::size_t maxBytes)
        : capacity_(capacity), ttlMs_(ttlMs), maxBytes_(maxBytes) {}

    /// Appends the message with the next offset (offsets must rise by one).
    void push(HistoryEntry entry);
    /// Drops entries older than the ttl.
    void expire(std::int64_t now);
    /// Drops the oldest entry (for a budget shared by many rooms).
    void dropOldest();

    /// Up to `limit` entries with offset > `offset`, oldest first.
    std::vector<HistoryEntry> after(std::uint64_t offset, std::size_t limit) const;
    /// The newest `limit` entries, oldest first.
    std::vector<HistoryEntry> newest(std::size_t limit) const;
    /// Whether every message after `offset` up to the newest is still held.
    bool coversAfter(std::uint64_t offset, std::uint64_t latestOffset) const;

    bool empty() const { return entries_.empty(); }
    std::size_t size() const { return entries_.size(); }
    std::uint64_t oldestOffset() const { return entries_.empty() ? 0 : entries_.front().offset; }
    /// When the oldest entry expires (0 when empty).
    std::int64_t nextExpiry() const { return entries_.empty() ? 0 : entries_.front().ts + ttlMs_; }
    /// Frame bytes held.
    std::size_t bytes() const { return bytes_; }

private:
    std::size_t capacity_;
    std::int64_t ttlMs_;
    std::size_t maxBytes_;
    std::size_t bytes_ = 0;
    std::deque<HistoryEntry> entries_;
};

}  // namespace brolostack::rooms
