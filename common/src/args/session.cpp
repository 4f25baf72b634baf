// The session's indexes: the agents that can take work and the tasks
// waiting for one (session.hpp).
#include "brolostack/args/session.hpp"

#include <algorithm>

namespace brolostack::args {

namespace {
bool waitsForAgent(const Task& t) {
    return !t.finished() &&
           std::any_of(t.stages.begin(), t.stages.end(), [](const Stage& st) { return st.state == StageState::Ready; });
}
}  // namespace

bool canTakeWork(const AgentState& a) {
    const std::string& status = a.info.status;
    bool refuses = status == "offline" || status == "error" || status == "paused" || status == "maintenance";
    return a.online && !refuses && a.currentTasks < a.info.maxConcurrentTasks;
}

void AgentIndex::add(const std::string& id, AgentState& a) {
    if (a.indexed.held || !canTakeWork(a)) return;
    const Entry entry{a.currentTasks, a.idleSince, &id, &a};
    all_.insert(entry);
    for (const auto& cap : a.info.capabilities) byCapability_[cap].insert(entry);
    a.indexed = {true, a.currentTasks, a.idleSince};
}

void AgentIndex::remove(const std::string& id, AgentState& a) {
    if (!a.indexed.held) return;
    // Found by the key it was added under, whatever the agent says now.
    const Entry entry{a.indexed.load, a.indexed.idleSince, &id, &a};
    all_.erase(entry);
    for (const auto& cap : a.info.capabilities) {
        auto it = byCapability_.find(cap);
        if (it == byCapability_.end()) continue;
        it->second.erase(entry);
        if (it->second.empty()) byCapability_.erase(it);
    }
    a.indexed = {};
}

void Session::reindexAgents() {
    available.clear();
    for (auto& [id, a] : agents) {
        a.indexed = {};
        available.add(id, a);
    }
}

bool Session::agentIndexConsistent() const {
    std::size_t held = 0;
    std::map<std::string, std::size_t> perCapability;
    for (const auto& [id, a] : agents) {
        if (a.indexed.held != canTakeWork(a)) return false;
        if (!a.indexed.held) continue;
        if (a.indexed.load != a.currentTasks || a.indexed.idleSince != a.idleSince) return false;
        const AgentIndex::Entry entry{a.currentTasks, a.idleSince, &id, &a};
        auto it = available.all().find(entry);
        if (it == available.all().end() || it->agent != &a || it->id != &id) return false;
        ++held;
        std::set<std::string> caps(a.info.capabilities.begin(), a.info.capabilities.end());
        for (const auto& cap : caps) {
            const auto* with = available.withCapability(cap);
            if (!with) return false;
            auto c = with->find(entry);
            if (c == with->end() || c->agent != &a) return false;
            ++perCapability[cap];
        }
    }
    if (available.all().size() != held || available.capabilityCount() != perCapability.size()) return false;
    for (const auto& [cap, n] : perCapability)
        if (available.withCapability(cap)->size() != n) return false;
    return true;
}

void Session::noteStages(const Task& t) {
    if (waitsForAgent(t)) assignable.insert(queuePlace(t));
    else assignable.erase(queuePlace(t));
}

bool Session::assignableConsistent() const {
    std::size_t waiting = 0;
    for (const auto& [id, t] : tasks) {
        if (!waitsForAgent(t)) continue;
        if (!assignable.count(queuePlace(t))) return false;
        ++waiting;
    }
    return assignable.size() == waiting;
}

}  // namespace brolostack::args
