#include "brolostack/rooms/room_registry.hpp"

#include <algorithm>
#include <vector>

namespace brolostack::rooms {

namespace {
const std::set<std::string> kNoRooms;
}

Room& RoomRegistry::obtain(const std::string& roomId, std::int64_t now) {
    auto it = rooms_.find(roomId);
    if (it == rooms_.end()) {
        it = rooms_.try_emplace(roomId, roomId, newEpoch_(), settings_.historySize, settings_.historyTtlMs,
                                settings_.historyMaxBytes)
                 .first;
        it->second.lastActivity = now;
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
    memberRooms_[member].insert(room.id);
    return true;
}

bool RoomRegistry::leave(const std::string& roomId, MemberId member, std::int64_t now) {
    Room* room = find(roomId);
    if (!room || room->members.erase(member) == 0) return false;
    room->lastActivity = now;
    auto it = memberRooms_.find(member);
    if (it != memberRooms_.end()) {
        it->second.erase(roomId);
        if (it->second.empty()) memberRooms_.erase(it);
    }
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
    std::uint64_t offset = ++room.lastOffset;
    SharedFrame frame = build(offset);
    std::size_t before = room.history.bytes();
    room.history.push(HistoryEntry{offset, now, frame});
    historyBytes_ = historyBytes_ - before + room.history.bytes();
    room.lastActivity = now;
    if (builtOut) *builtOut = std::move(frame);
    enforceBudget();
    return offset;
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
                while (!room.history.empty() && room.history.bytes() > level) {
                    std::size_t before = room.history.bytes();
                    room.history.dropOldest();
                    historyBytes_ -= before - room.history.bytes();
                    ++budgetEvictions_;
                }
            }
            return;
        }
    }
}

void RoomRegistry::expire(std::int64_t now) {
    for (auto it = rooms_.begin(); it != rooms_.end();) {
        Room& room = it->second;
        std::size_t before = room.history.bytes();
        room.history.expire(now);
        historyBytes_ -= before - room.history.bytes();
        // An empty room with no history left has nothing a client could
        // recover; its next incarnation gets a new epoch, which tells
        // clients still holding old offsets to resync.
        bool idle = room.members.empty() && room.history.empty() &&
                    now - room.lastActivity >= settings_.historyTtlMs;
        it = idle ? rooms_.erase(it) : std::next(it);
    }
}

}  // namespace brolostack::rooms
