// The `sqlite` store: one SQLite file (DATA_DIR/brolostack.db, WAL) that
// keeps rooms, history, the dedupe window, resume grants and ARGS sessions
// and tasks across restarts. The core hands changes over without waiting; a writer thread
// commits whatever has queued up in one transaction (one fsync per batch:
// group commit) and then reports how far changes are durable.
//
// One server per DATA_DIR: a lock file held for the process's life makes a
// second server on the same folder fail at start instead of interleaving
// writes with the first.
#pragma once

#include "brolostack/store/store.hpp"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

struct sqlite3;

namespace brolostack::native {

class SqliteStore final : public store::Store {
public:
    /// Opens (creating the folder and file if needed) and checks the store:
    /// an error message when the folder is unusable, the file is not a
    /// healthy brolostack database, or another server holds it.
    static std::variant<std::unique_ptr<SqliteStore>, std::string> open(const std::string& dataDir,
                                                                         std::size_t maxMids);
    ~SqliteStore() override;

    /// Called on the writer thread after each commit (or once on a write
    /// failure, with failure() set): the server then releases what waited.
    void onProgress(std::function<void()> listener);

    store::Snapshot load() override;
    void roomCreated(const std::string& room, const std::string& epoch, std::int64_t now) override;
    void roomNamed(const std::string& room, const std::string& name) override;
    void roomForgotten(const std::string& room) override;
    void messageAppended(const std::string& room, const store::StoredMessage& message) override;
    void historyTrimmed(const std::string& room, std::uint64_t firstKept) override;
    void midRemembered(const store::StoredMid& mid) override;
    void grantIssued(const std::string& token, const std::string& dedupeKey) override;
    void grantExpires(const std::string& token, std::int64_t expiresAt) override;
    void sessionSaved(const std::string& session, const std::string& record) override;
    void sessionForgotten(const std::string& session) override;
    void taskSaved(const std::string& session, const std::string& task, const std::string& record) override;
    void taskForgotten(const std::string& session, const std::string& task) override;
    void agentSaved(const std::string& session, const std::string& agent, const std::string& record) override;
    void agentForgotten(const std::string& session, const std::string& agent) override;
    void expire(std::int64_t now) override;
    void stepEnded() override;

    std::uint64_t lastChange() const override { return lastChange_; }
    std::uint64_t durableChange() const override { return durable_.load(std::memory_order_acquire); }
    std::optional<std::string> failure() const override;

    /// Batches committed and changes written, for the bench and the logs.
    std::uint64_t commits() const { return commits_.load(); }

private:
    struct Change;
    struct Statements;
    SqliteStore(sqlite3* db, int lockFd, std::size_t maxMids);
    void queue(Change change);
    void writeLoop();
    /// Writes one batch in one transaction; an error message on failure.
    std::optional<std::string> commit(std::vector<Change>& batch, std::int64_t expireBefore);

    sqlite3* db_;
    int lockFd_;
    std::size_t maxMids_;
    std::uint64_t lastChange_ = 0;  // the core's thread only
    std::atomic<std::uint64_t> durable_{0};
    std::atomic<std::uint64_t> commits_{0};

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Change> pending_;
    std::uint64_t committable_ = 0;  // pending changes up to this seq form whole steps
    std::int64_t expireBefore_ = 0;  // asked by expire(), done with the next batch
    std::int64_t lastExpiry_ = 0;
    bool stopping_ = false;
    std::optional<std::string> failure_;
    std::function<void()> listener_;
    std::unique_ptr<Statements> statements_;  // the writer thread's
    std::thread writer_;
};

}  // namespace brolostack::native
