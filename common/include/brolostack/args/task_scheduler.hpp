// The task scheduler of one ARGS deployment (PROTOCOL.md section 7): tasks
// split into stages by requirements.agentTypes, run sequentially, in
// parallel or in hybrid mode; agents chosen by capability coverage, load
// and idle time; progress, completion, retries, timeouts, dependencies,
// cancellation and dead letters. It works on the sessions the coordinator
// holds and adds what it produces to `out`; what it changes goes to the
// coordinator's Changes, for the store.
#pragma once

#include "brolostack/args/effects.hpp"
#include "brolostack/duration_histogram.hpp"

#include <functional>
#include <optional>
#include <string>

namespace brolostack::args {

class TaskScheduler {
public:
    TaskScheduler(const CoordinatorSettings& settings, std::function<std::string()> newId, Changes& changes)
        : settings_(settings), newId_(std::move(newId)), changes_(changes) {}

    /// TASK_START as `submitter`: queued (and announced) or an error.
    Result start(Session& s, Owner submitter, TaskDefinition def, std::optional<std::uint32_t> messageMaxRetries,
                 std::int64_t now, Outputs& out);
    /// TASK_PROGRESS, TASK_COMPLETE and TASK_ERROR from an assigned agent.
    Result report(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out);
    /// TASK_CANCEL from the task's submitter.
    Result cancel(Session& s, Owner from, const Message& msg, std::int64_t now, Outputs& out);
    /// Assigns what can be assigned, in scheduling order.
    void schedule(Session& s, std::int64_t now, Outputs& out);
    /// The agent is gone (offline or unregistered): its running stages are re-queued.
    void agentLeft(Session& s, const std::string& agentId, const std::string& why, std::int64_t now, Outputs& out);
    /// Assignment and execution timeouts.
    void checkTimeouts(Session& s, std::int64_t now, Outputs& out);
    /// Forgets finished tasks past their retention.
    void forgetExpired(Session& s, std::int64_t now);
    /// When a task finished at `finishedAt` in state `state` is to be forgotten.
    std::int64_t forgetAt(const Task& t) const;
    /// Whether the session still has work that is not finished.
    static bool hasOpenTasks(const Session& s);

    /// The session's failed tasks with their stages and attempts.
    std::string deadLettersJson(const Session& s) const;
    /// Puts a failed task back in the queue with fresh retries for its unfinished stages.
    Result requeueDeadLetter(Session& s, const std::string& taskId, std::int64_t now, Outputs& out);

    /// A task as the session snapshot shows it.
    std::string taskJson(const Task& t) const;

    /// How long completed tasks took, since the server started (all sessions).
    const DurationHistogram& completedDurations() const { return completedDurations_; }

private:
    /// Puts a task (new, or a dead letter back) in the queue and announces TASK_START; the reply.
    Result enqueue(Session& s, Task& t, bool requeued, std::int64_t now, Outputs& out);
    bool assignTask(Session& s, Task& t, std::int64_t now, Outputs& out);
    /// One agent per ready stage of a task of several stages (ChoiceSearch); false: none yet.
    bool chooseStageAgents(const Session& s, const Task& t, std::vector<std::pair<std::size_t, std::string>>& chosen) const;
    void commitAssignment(Session& s, Task& t, const std::vector<std::pair<std::size_t, std::string>>& chosen,
                          std::int64_t now, Outputs& out);
    void makeReady(Task& t, std::int64_t now);
    void stageDone(Session& s, Task& t, std::size_t stage, const std::string& resultJson, std::int64_t now, Outputs& out);
    void requeueStage(Session& s, Task& t, std::size_t stage, const char* code, const std::string& why,
                      std::int64_t now, Outputs& out);
    void finishTask(Session& s, Task& t, TaskState state, const std::string& code, const std::string& message,
                    std::int64_t now, Outputs& out);
    void releaseAgent(Session& s, const std::string& agentId, std::int64_t now);
    /// `finished`: this stage's completion completes the whole task.
    void announceProgress(Session& s, const Task& t, std::size_t stage, const std::string& extraJson,
                          std::int64_t now, Outputs& out, bool finished = false);
    void resolveDependents(Session& s, std::int64_t now, Outputs& out);
    void forgetOldTasks(Session& s);
    double overallProgress(const Task& t) const;
    /// Where an agent's messages go: its owner when it is online.
    static std::optional<Owner> onlineOwner(const Session& s, const std::string& agentId);
    Message make(const Session& s, MessageType type, std::string payloadJson, std::int64_t now) const {
        return serverMessage(newId_, s, type, std::move(payloadJson), now);
    }

    const CoordinatorSettings& settings_;
    std::function<std::string()> newId_;
    Changes& changes_;
    DurationHistogram completedDurations_;
};

}  // namespace brolostack::args
