// Hub: how answers, errors and closes leave the core.
#include "brolostack/json.hpp"
#include "brolostack/server/hub.hpp"

namespace brolostack::server {

using protocol::Error;
using protocol::ErrorCode;

void Hub::send(Connection& c, SharedFrame frame, Outbox& out, bool binary, bool droppable) {
    if (c.closing) {
        ++counters_.droppedMessages;
        return;
    }
    queueSend(c.id, frame, out, binary, droppable);
}

void Hub::sendToMember(ConnId member, const SharedFrame& frame, Outbox& out, bool binary, bool droppable) {
    if (!closing_.empty() && closing_.count(member) != 0) {
        ++counters_.droppedMessages;
        return;
    }
    queueSend(member, frame, out, binary, droppable);
}

void Hub::sendToMembers(const std::vector<ConnId>& members, ConnId skip, const SharedFrame& frame, Outbox& out,
                        bool binary, bool droppable) {
    for (ConnId member : members)
        if (member != skip) sendToMember(member, frame, out, binary, droppable);
}

void Hub::queueSend(ConnId conn, const SharedFrame& frame, Outbox& out, bool binary, bool droppable) {
    ++counters_.messagesOut;
    counters_.bytesOut += frame->size();
    // The same frame to the next member of a broadcast joins the send just
    // made: nothing lies between them, so every connection's order holds.
    if (!out.empty()) {
        Action& last = out.back();
        if (last.kind == Action::Kind::Send && last.frame == frame && last.binary == binary &&
            last.droppable == droppable) {
            last.alsoTo.push_back(conn);
            return;
        }
    }
    Action a;
    a.kind = Action::Kind::Send;
    a.conn = conn;
    a.frame = frame;
    a.binary = binary;
    a.droppable = droppable;
    out.push_back(std::move(a));
}

void Hub::reply(Connection& c, std::uint64_t ref, std::string dataJson, Outbox& out) {
    if (ref == 0) return;
    protocol::ReplyFrame frame;
    frame.ref = ref;
    frame.ok = true;
    frame.dataJson = std::move(dataJson);
    send(c, std::make_shared<const std::string>(protocol::encodeServerFrame(frame)), out);
}

void Hub::fail(Connection& c, std::uint64_t ref, std::string_view op, Error error, std::int64_t now, Outbox& out) {
    bool protocolError = error.code == ErrorCode::BadRequest || error.code == ErrorCode::UnknownOp;
    ++counters_.errorsByCode[std::string(protocol::errorCodeName(error.code))];
    error = redact(std::move(error));
    std::string text;
    if (ref != 0) {
        protocol::ReplyFrame frame;
        frame.ref = ref;
        frame.ok = false;
        frame.error = std::move(error);
        text = protocol::encodeServerFrame(frame);
    } else {
        text = protocol::encodeServerFrame(protocol::ErrorFrame{std::move(error), std::string(op)});
    }
    send(c, std::make_shared<const std::string>(std::move(text)), out);
    if (protocolError && countProtocolError(c, now))
        closeWith(c, protocol::close_code::kProtocolError, "too many protocol errors", out);
}

bool Hub::countProtocolError(Connection& c, std::int64_t now) {
    ++counters_.protocolErrors;
    c.protocolErrors.push_back(now);
    while (!c.protocolErrors.empty() && c.protocolErrors.front() + settings_.protocolErrorWindowMs <= now)
        c.protocolErrors.pop_front();
    return c.protocolErrors.size() > settings_.protocolErrorLimit;
}

void Hub::closeWith(Connection& c, std::uint16_t code, std::string reason, Outbox& out) {
    if (c.closing) return;
    c.closing = true;
    closing_.insert(c.id);
    Action close;
    close.kind = Action::Kind::Close;
    close.conn = c.id;
    close.code = code;
    close.reason = std::move(reason);
    out.push_back(std::move(close));
}

Error Hub::redact(Error error) const {
    if (settings_.detailedErrors) return error;
    // Without detailed errors the message names the code only; details keep
    // what a client needs to act on (retryAfterMs, the field at fault).
    switch (error.code) {
        case ErrorCode::BadRequest: error.message = "bad request"; break;
        case ErrorCode::UnknownOp: error.message = "unknown op"; break;
        case ErrorCode::Unauthorized: error.message = "unauthorized"; break;
        case ErrorCode::Forbidden: error.message = "forbidden"; break;
        case ErrorCode::NotFound: error.message = "not found"; break;
        case ErrorCode::Conflict: error.message = "conflict"; break;
        case ErrorCode::RateLimited: error.message = "rate limited"; break;
        case ErrorCode::TooLarge: error.message = "too large"; break;
        case ErrorCode::LimitExceeded: error.message = "limit exceeded"; break;
        case ErrorCode::Expired: error.message = "expired"; break;
        case ErrorCode::Timeout: error.message = "timeout"; break;
        case ErrorCode::Unavailable: error.message = "unavailable"; break;
        case ErrorCode::Internal: error.message = "internal error"; break;
    }
    return error;
}

}  // namespace brolostack::server
