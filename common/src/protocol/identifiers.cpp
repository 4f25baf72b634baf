#include "brolostack/protocol/identifiers.hpp"

namespace brolostack::protocol {
namespace {

bool isIdChar(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == ':' || c == '@' || c == '-';
}

bool allIdChars(std::string_view s) {
    for (char c : s)
        if (!isIdChar(c)) return false;
    return true;
}

}  // namespace

bool isValidRoomId(std::string_view room) {
    if (room.empty() || room.size() > kMaxRoomIdBytes) return false;
    if (room.front() == '$') room.remove_prefix(1);
    return !room.empty() && allIdChars(room);
}

bool isValidSessionId(std::string_view id) {
    return !id.empty() && id.size() <= kMaxSessionIdBytes && allIdChars(id);
}

bool isTokenText(std::string_view text, std::size_t minBytes, std::size_t maxBytes) {
    if (text.size() < minBytes || text.size() > maxBytes) return false;
    for (char c : text)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    return true;
}

bool isValidEpoch(std::string_view epoch) { return isTokenText(epoch, 1, kMaxEpochBytes); }

std::string_view sessionIdOfRoom(std::string_view room) {
    if (room.substr(0, kSessionRoomPrefix.size()) != kSessionRoomPrefix) return {};
    room.remove_prefix(kSessionRoomPrefix.size());
    return isValidSessionId(room) ? room : std::string_view{};
}

}  // namespace brolostack::protocol
