// Coordinator: agents asking each other for help (COLLABORATION_REQUEST
// and _RESPONSE, PROTOCOL.md section 7); the deadline is enforced by tick().
#include "brolostack/args/coordinator.hpp"

#include "brolostack/json.hpp"
#include "payload.hpp"

namespace brolostack::args {

using json::object;
using protocol::Error;
using protocol::ErrorCode;
using protocol::makeError;

Result Coordinator::collaborationRequest(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out) {
    auto doc = payloadObject(msg);
    if (auto* e = std::get_if<Error>(&doc)) return *e;
    const json::Document& p = std::get<json::Document>(doc);
    auto requestId = stringMember(p, "requestId");
    auto requester = stringMember(p, "requestingAgent");
    if (!requestId) return payloadError("requestId", "'requestId' is required");
    if (!requester) return payloadError("requestingAgent", "'requestingAgent' is required");
    auto req = s.agents.find(*requester);
    if (req == s.agents.end() || !req->second.online || req->second.owner != from)
        return makeError(ErrorCode::Forbidden, "'requestingAgent' must be an online agent of this connection");
    if (s.collaborations.count(*requestId)) return makeError(ErrorCode::Conflict, "request '" + *requestId + "' is pending");
    std::vector<std::string> required;
    auto caps = p.FindMember("requiredCapabilities");
    if (caps != p.MemberEnd() && caps->value.IsArray())
        for (const auto& c : caps->value.GetArray())
            if (c.IsString()) required.emplace_back(c.GetString(), c.GetStringLength());
    std::vector<std::string> targets;
    if (auto target = stringMember(p, "targetAgent")) {
        auto it = s.agents.find(*target);
        if (it == s.agents.end() || !it->second.online)
            return makeError(ErrorCode::NotFound, "no agent '" + *target + "' online in this session");
        targets.push_back(*target);
    } else {
        for (const auto& [id, agent] : s.agents) {
            if (!agent.online || id == *requester) continue;
            const auto& have = agent.info.capabilities;
            bool all = std::all_of(required.begin(), required.end(), [&](const std::string& c) {
                return std::find(have.begin(), have.end(), c) != have.end();
            });
            if (all) targets.push_back(id);
        }
        if (targets.empty()) return makeError(ErrorCode::NotFound, "no online agent has the required capabilities");
    }
    std::int64_t deadline = now + settings_.collaborationTimeoutMs;
    auto dl = p.FindMember("deadline");
    if (dl != p.MemberEnd() && dl->value.IsInt64()) deadline = std::min(deadline, dl->value.GetInt64());
    s.collaborations[*requestId] = Collaboration{*requestId, *requester, deadline, false};
    for (const auto& target : targets) {
        Message m = make(s, MessageType::CollaborationRequest, msg.payloadJson, now);
        m.agentId = target;
        m.metadata = msg.metadata;
        m.metadata.sourceAgent = *requester;
        m.metadata.targetAgent = target;
        out.push_back({Routed::Route::Direct, s.agents[target].owner, false, std::move(m)});
    }
    return object([&](json::Writer& w) {
        json::writeKey(w, "requestId");
        json::writeString(w, *requestId);
        json::writeKey(w, "targets");
        w.StartArray();
        for (const auto& t : targets) json::writeString(w, t);
        w.EndArray();
    });
}

Result Coordinator::collaborationResponse(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out) {
    auto doc = payloadObject(msg);
    if (auto* e = std::get_if<Error>(&doc)) return *e;
    const json::Document& p = std::get<json::Document>(doc);
    auto requestId = stringMember(p, "requestId");
    auto fromAgent = stringMember(p, "fromAgent");
    if (!requestId) return payloadError("requestId", "'requestId' is required");
    if (!fromAgent) return payloadError("fromAgent", "'fromAgent' is required");
    auto agent = s.agents.find(*fromAgent);
    if (agent == s.agents.end() || !agent->second.online || agent->second.owner != from)
        return makeError(ErrorCode::Forbidden, "'fromAgent' must be an online agent of this connection");
    auto it = s.collaborations.find(*requestId);
    if (it == s.collaborations.end()) return makeError(ErrorCode::NotFound, "no pending request '" + *requestId + "'");
    auto requester = s.agents.find(it->second.requestingAgent);
    if (requester == s.agents.end() || !requester->second.online)
        return makeError(ErrorCode::Unavailable, "the requesting agent is offline");
    it->second.answered = true;
    Message m = make(s, MessageType::CollaborationResponse, msg.payloadJson, now);
    m.agentId = it->second.requestingAgent;
    m.metadata = msg.metadata;
    m.metadata.sourceAgent = *fromAgent;
    m.metadata.targetAgent = it->second.requestingAgent;
    out.push_back({Routed::Route::Direct, requester->second.owner, false, std::move(m)});
    return std::string("{}");
}

}  // namespace brolostack::args
