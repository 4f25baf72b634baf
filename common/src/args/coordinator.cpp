// Coordinator: dispatch, sessions, agents, sync, timers and what the store
// keeps. Tasks are the TaskScheduler's (task_scheduler.cpp, dead_letters.cpp),
// collaboration is in collaboration.cpp, streams in streams.cpp.
#include "brolostack/args/coordinator.hpp"

#include "payload.hpp"

#include "brolostack/args/records.hpp"
#include "brolostack/json.hpp"

#include <algorithm>

namespace brolostack::args {
namespace {

using protocol::Error;
using protocol::ErrorCode;

using protocol::makeError;

using json::object;

}  // namespace

std::string_view taskStateName(TaskState s) {
    switch (s) {
        case TaskState::Queued: return "queued";
        case TaskState::Running: return "running";
        case TaskState::Completed: return "completed";
        case TaskState::Failed: return "failed";
        case TaskState::Canceled: return "canceled";
    }
    return "queued";
}

Coordinator::Coordinator(CoordinatorSettings settings, std::function<std::string()> newId, store::Store* store)
    : settings_(settings), newId_(std::move(newId)), store_(store) {}

std::size_t Coordinator::restore(const store::Snapshot& kept, std::int64_t now) {
    std::size_t unreadable = 0;
    for (const auto& record : kept.sessions) {
        auto s = decodeSessionRecord(record.json, now);
        if (!s || s->id != record.session) {
            ++unreadable;
            continue;
        }
        // Agents inside a session record (an earlier version's) move to
        // records of their own with the next change saved.
        for (const auto& [agentId, agent] : s->agents) changes_.touchAgent(*s, agentId);
        sessions_.insert_or_assign(s->id, std::move(*s));
    }
    for (const auto& record : kept.agents) {
        auto session = sessions_.find(record.session);
        auto agent = decodeAgentRecord(record.json, now);
        if (session == sessions_.end() || !agent || agent->info.id != record.id) {
            ++unreadable;
            continue;
        }
        auto& agents = session->second.agents;
        auto it = agents.find(record.id);
        if (it == agents.end()) agents.emplace(record.id, std::move(*agent));
        else session->second.changeAgent(it, [&](AgentState& a) { a = std::move(*agent); });
    }
    for (const auto& record : kept.tasks) {
        auto session = sessions_.find(record.session);
        auto t = decodeTaskRecord(record.json, now);
        if (session == sessions_.end() || !t || t->def.id != record.id) {
            ++unreadable;
            continue;
        }
        Session& s = session->second;
        // The connection that submitted it is gone; the server's own stay the server's.
        if (t->submitter != 0) t->submitter = kGoneSubmitter;
        Task& task = s.tasks.insert_or_assign(t->def.id, std::move(*t)).first->second;
        if (task.finished()) {
            s.retained.emplace(tasks_.forgetAt(task), task.def.id);
            continue;
        }
        s.openTasks.insert(queuePlace(task));
        s.noteStages(task);
        bool started = std::any_of(task.stages.begin(), task.stages.end(),
                                   [](const Stage& st) { return st.state != StageState::Waiting; });
        if (!started) s.awaitingDependencies.insert(queuePlace(task));
    }
    for (auto& [id, s] : sessions_) s.reindexAgents();
    return unreadable;
}

void Coordinator::release(const std::string& sessionId) {
    sessions_.erase(sessionId);
    changes_.forget(sessionId);
}

void Coordinator::persist() {
    if (!store_) {
        changes_ = Changes{};
        return;
    }
    for (const auto& id : changes_.sessions) {
        auto it = sessions_.find(id);
        if (it == sessions_.end()) store_->sessionForgotten(id);
        else store_->sessionSaved(id, encodeSessionRecord(it->second));
    }
    for (const auto& [sessionId, agentId] : changes_.agents) {
        auto session = sessions_.find(sessionId);
        if (session == sessions_.end()) continue;  // forgotten with its session
        auto agent = session->second.agents.find(agentId);
        if (agent == session->second.agents.end()) store_->agentForgotten(sessionId, agentId);
        else store_->agentSaved(sessionId, agentId, encodeAgentRecord(agent->second));
    }
    for (const auto& [sessionId, taskId] : changes_.tasks) {
        auto session = sessions_.find(sessionId);
        if (session == sessions_.end()) continue;  // forgotten with its session
        auto task = session->second.tasks.find(taskId);
        if (task == session->second.tasks.end()) store_->taskForgotten(sessionId, taskId);
        else store_->taskSaved(sessionId, taskId, encodeTaskRecord(task->second));
    }
    changes_ = Changes{};
}

Session* Coordinator::obtainSession(const std::string& id, std::int64_t now) {
    PersistOnReturn persistOnReturn{*this};
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
        if (sessions_.size() >= settings_.maxSessions) return nullptr;
        it = sessions_.try_emplace(id).first;
        it->second.id = id;
        changed(it->second);
    }
    it->second.lastActivity = now;
    return &it->second;
}

namespace {

/// Only these start something that needs a session; every other message
/// addresses one that exists (a SYNC_REQUEST must not create one: 100k
/// of them would hold 100k sessions for SESSION_IDLE_TIMEOUT_MS).
bool createsSession(MessageType type) {
    return type == MessageType::AgentRegister || type == MessageType::TaskStart || type == MessageType::StreamStart;
}

}  // namespace

Error Coordinator::sessionLimitError() const {
    return makeError(ErrorCode::LimitExceeded, "the server holds its most ARGS sessions (" +
                                                   std::to_string(settings_.maxSessions) + "); no new one now");
}

const Session* Coordinator::findSession(const std::string& id) const {
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : &it->second;
}

std::vector<std::string> Coordinator::sessionIds() const {
    std::vector<std::string> ids;
    for (const auto& [id, s] : sessions_) ids.push_back(id);
    return ids;
}

std::optional<Owner> Coordinator::ownerOf(const std::string& sessionId, const std::string& agentId) const {
    const Session* s = findSession(sessionId);
    if (!s) return std::nullopt;
    auto it = s->agents.find(agentId);
    if (it == s->agents.end() || !it->second.online) return std::nullopt;
    return it->second.owner;
}

Result Coordinator::startTask(Owner submitter, const std::string& sessionId, TaskDefinition def,
                              std::optional<std::uint32_t> messageMaxRetries, std::int64_t now, Outputs& out) {
    PersistOnReturn persistOnReturn{*this};
    Session* s = obtainSession(sessionId, now);
    if (!s) return sessionLimitError();
    return tasks_.start(*s, submitter, std::move(def), messageMaxRetries, now, out);
}

std::optional<std::string> Coordinator::deadLettersJson(const std::string& sessionId) const {
    const Session* s = findSession(sessionId);
    if (!s) return std::nullopt;
    return tasks_.deadLettersJson(*s);
}

Result Coordinator::requeueDeadLetter(const std::string& sessionId, const std::string& taskId, std::int64_t now,
                                      Outputs& out) {
    PersistOnReturn persistOnReturn{*this};
    auto session = sessions_.find(sessionId);
    if (session == sessions_.end()) return makeError(ErrorCode::NotFound, "no session '" + sessionId + "'");
    return tasks_.requeueDeadLetter(session->second, taskId, now, out);
}

Result Coordinator::handle(Owner from, const Message& msg, std::int64_t now, Outputs& out) {
    PersistOnReturn persistOnReturn{*this};
    if (msg.type == MessageType::SyncResponse || msg.type == MessageType::TaskAssign)
        return makeError(ErrorCode::Forbidden, std::string(messageTypeName(msg.type)) + " is sent by the server only");
    Session* found = nullptr;
    if (createsSession(msg.type)) {
        found = obtainSession(msg.sessionId, now);
        if (!found) return sessionLimitError();
    } else {
        auto it = sessions_.find(msg.sessionId);
        if (it == sessions_.end()) return makeError(ErrorCode::NotFound, "no ARGS session '" + msg.sessionId + "'");
        found = &it->second;
        found->lastActivity = now;
    }
    Session& s = *found;
    switch (msg.type) {
        case MessageType::AgentRegister: return registerAgent(s, from, msg, now, out);
        case MessageType::AgentUnregister: return unregisterAgent(s, from, msg, now, out);
        case MessageType::Heartbeat: return heartbeat(s, from, msg, now, out);
        case MessageType::TaskStart: {
            auto doc = payloadObject(msg);
            if (auto* e = std::get_if<Error>(&doc)) return *e;
            auto def = decodeTaskDefinition(std::get<json::Document>(doc));
            if (auto* e = std::get_if<Error>(&def)) return *e;
            return startTask(from, s.id, std::get<TaskDefinition>(std::move(def)), msg.metadata.maxRetries, now, out);
        }
        case MessageType::TaskProgress:
        case MessageType::TaskComplete:
        case MessageType::TaskError: return tasks_.report(s, from, msg, now, out);
        case MessageType::TaskCancel: return tasks_.cancel(s, from, msg, now, out);
        case MessageType::CollaborationRequest: return collaborationRequest(s, from, msg, now, out);
        case MessageType::CollaborationResponse: return collaborationResponse(s, from, msg, now, out);
        case MessageType::StreamStart: return streamStart(s, from, msg, now, out);
        case MessageType::StreamData: return streamData(s, from, msg, now, out);
        case MessageType::StreamEnd: return streamEnd(s, from, msg, now, out);
        case MessageType::SyncRequest: return *snapshotJson(s.id);
        case MessageType::SyncResponse:
        case MessageType::TaskAssign:
            return makeError(ErrorCode::Forbidden, std::string(messageTypeName(msg.type)) + " is sent by the server only");
    }
    return makeError(ErrorCode::BadRequest, "unsupported ARGS type");
}

Result Coordinator::registerAgent(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out) {
    auto doc = payloadObject(msg);
    if (auto* e = std::get_if<Error>(&doc)) return *e;
    auto decoded = decodeAgentInfo(std::get<json::Document>(doc));
    if (auto* e = std::get_if<Error>(&decoded)) return *e;
    AgentInfo info = std::get<AgentInfo>(std::move(decoded));
    auto it = s.agents.find(info.id);
    if (it != s.agents.end() && it->second.online && it->second.owner != from)
        return makeError(ErrorCode::Conflict, "agent '" + info.id + "' is registered by another connection");
    bool isNew = it == s.agents.end() || !it->second.online;
    if (isNew && s.onlineAgents() >= settings_.maxAgentsPerSession)
        return makeError(ErrorCode::LimitExceeded, "a session holds at most " +
                                                       std::to_string(settings_.maxAgentsPerSession) + " agents");
    if (it == s.agents.end()) it = s.agents.emplace(info.id, AgentState{}).first;
    s.changeAgent(it, [&](AgentState& agent) {
        agent.info = std::move(info);
        agent.owner = from;
        if (isNew) agent.idleSince = now;
        agent.online = true;
    });
    AgentState& agent = it->second;
    agentChanged(s, agent.info.id);
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    writeAgentInfo(w, agent.info, agent.currentTasks, true);
    std::string stored(buffer.GetString(), buffer.GetSize());
    Message announce = make(s, MessageType::AgentRegister, stored, now);
    announce.agentId = agent.info.id;
    out.push_back({Routed::Route::Announce, 0, false, std::move(announce)});
    tasks_.schedule(s, now, out);
    return object([&](json::Writer& ow) {
        json::writeKey(ow, "agent");
        json::writeRaw(ow, stored);
    });
}

Result Coordinator::unregisterAgent(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out) {
    auto doc = payloadObject(msg);
    if (auto* e = std::get_if<Error>(&doc)) return *e;
    auto agentId = stringMember(std::get<json::Document>(doc), "agentId");
    if (!agentId) return payloadError("agentId", "'agentId' is required");
    auto it = s.agents.find(*agentId);
    if (it == s.agents.end()) return makeError(ErrorCode::NotFound, "no agent '" + *agentId + "' in this session");
    if (it->second.owner != from) return makeError(ErrorCode::Forbidden, "only the agent's connection may unregister it");
    s.changeAgent(it, [](AgentState& a) { a.online = false; });
    tasks_.agentLeft(s, *agentId, "unregistered", now, out);
    s.dropAgent(it);
    agentChanged(s, *agentId);
    out.push_back({Routed::Route::Announce, 0, false,
                   make(s, MessageType::AgentUnregister,
                        object([&](json::Writer& w) {
                            json::writeKey(w, "agentId");
                            json::writeString(w, *agentId);
                            json::writeKey(w, "reason");
                            json::writeString(w, "unregistered");
                        }),
                        now)});
    tasks_.schedule(s, now, out);
    return object([&](json::Writer& w) {
        json::writeKey(w, "agentId");
        json::writeString(w, *agentId);
    });
}

Result Coordinator::heartbeat(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out) {
    auto doc = payloadObject(msg);
    if (auto* e = std::get_if<Error>(&doc)) return *e;
    const json::Document& p = std::get<json::Document>(doc);
    auto agentId = stringMember(p, "agentId");
    if (!agentId) return payloadError("agentId", "'agentId' is required");
    auto it = s.agents.find(*agentId);
    if (it == s.agents.end() || !it->second.online) return makeError(ErrorCode::NotFound, "no agent '" + *agentId + "' online");
    if (it->second.owner != from) return makeError(ErrorCode::Forbidden, "only the agent's connection may report for it");
    if (auto status = stringMember(p, "status")) {
        if (it->second.info.status != *status) agentChanged(s, *agentId);
        s.changeAgent(it, [&](AgentState& a) { a.info.status = *status; });
    }
    tasks_.schedule(s, now, out);  // an agent back to work may take waiting tasks
    return std::string("{}");
}

void Coordinator::ownerGone(Owner owner, std::int64_t now, Outputs& out) {
    PersistOnReturn persistOnReturn{*this};
    for (auto& [sid, s] : sessions_) {
        std::vector<std::string> gone;
        for (auto& [id, agent] : s.agents)
            if (agent.online && agent.owner == owner) gone.push_back(id);
        for (const auto& agentId : gone) {
            s.changeAgent(s.agents.find(agentId), [](AgentState& a) { a.online = false; });
            tasks_.agentLeft(s, agentId, "went offline", now, out);
            Message m = make(s, MessageType::AgentUnregister,
                             object([&](json::Writer& w) {
                                 json::writeKey(w, "agentId");
                                 json::writeString(w, agentId);
                                 json::writeKey(w, "reason");
                                 json::writeString(w, "disconnected");
                             }),
                             now);
            out.push_back({Routed::Route::Announce, 0, false, std::move(m)});
        }
        for (auto it = s.streams.begin(); it != s.streams.end();) {
            if (it->second.owner != owner) {
                ++it;
                continue;
            }
            out.push_back({Routed::Route::Announce, 0, false,
                           make(s, MessageType::StreamEnd,
                                object([&](json::Writer& w) {
                                    json::writeKey(w, "streamId");
                                    json::writeString(w, it->first);
                                    json::writeKey(w, "reason");
                                    json::writeString(w, "disconnected");
                                }),
                                now)});
            it = s.streams.erase(it);
        }
        if (!gone.empty()) tasks_.schedule(s, now, out);
    }
}

void Coordinator::tick(std::int64_t now, Outputs& out, std::vector<std::string>* closedSessions) {
    PersistOnReturn persistOnReturn{*this};
    for (auto sit = sessions_.begin(); sit != sessions_.end();) {
        Session& s = sit->second;
        // Assign what can be assigned before declaring anything timed out.
        tasks_.schedule(s, now, out);
        tasks_.checkTimeouts(s, now, out);
        tasks_.forgetExpired(s, now);
        for (auto it = s.collaborations.begin(); it != s.collaborations.end();) {
            if (now < it->second.deadline) {
                ++it;
                continue;
            }
            auto requester = s.agents.find(it->second.requestingAgent);
            if (!it->second.answered && requester != s.agents.end() && requester->second.online) {
                Message m = make(s, MessageType::CollaborationResponse,
                                 object([&](json::Writer& w) {
                                     json::writeKey(w, "requestId");
                                     json::writeString(w, it->first);
                                     json::writeKey(w, "status");
                                     json::writeString(w, "timeout");
                                 }),
                                 now);
                m.agentId = it->second.requestingAgent;
                out.push_back({Routed::Route::Direct, requester->second.owner, false, std::move(m)});
            }
            it = s.collaborations.erase(it);
        }
        tasks_.schedule(s, now, out);
        bool busy = s.onlineAgents() > 0 || !s.streams.empty() || !s.collaborations.empty() ||
                    TaskScheduler::hasOpenTasks(s);
        if (!busy && now - s.lastActivity >= settings_.sessionIdleTimeoutMs) {
            if (closedSessions) closedSessions->push_back(s.id);
            changes_.sessions.insert(s.id);  // forgotten, with its tasks
            sit = sessions_.erase(sit);
        } else {
            ++sit;
        }
    }
}

std::optional<std::string> Coordinator::snapshotJson(const std::string& sessionId) const {
    const Session* s = findSession(sessionId);
    if (!s) return std::nullopt;
    return object([&](json::Writer& w) {
        json::writeKey(w, "sessionId");
        json::writeString(w, s->id);
        json::writeKey(w, "agents");
        w.StartArray();
        for (const auto& [id, a] : s->agents) writeAgentInfo(w, a.info, a.currentTasks, a.online);
        w.EndArray();
        json::writeKey(w, "tasks");
        w.StartArray();
        for (const auto& [id, t] : s->tasks) json::writeRaw(w, tasks_.taskJson(t));
        w.EndArray();
        json::writeKey(w, "streams");
        w.StartArray();
        for (const auto& [id, st] : s->streams) {
            w.StartObject();
            json::writeKey(w, "streamId");
            json::writeString(w, id);
            json::writeKey(w, "type");
            json::writeString(w, st.type);
            json::writeKey(w, "chunks");
            w.Uint64(st.chunks);
            w.EndObject();
        }
        w.EndArray();
        json::writeKey(w, "metrics");
        w.StartObject();
        json::writeKey(w, "totalTasks");
        w.Uint64(s->totalTasks);
        json::writeKey(w, "completedTasks");
        w.Uint64(s->completedTasks);
        json::writeKey(w, "errorCount");
        w.Uint64(s->failedTasks);
        json::writeKey(w, "avgExecutionTime");
        w.Double(s->completedTasks ? s->totalExecutionMs / static_cast<double>(s->completedTasks) : 0.0);
        w.EndObject();
    });
}

Coordinator::Totals Coordinator::totals() const {
    Totals t;
    double totalMs = 0;
    for (const auto& [id, s] : sessions_) {
        ++t.sessions;
        t.agents += s.onlineAgents();
        t.streams += s.streams.size();
        t.tasks += s.totalTasks;
        t.completed += s.completedTasks;
        t.failed += s.failedTasks;
        totalMs += s.totalExecutionMs;
    }
    t.avgExecutionMs = t.completed ? totalMs / static_cast<double>(t.completed) : 0.0;
    t.completedDurations = tasks_.completedDurations();
    return t;
}

}  // namespace brolostack::args
