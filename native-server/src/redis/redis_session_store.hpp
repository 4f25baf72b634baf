// The store of cluster mode (BROKER=redis://...): ARGS sessions, their
// agents and tasks kept in Redis (session_leases.hpp), so the node that
// takes a session's lead after its leader died rebuilds it from there.
// Rooms, their history and publish mids live in the broker already; resume
// grants are not used in cluster mode (a client's token names its mid
// namespace); those changes take no sequence number.
//
// Like the sqlite store, it never blocks the core: the changes of one hub
// step go to Redis as one script per session when the step ends, fenced by
// the session's lease, and a change counts as durable once Redis answered
// it, so the durable gate holds what a step produced until then. While
// Redis is away the changes wait, in order, and go again once it is back.
#pragma once

#include "brolostack/store/session_records_store.hpp"
#include "redis/session_leases.hpp"

#include <deque>
#include <functional>

namespace brolostack::native::redis {

class RedisSessionStore final : public store::SessionRecordsStore {
public:
    using Save = std::function<void(const std::string& session, const std::vector<RecordChange>& changes,
                                    std::function<void(RedisResult<bool>)> done)>;
    struct Hooks {
        Save save;
        /// More changes are durable (the durable gate may release).
        std::function<void()> durable;
        /// A save found another node leading the session.
        std::function<void(const std::string& session)> lost;
    };
    /// Until then changes wait (the server makes none before it starts).
    void attach(Hooks hooks);
    /// Sends every change not saved yet, oldest first (after Redis came back).
    void flush();

    void sessionSaved(const std::string& session, const std::string& record) override;
    void sessionForgotten(const std::string& session) override;
    void agentSaved(const std::string& session, const std::string& agent, const std::string& record) override;
    void agentForgotten(const std::string& session, const std::string& agent) override;
    void taskSaved(const std::string& session, const std::string& task, const std::string& record) override;
    void taskForgotten(const std::string& session, const std::string& task) override;
    void stepEnded() override { flush(); }
    std::uint64_t lastChange() const override { return lastChange_; }
    std::uint64_t durableChange() const override { return durableChange_; }
    std::optional<std::string> failure() const override { return failure_; }

private:
    struct Batch {
        std::uint64_t id = 0;
        std::string session;
        std::vector<RecordChange> changes;
        std::uint64_t upTo = 0;  // the last change it holds
        bool sent = false;       // out, no answer yet
        bool saved = false;
    };
    void add(const std::string& session, RecordChange change);
    void answered(std::uint64_t batch, const RedisResult<bool>& result);

    Hooks hooks_;
    std::deque<Batch> batches_;  // not saved yet, oldest first
    std::uint64_t lastBatch_ = 0;
    std::uint64_t stepStart_ = 0;  // batches after this one hold the current step's changes
    std::uint64_t lastChange_ = 0;
    std::uint64_t durableChange_ = 0;
    std::optional<std::string> failure_;
    std::shared_ptr<char> alive_ = std::make_shared<char>();  // answers after it is gone do nothing
};

}  // namespace brolostack::native::redis
