// What nodes tell each other about ARGS sessions in cluster mode. Each
// session has one coordinator at a time, its leader (a lease in the
// broker); a node whose connection sends an ARGS message of a session led
// elsewhere asks the leader, which answers the asking node and sends what
// the coordinator routes to that node's connections back to it. What the
// leader announces in the session goes to every node, which delivers it to
// its own members of the session's room.
//
// These travel through the broker as JSON: NodeMessage to one node's
// inbox, SessionEvent to every node. Nothing here does I/O.
#pragma once

#include "brolostack/protocol/codes.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace brolostack::server {

struct NodeMessage {
    enum class Kind {
        /// An ARGS message from connection `conn` of the asking node, for
        /// the leader to handle; answered with Answer `ask` (0: no answer
        /// wanted, as for a registration told again to a new leader).
        Ask,
        /// The leader's answer to Ask `ask`: `data`, or `error`; or
        /// `notLeader`: the node does not lead the session (any more), ask
        /// the broker again.
        Answer,
        /// An ARGS message for connection `conn` of the receiving node.
        Push,
        /// Connection `conn` of the sending node closed: its agents go offline.
        Gone,
    };
    Kind kind = Kind::Ask;
    std::string from;  // the sending node
    std::uint64_t ask = 0;
    std::uint64_t conn = 0;
    std::string msgJson;  // Ask, Push
    /// Ask: "" for an ARGS message; else one of the HTTP API's own requests
    /// of the session, the leader's to perform (kDeadLettersRequest,
    /// kRequeueRequest with the task id in the message's payload).
    std::string request;
    std::string data;     // Answer, when it succeeded
    std::optional<protocol::Error> error;
    bool notLeader = false;
};

inline constexpr std::string_view kDeadLettersRequest = "dead-letters";
inline constexpr std::string_view kRequeueRequest = "requeue";
/// A binary chunk sent to a node that does not lead its session: the
/// message's payload holds its header fields and the frame (base64url).
inline constexpr std::string_view kBinaryChunkRequest = "binary-chunk";

std::string encodeNodeMessage(const NodeMessage& m);
std::optional<NodeMessage> decodeNodeMessage(std::string_view text);

/// Something the leader of `session` delivers to the session's members on every node.
struct SessionEvent {
    std::string from;  // the leader
    std::string session;
    std::string msgJson;
    /// true: announced in the session's room (with an offset, to every
    /// member); false: sent to every member but `skip` ("<node>:<conn>"),
    /// without an offset, and skipped for a receiver that is behind when `droppable`.
    bool announce = true;
    std::string skip;
    bool droppable = false;
    /// The leader rebuilt the session from the broker's records (it took
    /// the lead): nodes tell it again which agents their connections
    /// registered. No message then.
    bool rebuilt = false;
    /// A binary stream chunk's frame (PROTOCOL.md section 7), the very
    /// bytes its sender sent, for every member but `skip` (`droppable` for
    /// real-time streams); no message then.
    std::string binary;
};

std::string encodeSessionEvent(const SessionEvent& e);
std::optional<SessionEvent> decodeSessionEvent(std::string_view text);

}  // namespace brolostack::server
