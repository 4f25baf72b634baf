// The broker seam as the core sees it (DESIGN.md, "Behind the core, two
// seams"). With the `local` broker the hub does everything itself. With a
// shared broker (cluster mode: BROKER=redis://...) every node is a replica
// of the rooms its connections joined: the broker assigns each message its
// offset, keeps the history and fans the message out to every node
// (including the one it came from), and each node appends what the broker
// fanned out, in offset order, and delivers it to its own members.
//
// The hub asks for broker work with BrokerRequest actions and hears back
// through Hub::brokerSynced, brokerPlaced, brokerPublished and
// brokerResumed. Nothing here does I/O.
#pragma once

#include "brolostack/protocol/codes.hpp"
#include "brolostack/protocol/frames.hpp"
#include "brolostack/store/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace brolostack::server {

/// A member as the broker lists it.
struct BrokerMember {
    std::string key;   // "<node>:<conn>"
    std::string json;  // {"sid","user","info"}
};

struct BrokerRequest {
    enum class Kind {
        /// Follow the room (subscribe to its fan-out), then read its
        /// position and history: answered by Hub::brokerSynced.
        Watch,
        /// Stop following the room: no member of this node is left.
        Unwatch,
        /// Read what follows `after` in the room: answered by brokerSynced.
        CatchUp,
        /// Give `unplaced` the room's next offset, keep it and fan it out
        /// (unless `mid` was seen from `dedupeKey` within the window):
        /// answered by brokerPublished, then fanned out to brokerPlaced.
        Publish,
        /// A member of this node joined the room (`memberKey`,
        /// `memberJson`): kept in the broker's member list of the room and
        /// fanned out to the other nodes (brokerPresence).
        MemberJoined,
        /// A member of this node left the room, or one of a dead node's
        /// (memberKey): dropped from the list and fanned out.
        MemberLeft,
        /// After the broker was away: `members` is this node's whole list
        /// for the room (joins and leaves told meanwhile may be lost).
        MembersReset,
        /// Lead ARGS session `session` unless a live node does: answered
        /// by Hub::brokerSessionLed (with the session's records when this
        /// node leads it now).
        LeadSession,
        /// `payload` (an encoded NodeMessage) to node `node`'s inbox; when
        /// no node listens there, Hub::brokerUndelivered hears of `token`
        /// (a NodeMessage's ask; 0: nothing to hear).
        ToNode,
        /// `payload` (an encoded SessionEvent) to every node (Hub::brokerSessionEvent).
        ToEveryNode,
        /// Read the room's kept history and its members without following
        /// it (the HTTP API on a node that does not): answered by
        /// Hub::brokerRead with `token`; an empty epoch when there is no such room.
        Read,
        /// List every ARGS session the broker keeps records of, led or
        /// waiting for a leader: answered by Hub::brokerSessionsListed with `token`.
        ListSessions,
    };
    Kind kind = Kind::Watch;
    std::string room;
    std::uint64_t after = 0;  // CatchUp
    // Publish:
    std::uint64_t token = 0;   // names the publish in brokerPublished and in the fan-out's origin; the Read in brokerRead, the ListSessions in brokerSessionsListed
    std::string unplaced;      // protocol::encodeUnplacedMessage
    std::string origin;        // handed back with the fanned-out message (see BrokerOrigin)
    std::string dedupeKey;     // with `mid`, the publisher's mid namespace
    std::optional<std::string> mid;
    std::int64_t midTtlMs = 0;
    // MemberJoined, MemberLeft:
    std::string memberKey;   // "<node>:<conn>"
    std::string memberJson;  // {"sid","user","info"} (MemberJoined)
    /// MemberLeft of another node's member: only while that node counts as
    /// dead, checked by the broker as it drops the member (a node that
    /// came back meanwhile keeps its members).
    bool onlyIfNodeDead = false;
    std::vector<BrokerMember> members;  // MembersReset
    std::string session;                // LeadSession
    std::string node;                   // ToNode
    std::string payload;                // ToNode, ToEveryNode
};

/// The broker's answer to LeadSession: the node that leads the session
/// now and, when it is this one, the session's records to rebuild it from
/// (its session, agent and task records, as the store keeps them).
struct SessionLead {
    std::string leader;
    store::Snapshot records;
};


/// A message as the broker keeps and fans it out.
struct PlacedMessage {
    std::uint64_t offset = 0;
    std::string unplaced;
    std::string origin;  // "" when unknown
};

/// The room as the broker holds it: its epoch, latest offset and the
/// messages after the offset asked for (oldest first; the oldest may be
/// past it when history was trimmed).
struct RoomSync {
    std::string epoch;
    std::uint64_t lastOffset = 0;
    std::vector<PlacedMessage> messages;
    /// Its members on every node (a Watch's answer; empty for a CatchUp).
    std::vector<BrokerMember> members;
};

/// The node part of a member key ("" when it has none).
std::string_view nodeOfMemberKey(std::string_view key);
/// The connection part of a member key (none when it has none).
std::optional<std::uint64_t> connOfMemberKey(std::string_view key);

/// The broker's answer to a publish.
struct BrokerPublishResult {
    protocol::StreamPosition position;
    bool duplicate = false;  // the mid was seen: position is the earlier publish's
};

/// Who published a fanned-out message, so the node it came from answers
/// its publisher and honours `echo: false`: "<node>:<token>:<skip>", where
/// skip is the connection that must not get its own message (0: none).
/// Node names hold no ':' (they are random hex).
struct BrokerOrigin {
    std::string node;
    std::uint64_t token = 0;
    std::uint64_t skip = 0;

    std::string encode() const;
    static std::optional<BrokerOrigin> parse(std::string_view text);
};

/// What a publish or join hears while the broker cannot be reached.
protocol::Error brokerUnreachable();

/// A resume token a client may carry from node to node in cluster mode:
/// 16-128 bytes of [A-Za-z0-9_-] (the server issues 32 hex digits). Its
/// holder's mids are namespaced by it, so it stays secret like the rest.
inline constexpr std::size_t kMinResumeTokenBytes = 16;
inline constexpr std::size_t kMaxResumeTokenBytes = 128;
bool isClusterResumeToken(std::string_view token);

}  // namespace brolostack::server
