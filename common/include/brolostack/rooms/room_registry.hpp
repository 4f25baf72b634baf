// Rooms and their members, with both indexes (room -> members and
// member -> rooms) so that a disconnect touches only the member's rooms.
// Members are opaque ids; the hub maps connections to them at the edge.
// Every change to what survives a restart (rooms, epochs, offsets, history)
// is told to the store, when there is one.
#pragma once

#include "brolostack/rooms/history_ring.hpp"
#include "brolostack/store/store.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace brolostack::rooms {

using MemberId = std::uint64_t;

struct MemberEntry {
    std::string sid;
    std::optional<std::string> user;
    std::string infoJson = "{}";
};

struct Room {
    Room(std::string id, std::string epoch, std::size_t historySize, std::int64_t historyTtlMs, std::size_t historyMaxBytes)
        : id(std::move(id)), epoch(std::move(epoch)), history(historySize, historyTtlMs, historyMaxBytes) {}

    std::string id;
    std::string name;
    std::string epoch;
    std::uint64_t lastOffset = 0;
    std::map<MemberId, MemberEntry> members;  // ordered: join order of ids
    /// The same ids in the same order, contiguous: what a broadcast walks.
    std::vector<MemberId> memberIds;
    /// Cluster mode: members connected to other nodes, by "<node>:<conn>".
    std::map<std::string, MemberEntry> remoteMembers;
    std::size_t memberCount() const { return members.size() + remoteMembers.size(); }
    HistoryRing history;
    std::int64_t lastActivity = 0;
    std::int64_t checkAt = 0;  // when expire() next looks at it (0: nothing due)
};

struct RoomSettings {
    std::size_t historySize = 1000;
    std::int64_t historyTtlMs = 10 * 60 * 1000;
    std::size_t historyMaxBytes = 4 * 1024 * 1024;  // per room
    std::size_t historyBudgetBytes = 256 * 1024 * 1024;  // all rooms together
    std::size_t maxRooms = 100000;  // rooms held at once; sessions' rooms are bounded by sessions instead
    // A room nothing was ever published to is forgotten this long after its
    // last member left (one with messages, historyTtlMs after its last activity).
    std::int64_t emptyRoomTtlMs = 30 * 1000;
};

class RoomRegistry {
public:
    /// `newEpoch` names each new incarnation of a room; it must not repeat.
    /// `store` (none: nothing is kept) hears every durable change.
    RoomRegistry(RoomSettings settings, std::function<std::string()> newEpoch, store::Store* store = nullptr)
        : settings_(settings), newEpoch_(std::move(newEpoch)), store_(store) {}

    /// Rebuilds the rooms a store kept (before anything else happens), with
    /// their epochs, offsets and the history the bounds still allow.
    void restore(const std::vector<store::StoredRoom>& kept, std::int64_t now);

    /// The room, created (with a fresh epoch) if it does not exist.
    Room& obtain(const std::string& roomId, std::int64_t now);
    /// Names the room (the name given by its first join).
    void name(Room& room, const std::string& name);
    /// How many of `roomIds` do not exist and could not be created: past
    /// maxRooms no room is created ($-rooms of sessions excepted).
    std::size_t beyondCapacity(const std::vector<std::string>& roomIds) const;
    Room* find(const std::string& roomId);
    const Room* find(const std::string& roomId) const;

    /// Adds the member; false when it was a member already (nothing changes).
    bool join(Room& room, MemberId member, MemberEntry entry, std::int64_t now);
    /// Removes the member; false when it was not a member.
    bool leave(const std::string& roomId, MemberId member, std::int64_t now);
    /// Rooms the member is in, in id order.
    const std::set<std::string>& roomsOf(MemberId member) const;
    bool isMember(const std::string& roomId, MemberId member) const;

    /// Assigns the next offset and appends the frame built for it to history.
    /// `build` receives the offset and returns the serialized frame.
    std::uint64_t append(Room& room, std::int64_t now, const std::function<SharedFrame(std::uint64_t)>& build,
                         SharedFrame* builtOut = nullptr);

    // ---- replicas of a broker's rooms (cluster mode) ------------------------
    /// Makes the room the broker's copy: its epoch, latest offset and the
    /// newest messages (`messages` oldest first, offsets rising by one and
    /// ending at `lastOffset`, or empty), keeping its members. Created when
    /// missing.
    Room& adopt(const std::string& roomId, const std::string& epoch, std::uint64_t lastOffset,
                const std::vector<HistoryEntry>& messages, std::int64_t now);
    /// Appends a message the broker placed: `entry.offset` is lastOffset + 1.
    void appendPlaced(Room& room, HistoryEntry entry);
    /// Drops the room and its history (its members must be gone).
    void forget(const std::string& roomId);

    /// Expires history and forgets rooms with neither members nor history,
    /// looking only at rooms where something is due.
    void expire(std::int64_t now);

    std::size_t roomCount() const { return rooms_.size(); }
    /// Frame bytes held in every room's history.
    std::size_t historyBytes() const { return historyBytes_; }
    /// Messages dropped from history to keep all rooms within the budget.
    std::uint64_t budgetEvictions() const { return budgetEvictions_; }

private:
    /// Past the server-wide budget the room holding the most history gives
    /// up its oldest messages first (down to 90% of the budget, so the scan
    /// of rooms is paid rarely): one abusive room cannot evict everyone's.
    void enforceBudget();
    /// Tells the store when the room's oldest kept offset moved past `firstKeptBefore`.
    void reportTrim(const Room& room, std::uint64_t firstKeptBefore);
    /// When expire() must next look at the room: its oldest message expires,
    /// or, without members and history, it is to be forgotten (0: never).
    std::int64_t dueAt(const Room& room) const;
    /// Makes sure expire() looks at the room by dueAt(room).
    void schedule(Room& room);

    RoomSettings settings_;
    std::size_t historyBytes_ = 0;
    std::uint64_t budgetEvictions_ = 0;
    std::function<std::string()> newEpoch_;
    store::Store* store_;
    std::unordered_map<std::string, Room> rooms_;
    // (time, room) for expire(), earliest first. An entry whose time is not
    // its room's checkAt any more is stale and skipped: a room has at most
    // one live entry, so an idle server does no work per room.
    std::priority_queue<std::pair<std::int64_t, std::string>, std::vector<std::pair<std::int64_t, std::string>>,
                        std::greater<>>
        due_;
    std::unordered_map<MemberId, std::set<std::string>> memberRooms_;
};

}  // namespace brolostack::rooms
