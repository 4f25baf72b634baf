// The task scheduler: dead letters, the tasks that failed for good, kept with
// their stages and attempts until an operator requeues them (HTTP API) or
// they are forgotten (DEAD_LETTER_RETENTION_MS, maxTasksPerSession, or with
// their idle session).
#include "brolostack/args/task_scheduler.hpp"

#include "brolostack/json.hpp"

#include <algorithm>
#include <tuple>

namespace brolostack::args {

using json::object;
using protocol::ErrorCode;
using protocol::makeError;

namespace {

void writeDeadLetter(json::Writer& w, const Task& t) {
    w.StartObject();
    json::writeKey(w, "taskId");
    json::writeString(w, t.def.id);
    json::writeKey(w, "failedAt");
    w.Int64(t.finishedAt);
    json::writeKey(w, "error");
    w.StartObject();
    json::writeKey(w, "code");
    json::writeString(w, t.errorCode);
    json::writeKey(w, "message");
    json::writeString(w, t.errorMessage);
    w.EndObject();
    json::writeKey(w, "task");
    writeTaskDefinition(w, t.def);
    json::writeKey(w, "stages");
    w.StartArray();
    for (const Stage& st : t.stages) {
        w.StartObject();
        json::writeKey(w, "agentType");
        if (st.agentType) json::writeString(w, *st.agentType);
        else w.Null();
        json::writeKey(w, "state");
        json::writeString(w, stageStateName(st.state));
        json::writeKey(w, "agentId");
        json::writeString(w, st.agentId);
        json::writeKey(w, "retries");
        w.Uint(st.retries);
        json::writeKey(w, "triedAgents");
        w.StartArray();
        for (const auto& id : st.triedAgents) json::writeString(w, id);
        w.EndArray();
        json::writeKey(w, "result");
        json::writeRaw(w, st.resultJson);
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
}

}  // namespace

std::string TaskScheduler::deadLettersJson(const Session& s) const {
    std::vector<const Task*> failed;
    for (const auto& [id, t] : s.tasks)
        if (t.state == TaskState::Failed) failed.push_back(&t);
    std::sort(failed.begin(), failed.end(), [](const Task* a, const Task* b) {
        return std::tie(a->finishedAt, a->seq) < std::tie(b->finishedAt, b->seq);
    });
    return object([&](json::Writer& w) {
        json::writeKey(w, "sessionId");
        json::writeString(w, s.id);
        json::writeKey(w, "count");
        w.Uint64(failed.size());
        json::writeKey(w, "tasks");
        w.StartArray();
        for (const Task* t : failed) writeDeadLetter(w, *t);
        w.EndArray();
    });
}

Result TaskScheduler::requeueDeadLetter(Session& s, const std::string& taskId, std::int64_t now, Outputs& out) {
    auto it = s.tasks.find(taskId);
    if (it == s.tasks.end()) return makeError(ErrorCode::NotFound, "no task '" + taskId + "' in this session");
    Task& t = it->second;
    if (t.state != TaskState::Failed)
        return makeError(ErrorCode::Conflict, "task '" + taskId + "' is " + std::string(taskStateName(t.state)) +
                                                  ": only failed tasks are dead letters");
    s.retained.erase({forgetAt(t), t.def.id});
    bool anyDone = false;
    for (Stage& st : t.stages) {
        if (st.state == StageState::Done) {
            anyDone = true;
            continue;
        }
        Stage fresh;  // what the stage was at submission: no agent, no attempts
        fresh.agentType = st.agentType;
        fresh.role = st.role;
        st = std::move(fresh);
    }
    t.state = anyDone ? TaskState::Running : TaskState::Queued;
    t.finishedAt = 0;
    t.resultJson = "null";
    t.errorCode.clear();
    t.errorMessage.clear();
    s.lastActivity = now;
    return enqueue(s, t, true, now, out);
}

}  // namespace brolostack::args
