// The state of one ARGS session: agents, tasks with their stages, pending
// collaboration requests, open streams and metrics. Plain data; the
// Coordinator owns the rules.
#pragma once

#include "brolostack/args/types.hpp"

#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <string>
#include <unordered_map>
#include <vector>

namespace brolostack::args {

/// Who owns an agent or a request: a connection id of the hub (in-process
/// agents get ids of their own from the embedding layer).
using Owner = std::uint64_t;

struct AgentState {
    AgentInfo info;
    Owner owner = 0;
    bool online = true;
    std::uint32_t currentTasks = 0;
    std::int64_t idleSince = 0;  // last time its load dropped to zero
    /// Where the session's AgentIndex holds it (its key when added), if it does.
    struct Indexed {
        bool held = false;
        std::uint32_t load = 0;
        std::int64_t idleSince = 0;
    } indexed;
};

/// Whether an agent takes new work: online, in no status that refuses it
/// (offline, error, paused, maintenance) and below its maxConcurrentTasks.
bool canTakeWork(const AgentState& a);

/// The agents that can take work (canTakeWork), in the order the scheduler
/// prefers them among equals: least loaded, then longest idle, then by id;
/// all of them, and those of each capability. Choosing an agent for a task
/// walks these rather than every agent of the session. The index holds
/// pointers into Session::agents: every change to an agent's load, idle
/// time, status, online state or info goes through Session::changeAgent,
/// and an agent leaves it (Session::dropAgent) before it is erased.
class AgentIndex {
public:
    struct Entry {
        std::uint32_t load;
        std::int64_t idleSince;
        const std::string* id;  // the key of Session::agents: stable while the agent is held
        const AgentState* agent;
        bool operator<(const Entry& o) const {
            if (load != o.load) return load < o.load;
            if (idleSince != o.idleSince) return idleSince < o.idleSince;
            return *id < *o.id;
        }
    };
    using Entries = std::set<Entry>;

    AgentIndex() = default;
    AgentIndex(AgentIndex&&) = default;
    AgentIndex& operator=(AgentIndex&&) = default;
    // Its entries point into one session's agents: a copy would point into another's.
    AgentIndex(const AgentIndex&) = delete;
    AgentIndex& operator=(const AgentIndex&) = delete;

    /// Holds the agent if it can take work now.
    void add(const std::string& id, AgentState& a);
    /// Lets go of the agent (with the capabilities it has now), if held.
    void remove(const std::string& id, AgentState& a);
    void clear() {
        all_.clear();
        byCapability_.clear();
    }

    const Entries& all() const { return all_; }
    /// Those with capability `cap`; null when none.
    const Entries* withCapability(const std::string& cap) const {
        auto it = byCapability_.find(cap);
        return it == byCapability_.end() ? nullptr : &it->second;
    }
    bool empty() const { return all_.empty(); }
    std::size_t capabilityCount() const { return byCapability_.size(); }

private:
    Entries all_;
    std::unordered_map<std::string, Entries> byCapability_;  // no empty sets
};

enum class TaskState { Queued, Running, Completed, Failed, Canceled };
std::string_view taskStateName(TaskState s);

enum class StageState { Waiting, Ready, Running, Done, Stopped };
std::string_view stageStateName(StageState s);

struct Stage {
    std::optional<std::string> agentType;
    StageState state = StageState::Waiting;
    std::string agentId;
    std::vector<std::string> agentCapabilities;  // of the agent when assigned: coverage survives its leaving
    std::string role = "stage";
    std::string inputJson = "null";
    std::string resultJson = "null";
    double progress = 0;          // 0-100 within the stage
    std::int64_t readySince = 0;  // assignTimeoutMs counts from here
    std::int64_t startedAt = 0;
    std::uint32_t retries = 0;
    std::set<std::string> triedAgents;
};

struct Task {
    TaskDefinition def;
    Owner submitter = 0;
    TaskState state = TaskState::Queued;
    std::vector<Stage> stages;
    std::uint64_t seq = 0;  // submission order, for FIFO within a priority
    std::uint32_t maxRetries = 2;
    std::int64_t createdAt = 0;
    std::int64_t startedAt = 0;
    std::int64_t finishedAt = 0;
    std::string resultJson = "null";
    std::string errorCode;
    std::string errorMessage;

    bool finished() const {
        return state == TaskState::Completed || state == TaskState::Failed || state == TaskState::Canceled;
    }
};

struct Collaboration {
    std::string requestId;
    std::string requestingAgent;
    std::int64_t deadline = 0;
    bool answered = false;
};

enum class Qos { BestEffort, Guaranteed, RealTime };

struct Stream {
    std::string streamId;
    Owner owner = 0;
    std::string type = "json";
    Qos qos = Qos::BestEffort;
    std::int64_t nextSeq = 0;
    std::uint64_t chunks = 0;
};

/// A task's place in the scheduling order: higher priority first, then
/// submission order.
struct QueuePlace {
    int negatedPriority = 0;
    std::uint64_t seq = 0;
    std::string taskId;
    bool operator<(const QueuePlace& o) const {
        return std::tie(negatedPriority, seq, taskId) < std::tie(o.negatedPriority, o.seq, o.taskId);
    }
};

inline QueuePlace queuePlace(const Task& t) { return {-static_cast<int>(t.def.priority), t.seq, t.def.id}; }

struct Session {
    std::string id;
    std::map<std::string, AgentState> agents;
    std::map<std::string, Task> tasks;  // unfinished ones, and finished ones kept for lookups
    /// The unfinished tasks in scheduling order: events walk these rather
    /// than every task kept.
    std::set<QueuePlace> openTasks;
    /// The unfinished tasks with a stage ready for an agent, in scheduling
    /// order: what scheduling walks, rather than every running task
    /// (noteStages keeps it).
    std::set<QueuePlace> assignable;
    /// The tasks still waiting for their dependencies.
    std::set<QueuePlace> awaitingDependencies;
    /// Finished tasks by when they are to be forgotten (retention), soonest first.
    std::set<std::pair<std::int64_t, std::string>> retained;
    std::unordered_map<std::string, Collaboration> collaborations;
    std::map<std::string, Stream> streams;
    std::uint64_t nextTaskSeq = 1;
    std::int64_t lastActivity = 0;
    // metrics
    std::uint64_t totalTasks = 0;
    std::uint64_t completedTasks = 0;
    std::uint64_t failedTasks = 0;
    double totalExecutionMs = 0;

    /// The agents that can take work, in preference order (AgentIndex).
    AgentIndex available;

    /// Changes an agent's state with `change(AgentState&)`, keeping
    /// `available` in step; the agent must exist.
    template <typename Change>
    void changeAgent(std::map<std::string, AgentState>::iterator it, Change&& change) {
        available.remove(it->first, it->second);
        change(it->second);
        available.add(it->first, it->second);
    }
    /// Erases an agent (held or not).
    void dropAgent(std::map<std::string, AgentState>::iterator it) {
        available.remove(it->first, it->second);
        agents.erase(it);
    }
    /// Puts `t` in `assignable` or takes it out, after its stages or its
    /// state changed.
    void noteStages(const Task& t);
    /// Whether `assignable` holds exactly the unfinished tasks with a ready
    /// stage: for tests.
    bool assignableConsistent() const;

    /// Builds `available` anew from `agents` (after a restore).
    void reindexAgents();
    /// Whether `available` holds exactly the agents that can take work, each
    /// under its present load and idle time, in every capability it has:
    /// for tests.
    bool agentIndexConsistent() const;

    std::size_t onlineAgents() const {
        std::size_t n = 0;
        for (const auto& [id, a] : agents) n += a.online ? 1 : 0;
        return n;
    }
};

}  // namespace brolostack::args
