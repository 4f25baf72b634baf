// The `memory` store: keeps what the core tells it in this process (frames
// are shared with the core, not copied). A core re-created in the same
// process starts from it, which is how the unit tests restart a server
// without a disk; nothing survives the process. Every change is durable
// as soon as it is made.
#pragma once

#include "brolostack/store/store.hpp"

#include <deque>
#include <map>
#include <unordered_map>

namespace brolostack::store {

class MemoryStore final : public Store {
public:
    /// Keeps at most `maxMids` mids, as the dedupe window does (MAX_REMEMBERED_MIDS).
    explicit MemoryStore(std::size_t maxMids = 1000000) : maxMids_(maxMids) {}

    Snapshot load() override;

    void roomCreated(const std::string& room, const std::string& epoch, std::int64_t now) override;
    void roomNamed(const std::string& room, const std::string& name) override;
    void roomForgotten(const std::string& room) override;
    void messageAppended(const std::string& room, const StoredMessage& message) override;
    void historyTrimmed(const std::string& room, std::uint64_t firstKept) override;
    void midRemembered(const StoredMid& mid) override;
    void grantIssued(const std::string& token, const std::string& dedupeKey) override;
    void grantExpires(const std::string& token, std::int64_t expiresAt) override;
    void sessionSaved(const std::string& session, const std::string& record) override;
    void sessionForgotten(const std::string& session) override;
    void taskSaved(const std::string& session, const std::string& task, const std::string& record) override;
    void taskForgotten(const std::string& session, const std::string& task) override;
    void agentSaved(const std::string& session, const std::string& agent, const std::string& record) override;
    void agentForgotten(const std::string& session, const std::string& agent) override;
    void expire(std::int64_t now) override;

    std::uint64_t lastChange() const override { return changes_; }
    std::uint64_t durableChange() const override { return changes_; }

private:
    struct Room {
        StoredRoom meta;  // its `history` stays empty; messages live below
        std::deque<StoredMessage> messages;
    };
    std::size_t maxMids_;
    std::uint64_t changes_ = 0;
    std::map<std::string, Room> rooms_;
    std::deque<StoredMid> mids_;
    std::unordered_map<std::string, StoredGrant> grants_;
    std::map<std::string, std::string> sessions_;
    std::map<std::pair<std::string, std::string>, std::string> tasks_;  // (session, task) -> record
    std::map<std::pair<std::string, std::string>, std::string> agents_;  // (session, agent) -> record
};

}  // namespace brolostack::store
