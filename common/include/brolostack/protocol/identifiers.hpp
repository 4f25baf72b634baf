// Syntax of the names clients choose: room ids, session ids, events, mids.
#pragma once

#include <cstddef>
#include <string_view>

namespace brolostack::protocol {

inline constexpr std::size_t kMaxRoomIdBytes = 128;
inline constexpr std::size_t kMaxSessionIdBytes = 119;  // "$session:" + id fits in a room id
inline constexpr std::size_t kMaxEventBytes = 64;
inline constexpr std::size_t kMaxMidBytes = 64;
inline constexpr std::size_t kMaxEpochBytes = 64;
inline constexpr std::string_view kSessionRoomPrefix = "$session:";

/// 1-128 bytes of [A-Za-z0-9_.:@-], or '$' followed by such bytes (server rooms).
bool isValidRoomId(std::string_view room);
/// Rooms whose id starts with '$' belong to the server.
inline bool isServerRoom(std::string_view room) { return !room.empty() && room.front() == '$'; }
/// 1-119 bytes of the room-id characters.
bool isValidSessionId(std::string_view id);
/// `minBytes`-`maxBytes` bytes of [A-Za-z0-9_-]: text that needs no
/// escaping anywhere (JSON, Redis keys and payloads, logs).
bool isTokenText(std::string_view text, std::size_t minBytes, std::size_t maxBytes);
/// 1-64 bytes of [A-Za-z0-9_-]: the epochs servers make (random hex).
bool isValidEpoch(std::string_view epoch);
/// "$session:<id>" -> "<id>", or empty when `room` is not a session room.
std::string_view sessionIdOfRoom(std::string_view room);

}  // namespace brolostack::protocol
