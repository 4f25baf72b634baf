#include "redis/redis_session_store.hpp"

#include <algorithm>

namespace brolostack::native::redis {

void RedisSessionStore::attach(Hooks hooks) {
    hooks_ = std::move(hooks);
    flush();
}

void RedisSessionStore::add(const std::string& session, RecordChange change) {
    ++lastChange_;
    // The changes of one step to one session travel together.
    auto open = std::find_if(batches_.rbegin(), batches_.rend(),
                             [&](const Batch& b) { return b.id > stepStart_ && b.session == session; });
    if (open == batches_.rend()) {
        batches_.push_back(Batch{++lastBatch_, session, {}, 0, false, false});
        open = batches_.rbegin();
    }
    open->changes.push_back(std::move(change));
    open->upTo = lastChange_;
}

void RedisSessionStore::sessionSaved(const std::string& session, const std::string& record) {
    add(session, {RecordChange::Kind::Set, "session", record});
}
void RedisSessionStore::sessionForgotten(const std::string& session) {
    add(session, {RecordChange::Kind::DropSession, "", ""});
}
void RedisSessionStore::agentSaved(const std::string& session, const std::string& agent, const std::string& record) {
    add(session, {RecordChange::Kind::Set, SessionLeases::agentField(agent), record});
}
void RedisSessionStore::agentForgotten(const std::string& session, const std::string& agent) {
    add(session, {RecordChange::Kind::Remove, SessionLeases::agentField(agent), ""});
}
void RedisSessionStore::taskSaved(const std::string& session, const std::string& task, const std::string& record) {
    add(session, {RecordChange::Kind::Set, SessionLeases::taskField(task), record});
}
void RedisSessionStore::taskForgotten(const std::string& session, const std::string& task) {
    add(session, {RecordChange::Kind::Remove, SessionLeases::taskField(task), ""});
}

void RedisSessionStore::flush() {
    if (!hooks_.save) return;
    stepStart_ = lastBatch_;
    for (auto& batch : batches_) {
        if (batch.sent || batch.saved) continue;
        batch.sent = true;
        hooks_.save(batch.session, batch.changes,
                    [weak = std::weak_ptr<char>(alive_), this, id = batch.id](RedisResult<bool> result) {
                        if (weak.lock()) answered(id, result);
                    });
    }
}

void RedisSessionStore::answered(std::uint64_t id, const RedisResult<bool>& result) {
    auto it = std::find_if(batches_.begin(), batches_.end(), [&](const Batch& b) { return b.id == id; });
    if (it == batches_.end()) return;
    if (!result.ok() && result.error().unavailable()) {
        // Not saved, or not known to be: it goes again, in its place, once
        // Redis is back (saving a record twice leaves it as once).
        it->sent = false;
        return;
    }
    if (!result.ok()) {
        failure_ = "Redis refused to save ARGS session records: " + result.error().message;
        if (hooks_.durable) hooks_.durable();  // the server hears of the failure there
        return;
    }
    it->saved = true;
    bool lost = !result.value();
    std::string session = it->session;
    bool advanced = false;
    while (!batches_.empty() && batches_.front().saved) {
        durableChange_ = batches_.front().upTo;
        batches_.pop_front();
        advanced = true;
    }
    if (lost && hooks_.lost) hooks_.lost(session);
    if (advanced && hooks_.durable) hooks_.durable();
}

}  // namespace brolostack::native::redis
