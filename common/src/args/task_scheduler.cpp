// The task scheduler (task_scheduler.hpp): stages from
// requirements.agentTypes, agent choice by capability coverage, load and
// idle time, the three collaboration modes, retries, dependencies and the
// one terminal event per task (PROTOCOL.md section 7, "Tasks").
#include "brolostack/args/task_scheduler.hpp"

#include "brolostack/json.hpp"

#include <algorithm>

namespace brolostack::args {
namespace {

using protocol::Error;
using protocol::ErrorCode;
using protocol::makeError;

using json::object;

/// The unfinished tasks in scheduling order, as a list that stays valid
/// while they finish (tasks are only forgotten when one is submitted).
std::vector<Task*> unfinishedTasks(Session& s) {
    std::vector<Task*> tasks;
    tasks.reserve(s.openTasks.size());
    for (const auto& place : s.openTasks) {
        auto it = s.tasks.find(place.taskId);
        if (it != s.tasks.end()) tasks.push_back(&it->second);
    }
    return tasks;
}

bool hasCapability(const AgentState& a, const std::string& cap) {
    return std::find(a.info.capabilities.begin(), a.info.capabilities.end(), cap) != a.info.capabilities.end();
}

bool isActive(const Stage& st) { return st.state == StageState::Running || st.state == StageState::Done; }

/// Whether any agent could take one more task now.
bool anyAgentFree(const Session& s) { return !s.available.empty(); }

/// The agent for a task of one stage (nothing covered yet): the first, in
/// preference order, of those that can take work, are of the stage's type,
/// have not timed out on it and have every required capability. Among
/// such agents the coverage gain is the same for all, so this is the
/// choice ChoiceSearch makes, found without looking at every agent: the
/// walk goes over the agents of the rarest required capability.
const AgentState* chooseLoneStageAgent(const Session& s, const Task& t, const Stage& st) {
    const auto& required = t.def.capabilities;
    const AgentIndex::Entries* walk = &s.available.all();
    for (const auto& cap : required) {
        const AgentIndex::Entries* with = s.available.withCapability(cap);
        if (!with) return nullptr;  // no agent that can take work has it
        if (with->size() < walk->size()) walk = with;
    }
    for (const auto& entry : *walk) {
        const AgentState& a = *entry.agent;
        if (st.agentType && a.info.type != *st.agentType) continue;
        if (!st.triedAgents.empty() && st.triedAgents.count(*entry.id)) continue;
        if (std::all_of(required.begin(), required.end(), [&](const std::string& c) { return hasCapability(a, c); }))
            return &a;
    }
    return nullptr;
}

/// Chooses one agent per ready stage. Candidates are tried in preference
/// order (most still-uncovered required capabilities, then least loaded,
/// then longest idle), so the first complete choice is the preferred one;
/// when a choice cannot lead to covering the requirements, the search backs
/// up and tries the next candidate. A greedy pick alone would wait forever
/// in cases a different pick solves. The search is bounded: past kMaxSteps
/// the task waits and is tried again later.
class ChoiceSearch {
public:
    ChoiceSearch(const Session& s, const Task& t, const std::vector<std::size_t>& stages,
                 const std::set<std::string>& potential)
        : s_(s), t_(t), stages_(stages), potential_(potential) {}

    bool run(std::set<std::string> covered, std::vector<std::pair<std::size_t, std::string>>& chosen) {
        ExtraLoad extraLoad;
        return step(0, covered, extraLoad, chosen);
    }

private:
    static constexpr std::size_t kMaxSteps = 5000;
    /// Load added by the choices made so far in this search, per agent.
    using ExtraLoad = std::map<std::string, std::uint32_t>;

    bool covers(const std::set<std::string>& covered) const {
        const auto& required = t_.def.capabilities;
        return std::all_of(required.begin(), required.end(), [&](const std::string& c) {
            return covered.count(c) > 0 || potential_.count(c) > 0;
        });
    }

    std::vector<const AgentState*> candidates(const Stage& st, const std::set<std::string>& covered,
                                              const ExtraLoad& extraLoad) const {
        const auto& required = t_.def.capabilities;
        struct Scored {
            const AgentState* agent;
            const std::string* id;
            std::size_t gain;
            std::uint32_t load;
        };
        std::vector<Scored> scored;
        // Only agents that can take work at all (the session's index).
        for (const auto& entry : s_.available.all()) {
            const AgentState& a = *entry.agent;
            std::uint32_t load = a.currentTasks;
            if (!extraLoad.empty()) {
                auto extra = extraLoad.find(*entry.id);
                if (extra != extraLoad.end()) load += extra->second;
            }
            if (load >= a.info.maxConcurrentTasks) continue;
            if (st.agentType && a.info.type != *st.agentType) continue;
            if (st.triedAgents.count(*entry.id)) continue;
            bool hasAll = std::all_of(required.begin(), required.end(), [&](const std::string& c) { return hasCapability(a, c); });
            if (t_.stages.size() == 1 && !hasAll) continue;  // a lone stage's agent must have them all
            std::size_t gain = static_cast<std::size_t>(std::count_if(required.begin(), required.end(), [&](const std::string& c) {
                return !covered.count(c) && hasCapability(a, c);
            }));
            scored.push_back({&a, entry.id, gain, load});
        }
        // Ties end with the agent id: the order of the session's agents.
        std::sort(scored.begin(), scored.end(), [](const Scored& x, const Scored& y) {
            if (x.gain != y.gain) return x.gain > y.gain;
            if (x.load != y.load) return x.load < y.load;
            if (x.agent->idleSince != y.agent->idleSince) return x.agent->idleSince < y.agent->idleSince;
            return *x.id < *y.id;
        });
        std::vector<const AgentState*> out;
        for (const auto& sc : scored) out.push_back(sc.agent);
        return out;
    }

    bool step(std::size_t i, const std::set<std::string>& covered, ExtraLoad& extraLoad,
              std::vector<std::pair<std::size_t, std::string>>& chosen) {
        if (i == stages_.size()) return covers(covered);
        if (++steps_ > kMaxSteps) return false;
        const Stage& st = t_.stages[stages_[i]];
        for (const AgentState* a : candidates(st, covered, extraLoad)) {
            std::set<std::string> next = covered;
            next.insert(a->info.capabilities.begin(), a->info.capabilities.end());
            ++extraLoad[a->info.id];
            chosen.emplace_back(stages_[i], a->info.id);
            if (step(i + 1, next, extraLoad, chosen)) return true;
            chosen.pop_back();
            if (--extraLoad[a->info.id] == 0) extraLoad.erase(a->info.id);
            if (steps_ > kMaxSteps) return false;
        }
        return false;
    }

    const Session& s_;
    const Task& t_;
    const std::vector<std::size_t>& stages_;
    const std::set<std::string>& potential_;
    std::size_t steps_ = 0;
};

}  // namespace

Result TaskScheduler::start(Session& s, Owner submitter, TaskDefinition def,
                            std::optional<std::uint32_t> messageMaxRetries, std::int64_t now, Outputs& out) {
    if (def.id.empty()) def.id = "task-" + newId_();
    if (s.tasks.count(def.id)) return makeError(ErrorCode::Conflict, "task '" + def.id + "' exists in this session");
    for (const auto& dep : def.dependencies)
        if (!s.tasks.count(dep)) return makeError(ErrorCode::NotFound, "dependency '" + dep + "' is not a task of this session");
    forgetOldTasks(s);
    if (s.tasks.size() >= settings_.maxTasksPerSession)
        return makeError(ErrorCode::LimitExceeded, "too many unfinished tasks in this session");

    Task t;
    t.submitter = submitter;
    t.seq = s.nextTaskSeq++;
    t.createdAt = now;
    t.maxRetries = def.maxRetries.value_or(messageMaxRetries.value_or(settings_.defaultMaxRetries));
    if (def.agentTypes.empty()) t.stages.emplace_back();
    for (const auto& type : def.agentTypes) {
        Stage st;
        st.agentType = type;
        t.stages.push_back(st);
    }
    if (def.mode == Mode::Hybrid) {
        t.stages[0].role = "primary";
        for (std::size_t i = 1; i < t.stages.size(); ++i) t.stages[i].role = "support";
    }
    t.def = std::move(def);
    ++s.totalTasks;
    Task& task = s.tasks.emplace(t.def.id, std::move(t)).first->second;
    changes_.touch(s);
    return enqueue(s, task, false, now, out);
}

Result TaskScheduler::enqueue(Session& s, Task& t, bool requeued, std::int64_t now, Outputs& out) {
    s.openTasks.insert(queuePlace(t));
    s.awaitingDependencies.insert(queuePlace(t));
    changes_.touch(s, t);
    std::string announcement = object([&](json::Writer& w) {
        json::writeKey(w, "task");
        writeTaskDefinition(w, t.def);
        json::writeKey(w, "taskId");
        json::writeString(w, t.def.id);
        json::writeKey(w, "state");
        json::writeString(w, "queued");
        if (requeued) {
            json::writeKey(w, "requeued");
            w.Bool(true);
        }
    });
    out.push_back({Routed::Route::Announce, 0, false, make(s, MessageType::TaskStart, announcement, now)});
    resolveDependents(s, now, out);
    schedule(s, now, out);
    return object([&](json::Writer& w) {
        json::writeKey(w, "taskId");
        json::writeString(w, t.def.id);
        json::writeKey(w, "state");
        json::writeString(w, "queued");
    });
}

void TaskScheduler::makeReady(Task& t, std::int64_t now) {
    bool pipeline = t.def.mode == Mode::Sequential;
    for (std::size_t i = 0; i < t.stages.size(); ++i) {
        Stage& st = t.stages[i];
        if (st.state != StageState::Waiting) continue;
        st.state = StageState::Ready;
        st.readySince = now;
        // A pipeline requeued after a failure goes on from its last result.
        bool afterDone = pipeline && i > 0 && t.stages[i - 1].state == StageState::Done;
        st.inputJson = afterDone ? t.stages[i - 1].resultJson : t.def.payloadJson;
        if (pipeline) break;  // later stages wait for this one's result
    }
}

void TaskScheduler::resolveDependents(Session& s, std::int64_t now, Outputs& out) {
    // Repeat until nothing changes: a failure can cascade down a chain.
    for (bool again = true; again;) {
        again = false;
        const std::vector<QueuePlace> waiting(s.awaitingDependencies.begin(), s.awaitingDependencies.end());
        for (const auto& place : waiting) {
            auto task = s.tasks.find(place.taskId);
            if (task == s.tasks.end() || task->second.finished()) {
                s.awaitingDependencies.erase(place);
                continue;
            }
            Task& t = task->second;
            bool allDone = true;
            std::string failedDep;
            for (const auto& dep : t.def.dependencies) {
                auto it = s.tasks.find(dep);
                TaskState state = it == s.tasks.end() ? TaskState::Failed : it->second.state;
                if (state == TaskState::Failed || state == TaskState::Canceled) failedDep = dep;
                if (state != TaskState::Completed) allDone = false;
            }
            if (!failedDep.empty()) {
                finishTask(s, t, TaskState::Failed, "dependency_failed", "dependency '" + failedDep + "' did not complete",
                           now, out);
                again = true;
            } else if (allDone) {
                s.awaitingDependencies.erase(place);
                makeReady(t, now);
                s.noteStages(t);
                changes_.touch(s, t);
            }
        }
    }
}

void TaskScheduler::schedule(Session& s, std::int64_t now, Outputs& out) {
    // The tasks waiting for an agent, in scheduling order. Once every agent
    // is busy no further task can be placed: stop there rather than search
    // the agents for each task of a long queue on every event.
    bool free = anyAgentFree(s);
    for (auto place = s.assignable.begin(); free && place != s.assignable.end();) {
        auto task = s.tasks.find(place->taskId);
        ++place;  // assigning takes the task out of `assignable`: stay off its element
        if (task == s.tasks.end()) continue;
        if (assignTask(s, task->second, now, out)) free = anyAgentFree(s);
    }
}

bool TaskScheduler::assignTask(Session& s, Task& t, std::int64_t now, Outputs& out) {
    std::vector<std::pair<std::size_t, std::string>> chosen;
    if (t.stages.size() == 1) {
        if (t.stages[0].state != StageState::Ready) return false;
        const AgentState* agent = chooseLoneStageAgent(s, t, t.stages[0]);
        if (!agent) return false;  // wait: no agent can do it yet
        chosen.emplace_back(0, agent->info.id);
    } else if (!chooseStageAgents(s, t, chosen)) {
        return false;  // wait: no agents can do it yet
    }
    commitAssignment(s, t, chosen, now, out);
    return true;
}

bool TaskScheduler::chooseStageAgents(const Session& s, const Task& t,
                                      std::vector<std::pair<std::size_t, std::string>>& chosen) const {
    // Capabilities already covered by the agents of running and done stages.
    std::set<std::string> covered;
    for (const auto& st : t.stages)
        if (isActive(st)) covered.insert(st.agentCapabilities.begin(), st.agentCapabilities.end());
    // What stages still waiting for their turn (later pipeline stages) could
    // bring at best: any online agent of their type.
    std::set<std::string> potential;
    for (const auto& st : t.stages) {
        if (st.state != StageState::Waiting) continue;
        for (const auto& [id, a] : s.agents)
            if (a.online && (!st.agentType || a.info.type == *st.agentType))
                potential.insert(a.info.capabilities.begin(), a.info.capabilities.end());
    }
    std::vector<std::size_t> readyStages;
    for (std::size_t i = 0; i < t.stages.size(); ++i)
        if (t.stages[i].state == StageState::Ready) readyStages.push_back(i);

    ChoiceSearch search{s, t, readyStages, potential};
    return search.run(covered, chosen);
}

void TaskScheduler::commitAssignment(Session& s, Task& t, const std::vector<std::pair<std::size_t, std::string>>& chosen,
                                     std::int64_t now, Outputs& out) {
    if (t.state == TaskState::Queued) {
        t.state = TaskState::Running;
        t.startedAt = now;
    }
    changes_.touch(s, t);
    std::vector<std::string> supportAgents;
    std::string primaryAgent;
    for (std::size_t i = 0; i < t.stages.size(); ++i) {
        auto c = std::find_if(chosen.begin(), chosen.end(), [&](const auto& p) { return p.first == i; });
        const std::string& agentId = c != chosen.end() ? c->second : t.stages[i].agentId;
        if (i == 0) primaryAgent = agentId;
        else if (t.def.mode == Mode::Hybrid && !agentId.empty()) supportAgents.push_back(agentId);
    }
    for (const auto& choice : chosen) {
        const std::size_t index = choice.first;
        const std::string& agentId = choice.second;
        Stage& st = t.stages[index];
        st.state = StageState::Running;
        st.agentId = agentId;
        st.startedAt = now;
        st.progress = 0;
        auto agentIt = s.agents.find(agentId);
        AgentState& agent = agentIt->second;
        st.agentCapabilities = agent.info.capabilities;
        s.changeAgent(agentIt, [](AgentState& a) { ++a.currentTasks; });
        std::string payload = object([&](json::Writer& w) {
            json::writeKey(w, "taskId");
            json::writeString(w, t.def.id);
            json::writeKey(w, "agentId");
            json::writeString(w, agentId);
            json::writeKey(w, "stage");
            w.Uint64(index);
            json::writeKey(w, "stages");
            w.Uint64(t.stages.size());
            json::writeKey(w, "mode");
            json::writeString(w, modeName(t.def.mode));
            json::writeKey(w, "role");
            json::writeString(w, st.role);
            if (t.def.mode == Mode::Hybrid && index == 0) {
                json::writeKey(w, "supportAgents");
                w.StartArray();
                for (const auto& id : supportAgents) json::writeString(w, id);
                w.EndArray();
            } else if (t.def.mode == Mode::Hybrid) {
                json::writeKey(w, "primaryAgent");
                json::writeString(w, primaryAgent);
            }
            json::writeKey(w, "input");
            json::writeRaw(w, st.inputJson);
            json::writeKey(w, "task");
            writeTaskDefinition(w, t.def);
        });
        Message m = make(s, MessageType::TaskAssign, payload, now);
        m.agentId = agentId;
        m.metadata.priority = t.def.priority;
        m.metadata.correlationId = t.def.id;
        m.metadata.retryCount = st.retries;
        m.metadata.maxRetries = t.maxRetries;
        out.push_back({Routed::Route::ToAgent, agent.owner, false, std::move(m)});
    }
    s.noteStages(t);
}

void TaskScheduler::releaseAgent(Session& s, const std::string& agentId, std::int64_t now) {
    auto it = s.agents.find(agentId);
    if (it == s.agents.end() || it->second.currentTasks == 0) return;
    s.changeAgent(it, [&](AgentState& a) {
        if (--a.currentTasks == 0) a.idleSince = now;
    });
}

double TaskScheduler::overallProgress(const Task& t) const {
    if (t.state == TaskState::Completed) return 100;
    double n = static_cast<double>(t.stages.size());
    if (t.def.mode == Mode::Hybrid) return t.stages[0].state == StageState::Done ? 100 : t.stages[0].progress;
    double sum = 0;
    for (const auto& st : t.stages) sum += st.state == StageState::Done ? 100 : st.progress;
    return sum / n;
}

// Besides the fields of docs/protocol.md, the seed's ARGSTaskProgress
// fields at the top: `status` (the task's), the agent's `message`, and the
// task's `result` once it is completed, so that a client watching
// task-progress alone sees the end (`status === 'completed'`).
void TaskScheduler::announceProgress(Session& s, const Task& t, std::size_t stage, const std::string& reportFields,
                                   std::int64_t now, Outputs& out, bool finished) {
    const Stage& st = t.stages[stage];
    json::Document report;
    report.Parse(reportFields.c_str());
    std::string_view state = finished ? std::string_view("completed") : taskStateName(t.state);
    std::string payload = object([&](json::Writer& w) {
        json::writeKey(w, "taskId");
        json::writeString(w, t.def.id);
        json::writeKey(w, "agentId");
        json::writeString(w, st.agentId);
        json::writeKey(w, "stage");
        w.Uint64(stage);
        json::writeKey(w, "stages");
        w.Uint64(t.stages.size());
        json::writeKey(w, "stageState");
        json::writeString(w, st.state == StageState::Done ? "completed" : "running");
        json::writeKey(w, "stageProgress");
        w.Double(st.state == StageState::Done ? 100.0 : st.progress);
        json::writeKey(w, "state");
        json::writeString(w, state);
        json::writeKey(w, "status");
        json::writeString(w, state);
        json::writeKey(w, "progress");
        w.Double(overallProgress(t));
        if (report.IsObject() && report.HasMember("message") && report["message"].IsString()) {
            json::writeKey(w, "message");
            json::writeString(w, {report["message"].GetString(), report["message"].GetStringLength()});
        }
        if (finished) {
            json::writeKey(w, "result");
            json::writeRaw(w, t.resultJson);
        }
        json::writeKey(w, "report");
        json::writeRaw(w, reportFields);
    });
    Message m = make(s, MessageType::TaskProgress, payload, now);
    m.agentId = st.agentId;
    m.metadata.correlationId = t.def.id;
    out.push_back({Routed::Route::Announce, 0, false, std::move(m)});
}

Result TaskScheduler::report(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out) {
    json::Document p;
    if (!json::parseStrict(msg.payloadJson, p, msg.payloadJson.size() + 1, 32, true).ok())
        return payloadError("", std::string(messageTypeName(msg.type)) + " payload must be an object");
    auto str = [&](const char* name) -> std::optional<std::string> {
        auto it = p.FindMember(name);
        if (it == p.MemberEnd() || !it->value.IsString()) return std::nullopt;
        return std::string(it->value.GetString(), it->value.GetStringLength());
    };
    auto taskId = str("taskId");
    auto agentId = str("agentId");
    if (!agentId && msg.agentId) agentId = msg.agentId;
    if (!taskId) return payloadError("taskId", "'taskId' is required");
    if (!agentId) return payloadError("agentId", "'agentId' is required");
    auto tit = s.tasks.find(*taskId);
    if (tit == s.tasks.end()) return makeError(ErrorCode::NotFound, "no task '" + *taskId + "' in this session");
    Task& t = tit->second;
    auto agent = s.agents.find(*agentId);
    if (agent == s.agents.end() || !agent->second.online || agent->second.owner != from)
        return makeError(ErrorCode::Forbidden, "'agentId' must be an online agent of this connection");
    auto stageIt = std::find_if(t.stages.begin(), t.stages.end(), [&](const Stage& st) {
        return st.state == StageState::Running && st.agentId == *agentId;
    });
    if (t.finished() || stageIt == t.stages.end())
        return makeError(ErrorCode::Forbidden, "agent '" + *agentId + "' is not assigned to task '" + *taskId + "'");
    std::size_t stage = static_cast<std::size_t>(stageIt - t.stages.begin());

    auto resultIt = p.FindMember("result");
    std::string result = resultIt == p.MemberEnd() ? "null" : json::toString(resultIt->value);
    bool completes = msg.type == MessageType::TaskComplete ||
                     (msg.type == MessageType::TaskProgress && str("status") == std::optional<std::string>("completed") &&
                      resultIt != p.MemberEnd());
    if (msg.type == MessageType::TaskError) {
        std::string message = str("message").value_or("the agent reported an error");
        std::string code = str("code").value_or("error");
        releaseAgent(s, *agentId, now);
        stageIt->state = StageState::Stopped;
        finishTask(s, t, TaskState::Failed, "agent_error", "agent '" + *agentId + "' failed (" + code + "): " + message,
                   now, out);
        return std::string("{}");
    }
    if (completes) {
        stageDone(s, t, stage, result, now, out);
        return std::string("{}");
    }
    auto progress = p.FindMember("progress");
    if (progress != p.MemberEnd() && progress->value.IsNumber())
        stageIt->progress = std::clamp(progress->value.GetDouble(), 0.0, 100.0);
    announceProgress(s, t, stage, msg.payloadJson, now, out);
    return std::string("{}");
}

void TaskScheduler::stageDone(Session& s, Task& t, std::size_t stage, const std::string& resultJson, std::int64_t now,
                            Outputs& out) {
    Stage& st = t.stages[stage];
    changes_.touch(s, t);
    st.state = StageState::Done;
    st.resultJson = resultJson;
    st.progress = 100;
    releaseAgent(s, st.agentId, now);
    bool done = false;
    if (t.def.mode == Mode::Sequential) {
        if (stage + 1 < t.stages.size()) {
            Stage& next = t.stages[stage + 1];
            next.state = StageState::Ready;
            next.readySince = now;
            next.inputJson = resultJson;
            s.noteStages(t);
        } else {
            done = true;
            t.resultJson = resultJson;
        }
    } else if (t.def.mode == Mode::Hybrid) {
        done = stage == 0;
        if (done) t.resultJson = resultJson;
    } else {
        done = std::all_of(t.stages.begin(), t.stages.end(), [](const Stage& x) { return x.state == StageState::Done; });
        if (done) {
            rapidjson::StringBuffer buffer;
            json::Writer w(buffer);
            w.StartArray();
            for (const auto& x : t.stages) json::writeRaw(w, x.resultJson);
            w.EndArray();
            t.resultJson.assign(buffer.GetString(), buffer.GetSize());
        }
    }
    announceProgress(s, t, stage, object([&](json::Writer& w) {
                         json::writeKey(w, "status");
                         json::writeString(w, "completed");
                         json::writeKey(w, "result");
                         json::writeRaw(w, resultJson);
                     }),
                     now, out, done);
    if (done) finishTask(s, t, TaskState::Completed, "", "", now, out);
    else schedule(s, now, out);
}

void TaskScheduler::requeueStage(Session& s, Task& t, std::size_t stage, const char* code, const std::string& why,
                               std::int64_t now, Outputs& out) {
    Stage& st = t.stages[stage];
    changes_.touch(s, t);
    std::string agentId = st.agentId;
    releaseAgent(s, agentId, now);
    // The agent may still be working on it: tell it to stop.
    if (auto owner = onlineOwner(s, agentId)) {
        Message m = make(s, MessageType::TaskCancel,
                         object([&](json::Writer& w) {
                             json::writeKey(w, "taskId");
                             json::writeString(w, t.def.id);
                             json::writeKey(w, "agentId");
                             json::writeString(w, agentId);
                             json::writeKey(w, "reason");
                             json::writeString(w, code);
                         }),
                         now);
        m.agentId = agentId;
        out.push_back({Routed::Route::ToAgent, *owner, false, std::move(m)});
    }
    if (st.retries >= t.maxRetries) {
        st.state = StageState::Stopped;
        finishTask(s, t, TaskState::Failed, code, why + " and no retries are left", now, out);
        return;
    }
    ++st.retries;
    // A stage that timed out goes to another agent; one whose agent dropped
    // may go back to it once it reconnects.
    if (std::string_view(code) == "timeout") st.triedAgents.insert(agentId);
    st.agentId.clear();
    st.state = StageState::Ready;
    st.readySince = now;
    st.progress = 0;
    s.noteStages(t);
    schedule(s, now, out);
}

void TaskScheduler::finishTask(Session& s, Task& t, TaskState state, const std::string& code,
                             const std::string& message, std::int64_t now, Outputs& out) {
    if (t.finished()) return;
    changes_.touch(s);
    changes_.touch(s, t);
    s.openTasks.erase(queuePlace(t));
    s.assignable.erase(queuePlace(t));
    s.awaitingDependencies.erase(queuePlace(t));
    t.state = state;
    t.finishedAt = now;
    s.retained.emplace(forgetAt(t), t.def.id);
    for (std::size_t i = 0; i < t.stages.size(); ++i) {
        Stage& st = t.stages[i];
        if (st.state != StageState::Running) {
            if (st.state != StageState::Done) st.state = StageState::Stopped;
            continue;
        }
        // Still working (a support agent, or a stage of a failed task): stop it.
        st.state = StageState::Stopped;
        releaseAgent(s, st.agentId, now);
        if (auto owner = onlineOwner(s, st.agentId)) {
            Message m = make(s, MessageType::TaskCancel,
                             object([&](json::Writer& w) {
                                 json::writeKey(w, "taskId");
                                 json::writeString(w, t.def.id);
                                 json::writeKey(w, "agentId");
                                 json::writeString(w, st.agentId);
                                 json::writeKey(w, "reason");
                                 json::writeString(w, taskStateName(state));
                             }),
                             now);
            m.agentId = st.agentId;
            out.push_back({Routed::Route::ToAgent, *owner, false, std::move(m)});
        }
    }
    Message m;
    if (state == TaskState::Completed) {
        ++s.completedTasks;
        std::int64_t took = now - (t.startedAt ? t.startedAt : t.createdAt);
        s.totalExecutionMs += static_cast<double>(took);
        completedDurations_.observe(static_cast<double>(took));
        m = make(s, MessageType::TaskComplete, object([&](json::Writer& w) {
                     json::writeKey(w, "taskId");
                     json::writeString(w, t.def.id);
                     json::writeKey(w, "state");
                     json::writeString(w, "completed");
                     json::writeKey(w, "result");
                     json::writeRaw(w, t.resultJson);
                     json::writeKey(w, "executionTime");
                     w.Int64(took);
                 }), now);
    } else if (state == TaskState::Canceled) {
        m = make(s, MessageType::TaskCancel, object([&](json::Writer& w) {
                     json::writeKey(w, "taskId");
                     json::writeString(w, t.def.id);
                     json::writeKey(w, "state");
                     json::writeString(w, "canceled");
                 }), now);
    } else {
        ++s.failedTasks;
        t.errorCode = code;
        t.errorMessage = message;
        m = make(s, MessageType::TaskError, object([&](json::Writer& w) {
                     json::writeKey(w, "taskId");
                     json::writeString(w, t.def.id);
                     json::writeKey(w, "state");
                     json::writeString(w, "failed");
                     json::writeKey(w, "code");
                     json::writeString(w, code);
                     json::writeKey(w, "message");
                     json::writeString(w, message);
                 }), now);
    }
    m.metadata.correlationId = t.def.id;
    out.push_back({Routed::Route::Announce, 0, false, std::move(m)});
    resolveDependents(s, now, out);
    schedule(s, now, out);
}

Result TaskScheduler::cancel(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out) {
    json::Document p;
    if (!json::parseStrict(msg.payloadJson, p, msg.payloadJson.size() + 1, 32, true).ok())
        return payloadError("", "TASK_CANCEL payload must be an object");
    auto id = p.FindMember("taskId");
    if (id == p.MemberEnd() || !id->value.IsString()) return payloadError("taskId", "'taskId' is required");
    auto it = s.tasks.find(id->value.GetString());
    if (it == s.tasks.end()) return makeError(ErrorCode::NotFound, std::string("no task '") + id->value.GetString() + "'");
    Task& t = it->second;
    if (t.submitter != from) return makeError(ErrorCode::Forbidden, "only the task's submitter may cancel it");
    if (t.finished()) return makeError(ErrorCode::Conflict, "the task has already " + std::string(taskStateName(t.state)));
    finishTask(s, t, TaskState::Canceled, "canceled", "canceled by its submitter", now, out);
    return object([&](json::Writer& w) {
        json::writeKey(w, "taskId");
        json::writeString(w, t.def.id);
        json::writeKey(w, "state");
        json::writeString(w, "canceled");
    });
}

void TaskScheduler::forgetOldTasks(Session& s) {
    // Those due to be forgotten soonest go first; unfinished tasks are never forgotten.
    while (s.tasks.size() >= settings_.maxTasksPerSession && !s.retained.empty()) {
        std::string id = s.retained.begin()->second;
        s.retained.erase(s.retained.begin());
        changes_.tasks.emplace(s.id, id);  // forgotten
        s.tasks.erase(id);
    }
}

std::int64_t TaskScheduler::forgetAt(const Task& t) const {
    return t.finishedAt + (t.state == TaskState::Failed ? settings_.deadLetterRetentionMs : settings_.taskRetentionMs);
}

void TaskScheduler::forgetExpired(Session& s, std::int64_t now) {
    while (!s.retained.empty() && s.retained.begin()->first <= now) {
        std::string id = s.retained.begin()->second;
        s.retained.erase(s.retained.begin());
        changes_.tasks.emplace(s.id, id);  // forgotten
        s.tasks.erase(id);
    }
}

std::string TaskScheduler::taskJson(const Task& t) const {
    return object([&](json::Writer& w) {
        json::writeKey(w, "id");
        json::writeString(w, t.def.id);
        json::writeKey(w, "type");
        json::writeString(w, t.def.type);
        json::writeKey(w, "state");
        json::writeString(w, taskStateName(t.state));
        json::writeKey(w, "progress");
        w.Double(overallProgress(t));
        std::size_t stage = 0;
        for (std::size_t i = 0; i < t.stages.size(); ++i)
            if (t.stages[i].state == StageState::Running || t.stages[i].state == StageState::Ready) {
                stage = i;
                break;
            }
        json::writeKey(w, "stage");
        w.Uint64(stage);
        json::writeKey(w, "stages");
        w.Uint64(t.stages.size());
        json::writeKey(w, "agents");
        w.StartArray();
        for (const auto& st : t.stages)
            if (!st.agentId.empty()) json::writeString(w, st.agentId);
        w.EndArray();
        json::writeKey(w, "result");
        json::writeRaw(w, t.resultJson);
        json::writeKey(w, "error");
        if (t.state == TaskState::Failed) {
            w.StartObject();
            json::writeKey(w, "code");
            json::writeString(w, t.errorCode);
            json::writeKey(w, "message");
            json::writeString(w, t.errorMessage);
            w.EndObject();
        } else {
            w.Null();
        }
    });
}

std::optional<Owner> TaskScheduler::onlineOwner(const Session& s, const std::string& agentId) {
    auto it = s.agents.find(agentId);
    if (it == s.agents.end() || !it->second.online) return std::nullopt;
    return it->second.owner;
}

void TaskScheduler::agentLeft(Session& s, const std::string& agentId, const std::string& why, std::int64_t now,
                              Outputs& out) {
    for (Task* t : unfinishedTasks(s))
        for (std::size_t i = 0; i < t->stages.size(); ++i)
            if (t->stages[i].state == StageState::Running && t->stages[i].agentId == agentId)
                requeueStage(s, *t, i, "agent_error", "agent '" + agentId + "' " + why, now, out);
}

void TaskScheduler::checkTimeouts(Session& s, std::int64_t now, Outputs& out) {
    for (Task* task : unfinishedTasks(s)) {
        Task& t = *task;
        if (t.finished()) continue;  // finished by an earlier one's failure
        std::int64_t limit = t.def.maxExecutionTime.value_or(settings_.taskTimeoutMs);
        for (std::size_t i = 0; i < t.stages.size() && !t.finished(); ++i) {
            Stage& st = t.stages[i];
            if (st.state == StageState::Ready && now - st.readySince >= settings_.assignTimeoutMs)
                finishTask(s, t, TaskState::Failed, "no_suitable_agent",
                           "no online agent with free capacity meets the requirements", now, out);
            else if (st.state == StageState::Running && now - st.startedAt >= limit)
                requeueStage(s, t, i, "timeout",
                             "stage " + std::to_string(i) + " exceeded " + std::to_string(limit) + " ms", now, out);
        }
    }
}

bool TaskScheduler::hasOpenTasks(const Session& s) {
    return std::any_of(s.tasks.begin(), s.tasks.end(), [](const auto& t) { return !t.second.finished(); });
}

}  // namespace brolostack::args
