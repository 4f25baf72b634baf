// The reply bodies both ends act on (PROTOCOL.md sections 3-4): the hub
// writes them and the client core reads them, from one definition each.
// Replies that only the application reads (history, members, stats) stay
// JSON the core passes through.
#pragma once

#include "brolostack/protocol/frames.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace brolostack::protocol {

/// The reply to `join` (and to ARGS `join-session`, for the session room):
/// where the room stands, who is in it, and what the joiner missed since
/// the position it asked from.
struct JoinReply {
    std::string room;
    std::string name;
    StreamPosition position;
    std::vector<MemberView> members;  // at most the first 1,000; memberCount is exact
    std::uint64_t memberCount = 0;
    bool recovered = false;
    /// Server frames (message or args), each as its JSON text, shared with
    /// the room's history: a recovery of a long history copies no frame.
    std::vector<std::shared_ptr<const std::string>> missed;
};

/// The reply to `publish`: the message's place in the room.
struct PublishReply {
    std::string room;
    StreamPosition position;
    bool duplicate = false;  // the mid was seen before: `position` is the first copy's
};

/// The reply to `leave` (and to ARGS `leave-session`).
struct LeaveReply {
    std::string room;
};

/// One room of a welcome's `rooms`: joined again, or refused with an error.
struct ResumedRoom {
    std::optional<JoinReply> joined;
    std::optional<Error> error;
};

/// What a client acts on in the welcome (hello's reply); the rest of it
/// (limits, capabilities, user) reaches the application as JSON.
struct Welcome {
    std::string sid;
    std::string resumeToken;
    std::map<std::string, ResumedRoom> rooms;
};

std::string encodeJoinReply(const JoinReply& reply);
std::string encodePublishReply(const PublishReply& reply);
std::string encodeLeaveReply(const LeaveReply& reply);

std::variant<JoinReply, Error> decodeJoinReply(std::string_view dataJson);
std::variant<PublishReply, Error> decodePublishReply(std::string_view dataJson);
std::variant<LeaveReply, Error> decodeLeaveReply(std::string_view dataJson);
std::variant<Welcome, Error> decodeWelcome(std::string_view dataJson);

}  // namespace brolostack::protocol
