#include "brolostack/store/memory_store.hpp"

#include <algorithm>

namespace brolostack::store {

Snapshot MemoryStore::load() {
    Snapshot s;
    for (const auto& [id, room] : rooms_) {
        StoredRoom r = room.meta;
        r.history.assign(room.messages.begin(), room.messages.end());
        s.rooms.push_back(std::move(r));
    }
    s.mids.assign(mids_.begin(), mids_.end());
    for (const auto& [token, grant] : grants_) s.grants.push_back(grant);
    for (const auto& [id, record] : sessions_) s.sessions.push_back(StoredRecord{id, id, record});
    for (const auto& [key, record] : tasks_) s.tasks.push_back(StoredRecord{key.first, key.second, record});
    for (const auto& [key, record] : agents_) s.agents.push_back(StoredRecord{key.first, key.second, record});
    return s;
}

void MemoryStore::roomCreated(const std::string& room, const std::string& epoch, std::int64_t now) {
    ++changes_;
    Room& r = rooms_[room];
    r = Room{};
    r.meta.id = room;
    r.meta.epoch = epoch;
    r.meta.lastActivity = now;
}

void MemoryStore::roomNamed(const std::string& room, const std::string& name) {
    ++changes_;
    if (auto it = rooms_.find(room); it != rooms_.end()) it->second.meta.name = name;
}

void MemoryStore::roomForgotten(const std::string& room) {
    ++changes_;
    rooms_.erase(room);
}

void MemoryStore::messageAppended(const std::string& room, const StoredMessage& message) {
    ++changes_;
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return;
    it->second.meta.lastOffset = message.offset;
    it->second.meta.lastActivity = message.ts;
    it->second.messages.push_back(message);
}

void MemoryStore::historyTrimmed(const std::string& room, std::uint64_t firstKept) {
    ++changes_;
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return;
    auto& messages = it->second.messages;
    while (!messages.empty() && messages.front().offset < firstKept) messages.pop_front();
}

void MemoryStore::midRemembered(const StoredMid& mid) {
    ++changes_;
    mids_.push_back(mid);
    while (mids_.size() > maxMids_) mids_.pop_front();
}

void MemoryStore::grantIssued(const std::string& token, const std::string& dedupeKey) {
    ++changes_;
    grants_[token] = StoredGrant{token, dedupeKey, std::nullopt};
}

void MemoryStore::grantExpires(const std::string& token, std::int64_t expiresAt) {
    ++changes_;
    if (auto it = grants_.find(token); it != grants_.end()) it->second.expiresAt = expiresAt;
}

void MemoryStore::sessionSaved(const std::string& session, const std::string& record) {
    ++changes_;
    sessions_[session] = record;
}

void MemoryStore::sessionForgotten(const std::string& session) {
    ++changes_;
    sessions_.erase(session);
    tasks_.erase(tasks_.lower_bound({session, std::string()}), tasks_.lower_bound({session + '\0', std::string()}));
    agents_.erase(agents_.lower_bound({session, std::string()}), agents_.lower_bound({session + '\0', std::string()}));
}

void MemoryStore::taskSaved(const std::string& session, const std::string& task, const std::string& record) {
    ++changes_;
    tasks_[{session, task}] = record;
}

void MemoryStore::taskForgotten(const std::string& session, const std::string& task) {
    ++changes_;
    tasks_.erase({session, task});
}

void MemoryStore::agentSaved(const std::string& session, const std::string& agent, const std::string& record) {
    ++changes_;
    agents_[{session, agent}] = record;
}

void MemoryStore::agentForgotten(const std::string& session, const std::string& agent) {
    ++changes_;
    agents_.erase({session, agent});
}

void MemoryStore::expire(std::int64_t now) {
    // Every mid has the same window, so the oldest expire first.
    while (!mids_.empty() && mids_.front().expiresAt <= now) mids_.pop_front();
    for (auto it = grants_.begin(); it != grants_.end();)
        it = it->second.expiresAt && *it->second.expiresAt <= now ? grants_.erase(it) : std::next(it);
}

}  // namespace brolostack::store
