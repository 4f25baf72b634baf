#include "sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <cstring>
#include <filesystem>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace brolostack::native {
namespace {

constexpr const char* kSchemaVersion = "1";
// Expired mids and grants are deleted at most this often: an idle server
// then commits (and fsyncs) nothing.
constexpr std::int64_t kExpiryIntervalMs = 10000;
// Changes a batch buffer keeps room for between batches.
constexpr std::size_t kKeptBatchCapacity = 16384;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rooms (
  id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', epoch TEXT NOT NULL,
  last_offset INTEGER NOT NULL DEFAULT 0, last_activity INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  room TEXT NOT NULL, offset INTEGER NOT NULL, ts INTEGER NOT NULL, frame BLOB NOT NULL,
  PRIMARY KEY (room, offset)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS mids (
  seq INTEGER PRIMARY KEY, publisher TEXT NOT NULL, mid TEXT NOT NULL, room TEXT NOT NULL,
  offset INTEGER NOT NULL, epoch TEXT NOT NULL, expires_at INTEGER NOT NULL);
DROP INDEX IF EXISTS mids_by_expiry;
CREATE TABLE IF NOT EXISTS grants (token TEXT PRIMARY KEY, dedupe_key TEXT NOT NULL, expires_at INTEGER);
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
  session TEXT NOT NULL, id TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (session, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS agents (
  session TEXT NOT NULL, id TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (session, id)) WITHOUT ROWID;
)sql";

/// A prepared statement, reset after each use.
class Statement {
public:
    Statement(sqlite3* db, const char* sql) { sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr); }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    bool ok() const { return stmt_ != nullptr; }
    Statement& bind(int i, const std::string& text) {
        sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
        return *this;
    }
    Statement& bindBlob(int i, const std::string& bytes) {
        sqlite3_bind_blob(stmt_, i, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
        return *this;
    }
    Statement& bind(int i, std::int64_t value) {
        sqlite3_bind_int64(stmt_, i, value);
        return *this;
    }
    Statement& bindNull(int i) {
        sqlite3_bind_null(stmt_, i);
        return *this;
    }
    /// Steps once: SQLITE_ROW, SQLITE_DONE or an error code.
    int step() { return sqlite3_step(stmt_); }
    /// Runs a statement that returns no rows; the SQLite result code.
    int run() {
        int rc = sqlite3_step(stmt_);
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
        return rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    void reset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
    std::string text(int column) const {
        auto* p = reinterpret_cast<const char*>(sqlite3_column_blob(stmt_, column));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))) : std::string();
    }
    std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
    bool isNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

private:
    sqlite3_stmt* stmt_ = nullptr;
};

std::string errorOf(sqlite3* db, const std::string& what) { return what + ": " + sqlite3_errmsg(db); }

/// The first row's text of `sql`, or an error message.
std::variant<std::string, std::string> scalar(sqlite3* db, const char* sql) {
    Statement s(db, sql);
    if (!s.ok()) return std::variant<std::string, std::string>(std::in_place_index<1>, errorOf(db, sql));
    int rc = s.step();
    if (rc == SQLITE_ROW) return std::variant<std::string, std::string>(std::in_place_index<0>, s.text(0));
    if (rc == SQLITE_DONE) return std::variant<std::string, std::string>(std::in_place_index<0>, "");
    return std::variant<std::string, std::string>(std::in_place_index<1>, errorOf(db, sql));
}

}  // namespace

struct SqliteStore::Change {
    enum class Kind {
        RoomCreated, RoomNamed, RoomForgotten, Message, Trimmed, Mid, GrantIssued, GrantExpires,
        SessionSaved, SessionForgotten, TaskSaved, TaskForgotten, AgentSaved, AgentForgotten,
    };
    Kind kind = Kind::Message;
    std::uint64_t seq = 0;
    std::string key;     // the room, the grant's token, or the session
    std::string text;    // epoch, name, dedupe key, or the task's or agent's id
    std::string record;  // a session's, task's or agent's record
    std::uint64_t offset = 0;  // a message's offset, or the first offset kept
    std::int64_t time = 0;     // creation time, a message's ts, or an expiry
    store::Frame frame;
    store::StoredMid mid;
};

struct SqliteStore::Statements {
    explicit Statements(sqlite3* db)
        : begin(db, "BEGIN IMMEDIATE"),
          end(db, "COMMIT"),
          rollback(db, "ROLLBACK"),
          createRoom(db, "INSERT OR REPLACE INTO rooms (id, name, epoch, last_offset, last_activity) "
                         "VALUES (?, '', ?, 0, ?)"),
          nameRoom(db, "UPDATE rooms SET name = ? WHERE id = ?"),
          forgetRoom(db, "DELETE FROM rooms WHERE id = ?"),
          forgetMessages(db, "DELETE FROM messages WHERE room = ?"),
          addMessage(db, "INSERT OR REPLACE INTO messages (room, offset, ts, frame) VALUES (?, ?, ?, ?)"),
          keepOffset(db, "UPDATE rooms SET last_offset = max(last_offset, ?) WHERE id = ?"),
          trimMessages(db, "DELETE FROM messages WHERE room = ? AND offset < ?"),
          addMid(db, "INSERT INTO mids (publisher, mid, room, offset, epoch, expires_at) VALUES (?, ?, ?, ?, ?, ?)"),
          capMids(db, "DELETE FROM mids WHERE seq <= (SELECT max(seq) FROM mids) - ?"),
          // Mids are remembered with one TTL, so they expire in the order they were
          // written: the expired ones are the rows before the first live one, and
          // finding it reads only those (an index on expires_at would cost every insert).
          // A row that expires early behind a longer-lived one (the TTL was lowered
          // between runs) stays a little longer, which only widens the dedupe window.
          expireMids(db, "DELETE FROM mids WHERE seq < ifnull((SELECT seq FROM mids WHERE expires_at > ?1 "
                         "ORDER BY seq LIMIT 1), 9223372036854775807)"),
          issueGrant(db, "INSERT OR REPLACE INTO grants (token, dedupe_key, expires_at) VALUES (?, ?, NULL)"),
          expireGrantAt(db, "UPDATE grants SET expires_at = ? WHERE token = ?"),
          expireGrants(db, "DELETE FROM grants WHERE expires_at IS NOT NULL AND expires_at <= ?"),
          saveSession(db, "INSERT OR REPLACE INTO sessions (id, record) VALUES (?, ?)"),
          forgetSession(db, "DELETE FROM sessions WHERE id = ?"),
          forgetSessionTasks(db, "DELETE FROM tasks WHERE session = ?"),
          forgetSessionAgents(db, "DELETE FROM agents WHERE session = ?"),
          saveTask(db, "INSERT OR REPLACE INTO tasks (session, id, record) VALUES (?, ?, ?)"),
          forgetTask(db, "DELETE FROM tasks WHERE session = ? AND id = ?"),
          saveAgent(db, "INSERT OR REPLACE INTO agents (session, id, record) VALUES (?, ?, ?)"),
          forgetAgent(db, "DELETE FROM agents WHERE session = ? AND id = ?") {}
    Statement begin, end, rollback, createRoom, nameRoom, forgetRoom, forgetMessages, addMessage, keepOffset,
        trimMessages, addMid, capMids, expireMids, issueGrant, expireGrantAt, expireGrants, saveSession, forgetSession,
        forgetSessionTasks, forgetSessionAgents, saveTask, forgetTask, saveAgent, forgetAgent;
};

std::variant<std::unique_ptr<SqliteStore>, std::string> SqliteStore::open(const std::string& dataDir,
                                                                          std::size_t maxMids) {
    using Result = std::variant<std::unique_ptr<SqliteStore>, std::string>;
    std::error_code ec;
    std::filesystem::create_directories(dataDir, ec);
    if (ec) return Result(std::in_place_index<1>, "DATA_DIR " + dataDir + " cannot be created: " + ec.message());

    std::string lockPath = dataDir + "/brolostack.lock";
    int lockFd = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lockFd < 0)
        return Result(std::in_place_index<1>, "DATA_DIR " + dataDir + " is not writable: " + std::strerror(errno));
    if (::flock(lockFd, LOCK_EX | LOCK_NB) != 0) {
        char holder[32] = {};
        ssize_t n = ::pread(lockFd, holder, sizeof holder - 1, 0);
        ::close(lockFd);
        std::string pid = n > 0 ? std::string(holder, static_cast<std::size_t>(n)) : "another process";
        while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
        return Result(std::in_place_index<1>, "DATA_DIR " + dataDir + " is in use by another brolostack-server (pid " +
                                                  pid + "): give each server its own DATA_DIR");
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(lockFd, 0) != 0 || ::pwrite(lockFd, pid.data(), pid.size(), 0) < 0) {
        ::close(lockFd);
        return Result(std::in_place_index<1>, "DATA_DIR " + dataDir + " is not writable: " + std::strerror(errno));
    }

    std::string path = dataDir + "/brolostack.db";
    sqlite3* db = nullptr;
    auto fail = [&](const std::string& message) {
        sqlite3_close(db);
        ::close(lockFd);
        return Result(std::in_place_index<1>, "the store " + path + " is unusable (" + message +
                                                  "): repair or move it away; the server does not start empty "
                                                  "over it");
    };
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK)
        return fail(db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_extended_result_codes(db, 1);
    auto check = scalar(db, "PRAGMA quick_check");
    if (auto* error = std::get_if<1>(&check)) return fail(*error);
    if (std::get<0>(check) != "ok") return fail("integrity check: " + std::get<0>(check));
    // WAL with synchronous=FULL: a commit is on disk when it returns (one
    // fsync of the log per batch), and readers never block the writer.
    for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"}) {
        auto r = scalar(db, pragma);
        if (auto* error = std::get_if<1>(&r)) return fail(*error);
    }
    char* message = nullptr;
    if (sqlite3_exec(db, kSchema, nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message ? message : sqlite3_errmsg(db);
        sqlite3_free(message);
        return fail(text);
    }
    auto version = scalar(db, "SELECT value FROM meta WHERE key = 'schema'");
    if (auto* error = std::get_if<1>(&version)) return fail(*error);
    if (std::get<0>(version).empty()) {
        if (sqlite3_exec(db, "INSERT INTO meta (key, value) VALUES ('schema', '1')", nullptr, nullptr, nullptr) !=
            SQLITE_OK)
            return fail(sqlite3_errmsg(db));
    } else if (std::get<0>(version) != kSchemaVersion) {
        return fail("schema version " + std::get<0>(version) + ", this server reads version " + kSchemaVersion);
    }
    return Result(std::in_place_index<0>, std::unique_ptr<SqliteStore>(new SqliteStore(db, lockFd, maxMids)));
}

SqliteStore::SqliteStore(sqlite3* db, int lockFd, std::size_t maxMids)
    : db_(db), lockFd_(lockFd), maxMids_(maxMids), writer_([this] { writeLoop(); }) {}

SqliteStore::~SqliteStore() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    writer_.join();  // what was queued is committed first
    sqlite3_close_v2(db_);
    ::close(lockFd_);
}

void SqliteStore::onProgress(std::function<void()> listener) {
    std::lock_guard<std::mutex> lock(mutex_);
    listener_ = std::move(listener);
}

std::optional<std::string> SqliteStore::failure() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return failure_;
}

store::Snapshot SqliteStore::load() {
    store::Snapshot snapshot;
    Statement rooms(db_, "SELECT id, name, epoch, last_offset, last_activity FROM rooms ORDER BY id");
    Statement messages(db_, "SELECT offset, ts, frame FROM messages WHERE room = ? ORDER BY offset");
    while (rooms.step() == SQLITE_ROW) {
        store::StoredRoom room;
        room.id = rooms.text(0);
        room.name = rooms.text(1);
        room.epoch = rooms.text(2);
        room.lastOffset = static_cast<std::uint64_t>(rooms.integer(3));
        room.lastActivity = rooms.integer(4);
        messages.bind(1, room.id);
        while (messages.step() == SQLITE_ROW) {
            auto offset = static_cast<std::uint64_t>(messages.integer(0));
            room.history.push_back(store::StoredMessage{offset, messages.integer(1),
                                                        std::make_shared<const std::string>(messages.text(2))});
            room.lastOffset = std::max(room.lastOffset, offset);
        }
        messages.reset();
        snapshot.rooms.push_back(std::move(room));
    }
    Statement mids(db_, "SELECT publisher, mid, room, offset, epoch, expires_at FROM mids ORDER BY seq");
    while (mids.step() == SQLITE_ROW)
        snapshot.mids.push_back(store::StoredMid{mids.text(0), mids.text(1), mids.text(2),
                                                 static_cast<std::uint64_t>(mids.integer(3)), mids.text(4),
                                                 mids.integer(5)});
    Statement grants(db_, "SELECT token, dedupe_key, expires_at FROM grants");
    while (grants.step() == SQLITE_ROW) {
        store::StoredGrant g{grants.text(0), grants.text(1), std::nullopt};
        if (!grants.isNull(2)) g.expiresAt = grants.integer(2);
        snapshot.grants.push_back(std::move(g));
    }
    Statement sessions(db_, "SELECT id, record FROM sessions ORDER BY id");
    while (sessions.step() == SQLITE_ROW)
        snapshot.sessions.push_back(store::StoredRecord{sessions.text(0), sessions.text(0), sessions.text(1)});
    Statement tasks(db_, "SELECT session, id, record FROM tasks ORDER BY session, id");
    while (tasks.step() == SQLITE_ROW)
        snapshot.tasks.push_back(store::StoredRecord{tasks.text(0), tasks.text(1), tasks.text(2)});
    Statement agents(db_, "SELECT session, id, record FROM agents ORDER BY session, id");
    while (agents.step() == SQLITE_ROW)
        snapshot.agents.push_back(store::StoredRecord{agents.text(0), agents.text(1), agents.text(2)});
    return snapshot;
}

void SqliteStore::queue(Change change) {
    change.seq = ++lastChange_;
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.push_back(std::move(change));
}

void SqliteStore::stepEnded() {
    bool wake;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        wake = committable_ < lastChange_;
        committable_ = lastChange_;
    }
    if (wake) wake_.notify_one();
}

void SqliteStore::roomCreated(const std::string& room, const std::string& epoch, std::int64_t now) {
    Change c;
    c.kind = Change::Kind::RoomCreated;
    c.key = room;
    c.text = epoch;
    c.time = now;
    queue(std::move(c));
}

void SqliteStore::roomNamed(const std::string& room, const std::string& name) {
    Change c;
    c.kind = Change::Kind::RoomNamed;
    c.key = room;
    c.text = name;
    queue(std::move(c));
}

void SqliteStore::roomForgotten(const std::string& room) {
    Change c;
    c.kind = Change::Kind::RoomForgotten;
    c.key = room;
    queue(std::move(c));
}

void SqliteStore::messageAppended(const std::string& room, const store::StoredMessage& message) {
    Change c;
    c.kind = Change::Kind::Message;
    c.key = room;
    c.offset = message.offset;
    c.time = message.ts;
    c.frame = message.frame;
    queue(std::move(c));
}

void SqliteStore::historyTrimmed(const std::string& room, std::uint64_t firstKept) {
    Change c;
    c.kind = Change::Kind::Trimmed;
    c.key = room;
    c.offset = firstKept;
    queue(std::move(c));
}

void SqliteStore::midRemembered(const store::StoredMid& mid) {
    Change c;
    c.kind = Change::Kind::Mid;
    c.mid = mid;
    queue(std::move(c));
}

void SqliteStore::grantIssued(const std::string& token, const std::string& dedupeKey) {
    Change c;
    c.kind = Change::Kind::GrantIssued;
    c.key = token;
    c.text = dedupeKey;
    queue(std::move(c));
}

void SqliteStore::grantExpires(const std::string& token, std::int64_t expiresAt) {
    Change c;
    c.kind = Change::Kind::GrantExpires;
    c.key = token;
    c.time = expiresAt;
    queue(std::move(c));
}

void SqliteStore::sessionSaved(const std::string& session, const std::string& record) {
    Change c;
    c.kind = Change::Kind::SessionSaved;
    c.key = session;
    c.record = record;
    queue(std::move(c));
}

void SqliteStore::sessionForgotten(const std::string& session) {
    Change c;
    c.kind = Change::Kind::SessionForgotten;
    c.key = session;
    queue(std::move(c));
}

void SqliteStore::taskSaved(const std::string& session, const std::string& task, const std::string& record) {
    Change c;
    c.kind = Change::Kind::TaskSaved;
    c.key = session;
    c.text = task;
    c.record = record;
    queue(std::move(c));
}

void SqliteStore::taskForgotten(const std::string& session, const std::string& task) {
    Change c;
    c.kind = Change::Kind::TaskForgotten;
    c.key = session;
    c.text = task;
    queue(std::move(c));
}

void SqliteStore::agentSaved(const std::string& session, const std::string& agent, const std::string& record) {
    Change c;
    c.kind = Change::Kind::AgentSaved;
    c.key = session;
    c.text = agent;
    c.record = record;
    queue(std::move(c));
}

void SqliteStore::agentForgotten(const std::string& session, const std::string& agent) {
    Change c;
    c.kind = Change::Kind::AgentForgotten;
    c.key = session;
    c.text = agent;
    queue(std::move(c));
}

void SqliteStore::expire(std::int64_t now) {
    if (now - lastExpiry_ < kExpiryIntervalMs) return;
    lastExpiry_ = now;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        expireBefore_ = now;
    }
    wake_.notify_one();
}

void SqliteStore::writeLoop() {
    // Prepared once, on the thread that uses them, and finalized before the database closes.
    statements_ = std::make_unique<Statements>(db_);
    struct Finalize {
        std::unique_ptr<Statements>& statements;
        ~Finalize() { statements.reset(); }
    } finalize{statements_};
    std::unique_lock<std::mutex> lock(mutex_);
    // Two buffers trade places: the core fills one while this thread writes the
    // other, and each keeps its capacity, so a busy server allocates no new batch.
    std::vector<Change> batch;
    for (;;) {
        auto ready = [this] { return !pending_.empty() && pending_.front().seq <= committable_; };
        wake_.wait(lock, [&] { return stopping_ || ready() || expireBefore_ != 0; });
        if (!ready() && expireBefore_ == 0 && !(stopping_ && !pending_.empty())) return;  // stopping, nothing left
        batch.swap(pending_);
        if (!stopping_) {
            // Whole steps only: what the core queued after its last stepEnded() waits.
            auto partial = std::find_if(batch.begin(), batch.end(), [this](const Change& c) { return c.seq > committable_; });
            std::move(partial, batch.end(), std::back_inserter(pending_));
            batch.erase(partial, batch.end());
        }
        std::int64_t expireBefore = expireBefore_;
        expireBefore_ = 0;
        lock.unlock();
        std::optional<std::string> error = commit(batch, expireBefore);
        const bool wrote = !batch.empty();
        const std::uint64_t lastSeq = wrote ? batch.back().seq : 0;
        batch.clear();  // here, not under the lock the core queues with
        if (batch.capacity() > kKeptBatchCapacity) std::vector<Change>().swap(batch);  // a burst's buffer is not kept
        lock.lock();
        if (error) failure_ = std::move(error);
        else if (wrote) durable_.store(lastSeq, std::memory_order_release);
        auto listener = listener_;
        lock.unlock();
        if (listener && (error || wrote)) listener();
        lock.lock();
        if (failure_) return;  // nothing more is written: the server stops on it
    }
}

std::optional<std::string> SqliteStore::commit(std::vector<Change>& batch, std::int64_t expireBefore) {
    Statements& s = *statements_;

    if (int rc = s.begin.run(); rc != SQLITE_OK) return errorOf(db_, "BEGIN");
    int rc = SQLITE_OK;
    auto step = [&rc](int result) {
        if (rc == SQLITE_OK) rc = result;
    };
    // A full room trims its history on every append: one DELETE (and one
    // offset update) per room per batch does for all of them. A trim is
    // written before the room's next incarnation starts, whose offsets begin
    // again at 1.
    std::map<std::string, std::uint64_t> trims;
    auto flushTrim = [&](const std::string& room) {
        auto it = trims.find(room);
        if (it == trims.end()) return;
        const auto firstKept = static_cast<std::int64_t>(it->second);
        // The room's offset survives its history: the last offset is at least firstKept - 1.
        step(s.keepOffset.bind(1, firstKept - 1).bind(2, room).run());
        step(s.trimMessages.bind(1, room).bind(2, firstKept).run());
        trims.erase(it);
    };
    std::size_t mids = 0;
    for (const Change& c : batch) {
        switch (c.kind) {
            case Change::Kind::RoomCreated:
                flushTrim(c.key);
                step(s.forgetMessages.bind(1, c.key).run());
                step(s.createRoom.bind(1, c.key).bind(2, c.text).bind(3, c.time).run());
                break;
            case Change::Kind::RoomNamed:
                step(s.nameRoom.bind(1, c.text).bind(2, c.key).run());
                break;
            case Change::Kind::RoomForgotten:
                trims.erase(c.key);
                step(s.forgetMessages.bind(1, c.key).run());
                step(s.forgetRoom.bind(1, c.key).run());
                break;
            case Change::Kind::Message:
                step(s.addMessage.bind(1, c.key)
                         .bind(2, static_cast<std::int64_t>(c.offset))
                         .bind(3, c.time)
                         .bindBlob(4, *c.frame)
                         .run());
                break;
            case Change::Kind::Trimmed: {
                std::uint64_t& firstKept = trims[c.key];
                firstKept = std::max(firstKept, c.offset);
                break;
            }
            case Change::Kind::Mid:
                ++mids;
                step(s.addMid.bind(1, c.mid.publisher)
                         .bind(2, c.mid.mid)
                         .bind(3, c.mid.room)
                         .bind(4, static_cast<std::int64_t>(c.mid.offset))
                         .bind(5, c.mid.epoch)
                         .bind(6, c.mid.expiresAt)
                         .run());
                break;
            case Change::Kind::GrantIssued:
                step(s.issueGrant.bind(1, c.key).bind(2, c.text).run());
                break;
            case Change::Kind::GrantExpires:
                step(s.expireGrantAt.bind(1, c.time).bind(2, c.key).run());
                break;
            case Change::Kind::SessionSaved:
                step(s.saveSession.bind(1, c.key).bind(2, c.record).run());
                break;
            case Change::Kind::SessionForgotten:
                step(s.forgetSessionTasks.bind(1, c.key).run());
                step(s.forgetSessionAgents.bind(1, c.key).run());
                step(s.forgetSession.bind(1, c.key).run());
                break;
            case Change::Kind::TaskSaved:
                step(s.saveTask.bind(1, c.key).bind(2, c.text).bind(3, c.record).run());
                break;
            case Change::Kind::TaskForgotten:
                step(s.forgetTask.bind(1, c.key).bind(2, c.text).run());
                break;
            case Change::Kind::AgentSaved:
                step(s.saveAgent.bind(1, c.key).bind(2, c.text).bind(3, c.record).run());
                break;
            case Change::Kind::AgentForgotten:
                step(s.forgetAgent.bind(1, c.key).bind(2, c.text).run());
                break;
        }
        if (rc != SQLITE_OK) break;
    }
    for (auto it = trims.begin(); rc == SQLITE_OK && it != trims.end();) flushTrim((it++)->first);
    if (rc == SQLITE_OK && mids > 0) step(s.capMids.bind(1, static_cast<std::int64_t>(maxMids_)).run());
    if (rc == SQLITE_OK && expireBefore != 0) {
        step(s.expireMids.bind(1, expireBefore).run());
        step(s.expireGrants.bind(1, expireBefore).run());
    }
    if (rc != SQLITE_OK) {
        std::string error = errorOf(db_, "writing the store");
        s.rollback.run();
        return error;
    }
    if (s.end.run() != SQLITE_OK) {
        std::string error = errorOf(db_, "COMMIT");
        s.rollback.run();
        return error;
    }
    commits_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
}

}  // namespace brolostack::native
