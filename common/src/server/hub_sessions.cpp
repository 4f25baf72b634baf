// Hub: ARGS sessions in cluster mode (node_messages.hpp, session_leads.hpp).
// A session's messages go to its leader: handled here when this node leads
// it, asked of the leader's node otherwise, and held while the broker is
// asked who leads. The leader answers the asking node, pushes what the
// coordinator routes to another node's connection to that node, and
// announces to every node. When a leader's node dies, the next node to ask
// takes the lead, rebuilds the session from the broker's records and tells
// every node, which tell it again which agents their connections had
// registered; the work those agents held is assigned again.
#include "brolostack/json.hpp"
#include "brolostack/protocol/identifiers.hpp"
#include "brolostack/server/base64url.hpp"
#include "brolostack/server/hub.hpp"

namespace brolostack::server {

using protocol::Error;
using protocol::ErrorCode;
using protocol::makeError;

namespace {

/// Messages of one session held while the broker is asked who leads it.
constexpr std::size_t kMaxWaitingAsks = 1024;
/// A message held this long (its leader unreachable) is answered unavailable.
constexpr std::int64_t kAskDeadlineMs = 15000;

Error leaderUnreachable() {
    return makeError(ErrorCode::Unavailable, "the node coordinating this ARGS session cannot be reached; try again shortly");
}

Error leaderGoneBeforeAnswering() {
    return makeError(ErrorCode::Unavailable,
                     "the node coordinating this ARGS session went away before answering; the message may or may not "
                     "have been handled");
}

/// The agent id a registration or an unregistration names.
std::optional<std::string> agentNamed(const args::Message& msg) {
    json::Document doc;
    doc.Parse(msg.payloadJson.c_str());
    const char* key = msg.type == args::MessageType::AgentRegister ? "id" : "agentId";
    if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
    auto it = doc.FindMember(key);
    if (it == doc.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

void Hub::proceed(SessionLeads::Ask ask, std::int64_t now, Outbox& out) {
    if (ask.conn != kServerOwner && !find(ask.conn)) return;  // it closed meanwhile
    if (clustered_ && askLeader(std::move(ask), now, out)) return;
    args::Outputs outputs;
    args::Result result = coordinate(ask.request, ask.conn, memberKey(ask.conn), ask.msg, now, outputs, out);
    settle(ask, std::move(result), now, out);
    route(outputs, now, out);
}

args::Result Hub::coordinate(const std::string& request, args::Owner owner, const std::string& senderKey,
                             const args::Message& msg, std::int64_t now, args::Outputs& outputs, Outbox& out) {
    if (request.empty()) return coordinator_.handle(owner, msg, now, outputs);
    if (request == kBinaryChunkRequest) {
        json::Document payload;
        payload.Parse(msg.payloadJson.c_str());
        auto text = [&](const char* key) -> std::optional<std::string> {
            auto it = payload.IsObject() ? payload.FindMember(key) : payload.MemberEnd();
            if (it == payload.MemberEnd() || !it->value.IsString()) return std::nullopt;
            return std::string(it->value.GetString(), it->value.GetStringLength());
        };
        auto streamId = text("streamId");
        auto frame = text("frame");
        auto bytes = frame ? base64UrlDecode(*frame) : std::nullopt;
        auto seq = payload.IsObject() ? payload.FindMember("seq") : payload.MemberEnd();
        if (!streamId || !bytes || seq == payload.MemberEnd() || !seq->value.IsInt64())
            return makeError(ErrorCode::BadRequest, "a forwarded binary chunk names its stream, seq and frame");
        auto last = payload.FindMember("isLast");
        return relayChunk(owner, senderKey, msg.sessionId, *streamId, seq->value.GetInt64(),
                          last != payload.MemberEnd() && last->value.IsTrue(), *bytes, now, outputs, out);
    }
    if (request == kDeadLettersRequest) {
        if (auto json = coordinator_.deadLettersJson(msg.sessionId)) return *json;
        return makeError(ErrorCode::NotFound, "no such session");
    }
    if (request == kRequeueRequest) {
        json::Document payload;
        payload.Parse(msg.payloadJson.c_str());
        auto task = payload.IsObject() ? payload.FindMember("taskId") : payload.MemberEnd();
        if (!payload.IsObject() || task == payload.MemberEnd() || !task->value.IsString())
            return makeError(ErrorCode::BadRequest, "a requeue names its task");
        return coordinator_.requeueDeadLetter(msg.sessionId, task->value.GetString(), now, outputs);
    }
    return makeError(ErrorCode::BadRequest, "unknown request '" + request + "'");
}

void Hub::settle(const SessionLeads::Ask& ask, args::Result result, std::int64_t now, Outbox& out) {
    if (ask.done) {
        if (auto* e = std::get_if<Error>(&result)) return ask.done(redact(std::move(*e)));
        std::string data = std::get<std::string>(std::move(result));
        if (ask.msg.type == args::MessageType::SyncRequest && ask.request.empty())
            data = withSessionPosition(std::move(data), ask.msg.sessionId);
        return ask.done(std::move(data));
    }
    if (Connection* c = find(ask.conn)) answerArgs(*c, ask, std::move(result), now, out);
}

void Hub::serverArgsThen(args::Message msg, std::int64_t now, Outbox& out, ArgsDone done, std::string request) {
    SessionLeads::Ask ask;
    ask.conn = kServerOwner;
    ask.op = "args";
    ask.msg = std::move(msg);
    ask.since = now;
    ask.done = std::move(done);
    ask.request = std::move(request);
    proceed(std::move(ask), now, out);
}

bool Hub::askLeader(SessionLeads::Ask&& ask, std::int64_t now, Outbox& out) {
    const std::string session = ask.msg.sessionId;
    SessionLeads::Lead& lead = leads_.lead(session);
    switch (lead.state) {
        case SessionLeads::State::Mine:
            return false;
        case SessionLeads::State::Theirs:
            forwardAsk(std::move(ask), lead.leader, out);
            return true;
        case SessionLeads::State::Unknown:
            lead.state = SessionLeads::State::Asking;
            askWhoLeads(session, out);
            break;
        case SessionLeads::State::Asking:
        case SessionLeads::State::Blocked:
            break;
    }
    if (lead.waiting.size() >= kMaxWaitingAsks) {
        settle(ask, leaderUnreachable(), now, out);
        return true;
    }
    lead.waiting.push_back(std::move(ask));
    return true;
}

void Hub::askWhoLeads(const std::string& session, Outbox& out) {
    BrokerRequest request;
    request.kind = BrokerRequest::Kind::LeadSession;
    request.session = session;
    requestBroker(std::move(request), out);
}

void Hub::forwardAsk(SessionLeads::Ask ask, const std::string& leader, Outbox& out) {
    NodeMessage m;
    m.kind = NodeMessage::Kind::Ask;
    m.conn = ask.conn;
    m.msgJson = args::encodeMessage(ask.msg);
    m.request = ask.request;
    m.ask = leads_.asked(std::move(ask), leader);
    std::uint64_t token = m.ask;
    tellNode(leader, std::move(m), token, out);
}

void Hub::tellNode(const std::string& node, NodeMessage m, std::uint64_t token, Outbox& out) {
    m.from = nodeId_;
    BrokerRequest request;
    request.kind = BrokerRequest::Kind::ToNode;
    request.node = node;
    request.token = token;
    request.payload = encodeNodeMessage(m);
    requestBroker(std::move(request), out);
}

void Hub::tellEveryNode(const SessionEvent& event, Outbox& out) {
    BrokerRequest request;
    request.kind = BrokerRequest::Kind::ToEveryNode;
    request.payload = encodeSessionEvent(event);
    requestBroker(std::move(request), out);
}

void Hub::noteRegistration(ConnId conn, const args::Message& msg) {
    if (msg.type != args::MessageType::AgentRegister && msg.type != args::MessageType::AgentUnregister) return;
    auto agent = agentNamed(msg);
    if (!agent) return;
    if (msg.type == args::MessageType::AgentRegister) leads_.registered(conn, msg, *agent);
    else leads_.unregistered(conn, msg.sessionId, *agent);
}

void Hub::retellRegistrations(const std::string& session, std::int64_t now, Outbox& out) {
    const SessionLeads::Lead* lead = leads_.find(session);
    if (!lead) return;
    for (auto& [conn, msg] : leads_.registrationsIn(session)) {
        if (lead->state == SessionLeads::State::Mine) {
            args::Outputs outputs;
            coordinator_.handle(conn, msg, now, outputs);
            route(outputs, now, out);
        } else if (lead->state == SessionLeads::State::Theirs) {
            NodeMessage m;
            m.kind = NodeMessage::Kind::Ask;
            m.conn = conn;
            m.msgJson = args::encodeMessage(msg);
            leads_.told(conn, lead->leader);
            tellNode(lead->leader, std::move(m), 0, out);
        }
    }
}

void Hub::runWaiting(const std::string& session, std::int64_t now, Outbox& out) {
    std::deque<SessionLeads::Ask> waiting;
    waiting.swap(leads_.lead(session).waiting);
    for (auto& ask : waiting)
        proceed(std::move(ask), now, out);
}

void Hub::brokerSessionLed(const std::string& session, std::variant<SessionLead, Error> answer, std::int64_t now,
                           Outbox& out) {
    SessionLeads::Lead& lead = leads_.lead(session);
    if (auto* error = std::get_if<Error>(&answer)) {
        if (lead.state == SessionLeads::State::Mine) return;
        lead.state = SessionLeads::State::Unknown;
        std::deque<SessionLeads::Ask> waiting;
        waiting.swap(lead.waiting);
        for (auto& ask : waiting)
            settle(ask, *error, now, out);
        return;
    }
    SessionLead& led = std::get<SessionLead>(answer);
    if (led.leader == nodeId_) {
        if (lead.state != SessionLeads::State::Mine) {
            unreadableRecords_ += coordinator_.restore(led.records, now);
            lead.state = SessionLeads::State::Mine;
            lead.leader = nodeId_;
            SessionEvent rebuilt;
            rebuilt.from = nodeId_;
            rebuilt.session = session;
            rebuilt.rebuilt = true;
            tellEveryNode(rebuilt, out);
            retellRegistrations(session, now, out);
        }
    } else {
        if (lead.state == SessionLeads::State::Mine) coordinator_.release(session);
        lead.state = SessionLeads::State::Theirs;
        lead.leader = led.leader;
    }
    runWaiting(session, now, out);
}

void Hub::brokerFromNode(std::string_view payload, std::int64_t now, Outbox& out) {
    auto m = decodeNodeMessage(payload);
    if (!m || m->from == nodeId_) return;
    switch (m->kind) {
        case NodeMessage::Kind::Ask: {
            NodeMessage answer;
            answer.kind = NodeMessage::Kind::Answer;
            answer.ask = m->ask;
            auto decoded = args::decodeMessage(m->msgJson, now, settings_.maxJsonDepth);
            args::Outputs outputs;
            if (auto* e = std::get_if<Error>(&decoded)) {
                answer.error = *e;
            } else if (const auto& msg = std::get<args::Message>(decoded); !leads_.leads(msg.sessionId)) {
                answer.notLeader = true;
            } else {
                // Connection 0 is the asking node's server (its HTTP API).
                args::Owner owner = m->conn == kServerOwner ? kServerOwner : leads_.proxyFor(m->from, m->conn);
                args::Result result =
                    coordinate(m->request, owner, m->from + ":" + std::to_string(m->conn), msg, now, outputs, out);
                if (auto* e = std::get_if<Error>(&result)) answer.error = redact(*e);
                else answer.data = std::get<std::string>(std::move(result));
            }
            if (m->ask != 0) tellNode(m->from, std::move(answer), 0, out);
            route(outputs, now, out);
            return;
        }
        case NodeMessage::Kind::Answer: {
            auto asked = leads_.answered(m->ask);
            if (!asked) return;
            auto& [ask, leader] = *asked;
            if (m->notLeader) {
                SessionLeads::Lead& lead = leads_.lead(ask.msg.sessionId);
                if (lead.state == SessionLeads::State::Theirs && lead.leader == leader)
                    lead.state = SessionLeads::State::Unknown;
                proceed(std::move(ask), now, out);
                return;
            }
            args::Result result = m->error ? args::Result(*m->error) : args::Result(std::move(m->data));
            settle(ask, std::move(result), now, out);
            return;
        }
        case NodeMessage::Kind::Push:
            if (Connection* c = find(m->conn)) sendArgs(*c, m->msgJson, out);
            return;
        case NodeMessage::Kind::Gone:
            if (auto owner = leads_.dropProxy(m->from, m->conn)) {
                args::Outputs outputs;
                coordinator_.ownerGone(*owner, now, outputs);
                route(outputs, now, out);
            }
            return;
    }
}

void Hub::brokerSessionEvent(std::string_view payload, std::int64_t now, Outbox& out) {
    auto e = decodeSessionEvent(payload);
    if (!e || e->from == nodeId_) return;
    if (e->rebuilt) {
        SessionLeads::Lead& lead = leads_.lead(e->session);
        // Another node took the lead: this node's lease had lapsed.
        if (lead.state == SessionLeads::State::Mine) coordinator_.release(e->session);
        lead.state = SessionLeads::State::Theirs;
        lead.leader = e->from;
        retellRegistrations(e->session, now, out);
        runWaiting(e->session, now, out);
        return;
    }
    if (e->announce) {
        announceHere(e->session, e->msgJson, now, out);
        return;
    }
    std::optional<ConnId> skip;
    if (nodeOfMemberKey(e->skip) == nodeId_) skip = connOfMemberKey(e->skip);
    if (!e->binary.empty())
        return sendToMembersHere(sessionRoomOf(e->session), std::make_shared<const std::string>(e->binary), skip, true,
                                 e->droppable, out);
    broadcastHere(sessionRoomOf(e->session), e->msgJson, skip, e->droppable, out);
}

void Hub::brokerUndelivered(const std::string& node, std::uint64_t token, std::int64_t now, Outbox& out) {
    auto asked = token ? leads_.answered(token) : std::nullopt;
    if (!asked) return;
    auto& [ask, leader] = *asked;
    SessionLeads::Lead& lead = leads_.lead(ask.msg.sessionId);
    // Nobody listens at the leader's inbox: it died or is cut off. Ask the
    // broker again at the next tick; the lead moves once its liveness lapses.
    if (lead.state == SessionLeads::State::Theirs && lead.leader == node) lead.state = SessionLeads::State::Blocked;
    proceed(std::move(ask), now, out);
}

void Hub::brokerSessionLost(const std::string& session, std::int64_t now, Outbox& out) {
    SessionLeads::Lead& lead = leads_.lead(session);
    if (lead.state != SessionLeads::State::Mine) return;
    coordinator_.release(session);
    lead.state = SessionLeads::State::Unknown;
    lead.leader.clear();
    runWaiting(session, now, out);
}

void Hub::sessionsAfterNodeGone(const std::string& node, std::int64_t now, Outbox& out) {
    args::Outputs outputs;
    for (args::Owner owner : leads_.dropProxiesOf(node)) coordinator_.ownerGone(owner, now, outputs);
    route(outputs, now, out);
    for (auto& ask : leads_.dropAsksAt(node))
        settle(ask, leaderGoneBeforeAnswering(), now, out);
    // Sessions it led: whoever asks first leads them now. This node asks at
    // once, so a session goes on without waiting for its next message.
    for (auto state : {SessionLeads::State::Theirs, SessionLeads::State::Blocked}) {
        for (const auto& session : leads_.sessionsIn(state, &node)) {
            SessionLeads::Lead& lead = leads_.lead(session);
            lead.state = SessionLeads::State::Asking;
            askWhoLeads(session, out);
        }
    }
}

void Hub::tickSessions(std::int64_t now, Outbox& out) {
    for (const auto& session : leads_.sessionsIn(SessionLeads::State::Blocked)) {
        leads_.lead(session).state = SessionLeads::State::Asking;
        askWhoLeads(session, out);
    }
    // An ask whose answer never came (the leader lives but the answer was
    // lost with a broker connection) is not left waiting for ever.
    for (auto& ask : leads_.dropAsksSentBefore(now - kAskDeadlineMs)) settle(ask, leaderUnreachable(), now, out);
    for (const auto& session : leads_.sessionsWaitingSince(now - kAskDeadlineMs)) {
        SessionLeads::Lead& lead = leads_.lead(session);
        while (!lead.waiting.empty() && lead.waiting.front().since <= now - kAskDeadlineMs) {
            SessionLeads::Ask ask = std::move(lead.waiting.front());
            lead.waiting.pop_front();
            settle(ask, leaderUnreachable(), now, out);
        }
    }
    // A node with members in a session keeps it, as one with agents there
    // does: when its leader's node dies, it asks for the lead at once, so
    // the session's timers and announcements go on without a new message.
    leads_.prune(now, [this](const std::string& session) {
        const rooms::Room* room = rooms_.find(sessionRoomOf(session));
        return room && !room->members.empty();
    });
}

void Hub::sessionsOfClosed(ConnId conn, Outbox& out) {
    for (const auto& node : leads_.takeNodesAskedBy(conn)) {
        NodeMessage gone;
        gone.kind = NodeMessage::Kind::Gone;
        gone.conn = conn;
        tellNode(node, std::move(gone), 0, out);
    }
    leads_.connectionGone(conn);
}

}  // namespace brolostack::server
