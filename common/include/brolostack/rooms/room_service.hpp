// Rooms as the protocol sees them (PROTOCOL.md section 5): join with
// recovery, leave, presence, publish with mid dedupe, history and members,
// over the registry, the dedupe window and the store. It knows members,
// not connections: the hub says who a member is (Participant), checks what
// the member's credentials allow, and maps members to connections when a
// frame is delivered.
#pragma once

#include "brolostack/protocol/codec.hpp"
#include "brolostack/rooms/mid_dedupe.hpp"
#include "brolostack/rooms/room_registry.hpp"
#include "brolostack/store/store.hpp"

#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace brolostack::rooms {

/// A member as rooms see it.
struct Participant {
    MemberId id = 0;
    std::string sid;
    std::optional<std::string> user;
    std::string dedupeKey;  // whose mid window its publishes share
};

/// Hands one frame to a room's members but `skip` (0: none), in id order:
/// one call per broadcast, whatever the number of members.
using Deliver = std::function<void(const std::vector<MemberId>& members, MemberId skip, const SharedFrame& frame)>;

struct RoomServiceSettings {
    RoomSettings rooms;
    std::int64_t midTtlMs = 10 * 60 * 1000;
    std::size_t maxRememberedMids = 1000000;
    std::size_t maxRoomsPerMember = 100;
    std::uint32_t maxHistoryLimit = 1000;
};

/// A member's publish: where it landed, whether it was a duplicate, and
/// the frame to deliver (none for a duplicate).
struct Publication {
    PublishedAt at;
    bool duplicate = false;
    SharedFrame frame;
    std::string replyJson() const;
};

/// What became of a message the broker placed (cluster mode).
enum class Placement {
    Appended,    // the next offset: appended, to be delivered
    Stale,       // at or before the latest offset held: already here
    Gap,         // past the next offset: what lies between must be read first
    OtherEpoch,  // the broker's room is a new incarnation: read it afresh
    Unknown,     // this node holds no such room
};

class RoomService {
public:
    /// `newEpoch` names each new incarnation of a room; `store` (none:
    /// nothing is kept) hears every durable change.
    RoomService(RoomServiceSettings settings, std::function<std::string()> newEpoch, store::Store* store);

    /// Takes back the rooms and mids a store kept (before anything else happens).
    void restore(const store::Snapshot& kept, std::int64_t now);

    /// Joins `f.room` (a member joining again only recovers); the reply's
    /// data. The other members hear the presence frame.
    std::variant<std::string, protocol::Error> join(const Participant& p, const protocol::JoinFrame& f, std::int64_t now,
                                                    const Deliver& deliver);
    /// Leaves the room (nothing when not a member); the members left hear it.
    void leave(MemberId member, const std::string& room, std::int64_t now, const Deliver& deliver);
    /// Leaves every room of the member.
    void leaveAll(MemberId member, std::int64_t now, const Deliver& deliver);

    /// A member's publish to a room it joined. The caller replies, then
    /// delivers the frame (so the publisher learns its offset first).
    std::variant<Publication, protocol::Error> publish(const Participant& p, protocol::PublishFrame& f, std::int64_t now);
    /// The checks publish() makes before appending (cluster mode asks them
    /// before handing the publish to the broker).
    std::optional<protocol::Error> checkPublish(const Participant& p, const protocol::PublishFrame& f) const;
    /// The message a member's publish becomes, without its position
    /// (protocol::encodeUnplacedMessage). Takes the frame's data.
    static std::string unplacedMessage(const Participant& p, protocol::PublishFrame& f, std::int64_t now);

    // ---- replicas of a broker's rooms (cluster mode) ------------------------
    /// Makes the room the broker's copy (RoomRegistry::adopt).
    void adopt(const std::string& room, const std::string& epoch, std::uint64_t lastOffset,
               const std::vector<HistoryEntry>& messages, std::int64_t now);
    /// Appends a message the broker placed when it is the room's next one.
    Placement place(const std::string& room, std::string_view epoch, std::uint64_t offset, const SharedFrame& frame,
                    std::int64_t now);
    /// A member connected to another node joined (`key`: "<node>:<conn>"):
    /// the members here hear it. False when known already or no such room.
    bool remoteJoined(const std::string& room, const std::string& key, MemberEntry entry, const Deliver& deliver);
    /// A member connected to another node left (or its node died).
    bool remoteLeft(const std::string& room, const std::string& key, const Deliver& deliver);
    /// Drops the replica of a room no member of this node is in any more.
    void forget(const std::string& room);

    /// A publish of the server's own (HTTP API), delivered to every member.
    std::variant<PublishedAt, protocol::Error> publishAsServer(const std::string& room, const std::string& event,
                                                               const std::string& dataJson, std::int64_t now,
                                                               const Deliver& deliver);
    /// Appends a frame the server builds for `room` (an ARGS announcement)
    /// and delivers it to every member.
    void announce(const std::string& room, std::int64_t now,
                  const std::function<SharedFrame(const Room& room, std::uint64_t offset)>& build, const Deliver& deliver);
    /// Sends `frame` to every member of `room` but `skip` (0: nobody skipped).
    void deliver(const std::string& room, const SharedFrame& frame, MemberId skip, const Deliver& deliver) const;

    /// limit_exceeded when creating the missing ones of `roomIds` would pass
    /// MAX_ROOMS (so a multi-room publish changes nothing or everything).
    std::optional<protocol::Error> checkCapacity(const std::vector<std::string>& roomIds) const;
    /// `{"room","epoch","offset","messages","complete"}` (who may read is the caller's to check).
    std::variant<std::string, protocol::Error> historyJson(const std::string& room,
                                                           const std::optional<protocol::StreamPosition>& since,
                                                           std::optional<std::uint32_t> limit) const;
    /// The same answer for a room as the broker holds it (cluster mode):
    /// `history` holds its newest messages, `lastOffset` is its latest.
    std::variant<std::string, protocol::Error> historyJson(const std::string& room, const std::string& epoch,
                                                           std::uint64_t lastOffset, const HistoryRing& history,
                                                           const std::optional<protocol::StreamPosition>& since,
                                                           std::optional<std::uint32_t> limit) const;
    /// `{"room","members","memberCount"}`, or not_found.
    std::variant<std::string, protocol::Error> membersJson(const std::string& room) const;

    bool isMember(const std::string& room, MemberId member) const { return registry_.isMember(room, member); }
    const std::set<std::string>& roomsOf(MemberId member) const { return registry_.roomsOf(member); }
    const Room* find(const std::string& room) const { return registry_.find(room); }
    /// The dedupe window of client message ids (publishes and sends).
    MidDedupe& mids() { return mids_; }

    /// Expires history, mids and forgotten rooms.
    void expire(std::int64_t now);
    std::size_t roomCount() const { return registry_.roomCount(); }
    std::size_t historyBytes() const { return registry_.historyBytes(); }
    std::uint64_t budgetEvictions() const { return registry_.budgetEvictions(); }

private:
    protocol::Error roomLimitError() const;
    PublishedAt append(Room& room, const protocol::Sender& from, const std::string& event, std::string dataJson,
                       const std::optional<std::string>& mid, std::int64_t now, SharedFrame& frame);

    RoomServiceSettings settings_;
    RoomRegistry registry_;
    MidDedupe mids_;
};

}  // namespace brolostack::rooms
