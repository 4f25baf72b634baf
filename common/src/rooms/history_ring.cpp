#include "brolostack/rooms/history_ring.hpp"

#include <algorithm>

namespace brolostack::rooms {

namespace {
std::size_t sizeOf(const HistoryEntry& e) { return e.frame ? e.frame->size() : 0; }
}  // namespace

void HistoryRing::push(HistoryEntry entry) {
    // A gap would break the O(1) offset arithmetic below; it can only come
    // from a caller bug, so start the ring afresh rather than lie about it.
    if (!entries_.empty() && entry.offset != entries_.back().offset + 1) {
        entries_.clear();
        bytes_ = 0;
    }
    // A frame over the whole byte budget is delivered but never kept: the
    // ring then holds nothing older either, since offsets stay contiguous.
    if (capacity_ == 0 || sizeOf(entry) > maxBytes_) {
        entries_.clear();
        bytes_ = 0;
        return;
    }
    bytes_ += sizeOf(entry);
    entries_.push_back(std::move(entry));
    while (entries_.size() > capacity_ || bytes_ > maxBytes_) dropOldest();
}

void HistoryRing::expire(std::int64_t now) {
    while (!entries_.empty() && entries_.front().ts + ttlMs_ <= now) dropOldest();
}

void HistoryRing::dropOldest() {
    if (entries_.empty()) return;
    bytes_ -= sizeOf(entries_.front());
    entries_.pop_front();
}

std::vector<HistoryEntry> HistoryRing::after(std::uint64_t offset, std::size_t limit) const {
    std::vector<HistoryEntry> out;
    if (entries_.empty() || limit == 0) return out;
    std::uint64_t first = std::max(offset + 1, entries_.front().offset);
    if (first > entries_.back().offset) return out;
    std::size_t start = static_cast<std::size_t>(first - entries_.front().offset);
    std::size_t count = std::min(limit, entries_.size() - start);
    out.assign(entries_.begin() + static_cast<std::ptrdiff_t>(start),
               entries_.begin() + static_cast<std::ptrdiff_t>(start + count));
    return out;
}

std::vector<HistoryEntry> HistoryRing::newest(std::size_t limit) const {
    std::size_t count = std::min(limit, entries_.size());
    return std::vector<HistoryEntry>(entries_.end() - static_cast<std::ptrdiff_t>(count), entries_.end());
}

bool HistoryRing::coversAfter(std::uint64_t offset, std::uint64_t latestOffset) const {
    if (offset >= latestOffset) return offset == latestOffset;
    return !entries_.empty() && entries_.front().offset <= offset + 1 && entries_.back().offset == latestOffset;
}

}  // namespace brolostack::rooms
