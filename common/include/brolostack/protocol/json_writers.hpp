// Pieces of frames for code that assembles reply bodies with its own Writer
// (the hub's join/history replies, the HTTP API), so every object of the
// same kind is written by one function.
#pragma once

#include "brolostack/json.hpp"
#include "brolostack/protocol/frames.hpp"

namespace brolostack::protocol {

/// {"code","message","details"}
void writeError(json::Writer& w, const Error& e);
/// {"sid","user","info"}
void writeMember(json::Writer& w, const MemberView& m);
/// {"epoch","offset"}
void writePosition(json::Writer& w, const StreamPosition& p);
/// The members of a message frame, "op" first, inside an object the caller opened.
void writeMessageFields(json::Writer& w, const MessageFrame& f);

}  // namespace brolostack::protocol
