#include "brolostack/rooms/room_registry.hpp"

#include <algorithm>
#include <vector>

namespace brolostack::rooms {

namespace {
const std::set<std::string> kNoRooms;

/// The first offset the room still holds (one past the last when it holds none).
std::uint64_t firstKept(const Room& room) {
    return room.history.empty() ? room.lastOffset + 1 : room.history.oldestOffset();
}
}  // namespace

void RoomRegistry::restore(const std::vector<store::StoredRoom>& kept, std::int64_t now) {
    for (const auto& stored : kept) {
        Room& room = rooms_.try_emplace(stored.id, stored.id, stored.epoch, settings_.historySize,
                                        settings_.historyTtlMs, settings_.historyMaxBytes)
                         .first->second;
        room.name = stored.name;
        room.lastActivity = stored.lastActivity;
        std::uint64_t keptFrom = stored.history.empty() ? stored.lastOffset + 1 : stored.history.front().offset;
        // The ring applies today's bounds: settings may have shrunk since.
        for (const auto& m : stored.history) room.history.push(HistoryEntry{m.offset, m.ts, m.frame});
        room.lastOffset = stored.lastOffset;
        room.history.expire(now);
        reportTrim(room, keptFrom);
    }
    for (auto& [id, room] : rooms_) {
        historyBytes_ += room.history.bytes();
        schedule(room);
    }
    enforceBudget();
}

std::int64_t RoomRegistry::dueAt(const Room& room) const {
    if (!room.history.empty()) return room.history.nextExpiry();
    if (!room.members.empty()) return 0;
    // A room that never had a message holds nothing a returning client could
    // recover: it goes soon after its last member, so join/leave churn over
    // many names does not pile up rooms.
    return room.lastActivity + (room.lastOffset == 0 ? settings_.emptyRoomTtlMs : settings_.historyTtlMs);
}

void RoomRegistry::schedule(Room& room) {
    std::int64_t at = dueAt(room);
    if (at == 0 || (room.checkAt != 0 && room.checkAt <= at)) return;
    room.checkAt = at;
    due_.emplace(at, room.id);
}

void RoomRegistry::reportTrim(const Room& room, std::uint64_t firstKeptBefore) {
    if (store_ && firstKept(room) > firstKeptBefore) store_->historyTrimmed(room.id, firstKept(room));
}

void RoomRegistry::name(Room& room, const std::string& name) {
    if (room.name == name) return;
    room.name = name;
    if (store_) store_->roomNamed(room.id, name);
}

Room& RoomRegistry::obtain(const std::string& roomId, std::int64_t now) {
    auto it = rooms_.find(roomId);
    if (it == rooms_.end()) {
        it = rooms_.try_emplace(roomId, roomId, newEpoch_(), settings_.historySize, settings_.historyTtlMs,
                                settings_.historyMaxBytes)
                 .first;
        it->second.lastActivity = now;
        if (store_) store_->roomCreated(roomId, it->second.epoch, now);
        schedule(it->second);
    }
    return it->second;
}

std::size_t RoomRegistry::beyondCapacity(const std::vector<std::string>& roomIds) const {
    std::size_t missing = 0;
    for (const auto& id : roomIds)
        if (!id.empty() && id.front() != '$' && !rooms_.count(id)) ++missing;
    std::size_t room = settings_.maxRooms > rooms_.size() ? settings_.maxRooms - rooms_.size() : 0;
    return missing > room ? missing - room : 0;
}

Room* RoomRegistry::find(const std::string& roomId) {
    auto it = rooms_.find(roomId);
    return it == rooms_.end() ? nullptr : &it->second;
}

const Room* RoomRegistry::find(const std::string& roomId) const {
    auto it = rooms_.find(roomId);
    return it == rooms_.end() ? nullptr : &it->second;
}

bool RoomRegistry::join(Room& room, MemberId member, MemberEntry entry, std::int64_t now) {
    room.lastActivity = now;
    if (!room.members.emplace(member, std::move(entry)).second) return false;
    room.memberIds.insert(std::upper_bound(room.memberIds.begin(), room.memberIds.end(), member), member);
    memberRooms_[member].insert(room.id);
    return true;
}

bool RoomRegistry::leave(const std::string& roomId, MemberId member, std::int64_t now) {
    Room* room = find(roomId);
    if (!room || room->members.erase(member) == 0) return false;
    room->memberIds.erase(std::lower_bound(room->memberIds.begin(), room->memberIds.end(), member));
    room->lastActivity = now;
    auto it = memberRooms_.find(member);
    if (it != memberRooms_.end()) {
        it->second.erase(roomId);
        if (it->second.empty()) memberRooms_.erase(it);
    }
    schedule(*room);
    return true;
}

const std::set<std::string>& RoomRegistry::roomsOf(MemberId member) const {
    auto it = memberRooms_.find(member);
    return it == memberRooms_.end() ? kNoRooms : it->second;
}

bool RoomRegistry::isMember(const std::string& roomId, MemberId member) const {
    const Room* room = find(roomId);
    return room && room->members.count(member) > 0;
}

std::uint64_t RoomRegistry::append(Room& room, std::int64_t now,
                                   const std::function<SharedFrame(std::uint64_t)>& build, SharedFrame* builtOut) {
    std::uint64_t keptFrom = firstKept(room);
    std::uint64_t offset = ++room.lastOffset;
    SharedFrame frame = build(offset);
    std::size_t before = room.history.bytes();
    room.history.push(HistoryEntry{offset, now, frame});
    historyBytes_ = historyBytes_ - before + room.history.bytes();
    room.lastActivity = now;
    if (store_) store_->messageAppended(room.id, store::StoredMessage{offset, now, frame});
    reportTrim(room, keptFrom);
    if (builtOut) *builtOut = std::move(frame);
    schedule(room);
    enforceBudget();
    return offset;
}

Room& RoomRegistry::adopt(const std::string& roomId, const std::string& epoch, std::uint64_t lastOffset,
                          const std::vector<HistoryEntry>& messages, std::int64_t now) {
    auto it = rooms_.find(roomId);
    if (it == rooms_.end()) {
        it = rooms_.try_emplace(roomId, roomId, epoch, settings_.historySize, settings_.historyTtlMs,
                                settings_.historyMaxBytes)
                 .first;
        it->second.lastActivity = now;
    }
    Room& room = it->second;
    historyBytes_ -= room.history.bytes();
    room.history = HistoryRing(settings_.historySize, settings_.historyTtlMs, settings_.historyMaxBytes);
    room.epoch = epoch;
    room.lastOffset = lastOffset;
    for (const auto& m : messages) room.history.push(m);
    room.history.expire(now);
    historyBytes_ += room.history.bytes();
    schedule(room);
    enforceBudget();
    return room;
}

void RoomRegistry::appendPlaced(Room& room, HistoryEntry entry) {
    std::size_t before = room.history.bytes();
    room.lastOffset = entry.offset;
    room.lastActivity = std::max(room.lastActivity, entry.ts);
    room.history.push(std::move(entry));
    historyBytes_ = historyBytes_ - before + room.history.bytes();
    schedule(room);
    enforceBudget();
}

void RoomRegistry::forget(const std::string& roomId) {
    auto it = rooms_.find(roomId);
    if (it == rooms_.end()) return;
    historyBytes_ -= it->second.history.bytes();
    if (store_) store_->roomForgotten(roomId);
    rooms_.erase(it);  // its entries in due_ go stale and are skipped
}

void RoomRegistry::enforceBudget() {
    if (historyBytes_ <= settings_.historyBudgetBytes) return;
    const std::size_t target = settings_.historyBudgetBytes / 10 * 9;
    // Water level: the largest histories are cut down to one common size,
    // the highest at which the total fits the target; smaller ones keep all.
    std::vector<Room*> bySize;
    bySize.reserve(rooms_.size());
    for (auto& [id, room] : rooms_)
        if (!room.history.empty()) bySize.push_back(&room);
    std::sort(bySize.begin(), bySize.end(), [](const Room* a, const Room* b) { return a->history.bytes() > b->history.bytes(); });
    std::size_t rest = historyBytes_;  // bytes of the rooms below the level
    std::size_t level = 0;
    for (std::size_t i = 0; i < bySize.size(); ++i) {
        rest -= bySize[i]->history.bytes();
        // Rooms 0..i cut to `level` each, the others untouched.
        std::size_t next = i + 1 < bySize.size() ? bySize[i + 1]->history.bytes() : 0;
        if (rest + (i + 1) * next <= target) {
            level = rest >= target ? 0 : std::max(next, (target - rest) / (i + 1));
            for (std::size_t j = 0; j <= i; ++j) {
                Room& room = *bySize[j];
                std::uint64_t keptFrom = firstKept(room);
                while (!room.history.empty() && room.history.bytes() > level) {
                    std::size_t before = room.history.bytes();
                    room.history.dropOldest();
                    historyBytes_ -= before - room.history.bytes();
                    ++budgetEvictions_;
                }
                reportTrim(room, keptFrom);
            }
            return;
        }
    }
}

void RoomRegistry::expire(std::int64_t now) {
    while (!due_.empty() && due_.top().first <= now) {
        auto [at, id] = due_.top();
        due_.pop();
        auto it = rooms_.find(id);
        if (it == rooms_.end() || it->second.checkAt != at) continue;  // stale
        Room& room = it->second;
        room.checkAt = 0;
        std::size_t before = room.history.bytes();
        std::uint64_t keptFrom = firstKept(room);
        room.history.expire(now);
        historyBytes_ -= before - room.history.bytes();
        reportTrim(room, keptFrom);
        // An empty room with no history left has nothing a client could
        // recover; its next incarnation gets a new epoch, which tells
        // clients still holding old offsets to resync.
        std::int64_t next = dueAt(room);
        if (room.members.empty() && room.history.empty() && next <= now) {
            if (store_) store_->roomForgotten(room.id);
            rooms_.erase(it);
            continue;
        }
        schedule(room);
    }
}

}  // namespace brolostack::rooms
