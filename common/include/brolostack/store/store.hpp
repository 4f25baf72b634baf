// The store seam (DESIGN.md, "Behind the core, two seams"): what must
// survive a restart. The core tells the store every change to durable
// state as it makes it, in order, and never waits for it: a store queues
// the change and makes it durable later (the sqlite store group-commits
// from a writer thread). Each change gets the next sequence number; the I/O
// layer holds the frames a step produced until the store has made that
// step's changes durable, so nothing is acknowledged before it would
// survive a crash.
//
// At start the core rebuilds itself from `load()`: rooms with their epochs,
// offsets and history, the mid dedupe window, the resume grants, and ARGS
// sessions, their agents and tasks (records whose JSON the ARGS layer writes and reads:
// args/records.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace brolostack::store {

/// One serialized message frame (shared with the history and the senders).
using Frame = std::shared_ptr<const std::string>;

struct StoredMessage {
    std::uint64_t offset = 0;
    std::int64_t ts = 0;
    Frame frame;
};

struct StoredRoom {
    std::string id;
    std::string name;
    std::string epoch;
    std::uint64_t lastOffset = 0;
    std::int64_t lastActivity = 0;
    std::vector<StoredMessage> history;  // oldest first, contiguous offsets
};

/// A remembered client message id (a publish or a send that carried one).
struct StoredMid {
    std::string publisher;  // the dedupe key of the connection that sent it
    std::string mid;
    std::string room;       // empty for a mid that was not a publish
    std::uint64_t offset = 0;
    std::string epoch;
    std::int64_t expiresAt = 0;
};

/// A resume token and the dedupe key a later connection presenting it gets.
struct StoredGrant {
    std::string token;
    std::string dedupeKey;
    /// When it lapses; none while its connection was open (it then lapses
    /// one mid window after the restart, as after a close).
    std::optional<std::int64_t> expiresAt;
};

/// An ARGS session's or task's record.
struct StoredRecord {
    std::string session;
    std::string id;  // the task's or agent's id; the session's id again for a session record
    std::string json;
};

struct Snapshot {
    std::vector<StoredRoom> rooms;
    std::vector<StoredMid> mids;  // in the order they were remembered
    std::vector<StoredGrant> grants;
    std::vector<StoredRecord> sessions;
    std::vector<StoredRecord> tasks;
    std::vector<StoredRecord> agents;
};

class Store {
public:
    virtual ~Store() = default;

    /// Everything kept, for the core to start from. Called once, before any change.
    virtual Snapshot load() = 0;

    // ---- changes (each one takes the next sequence number) ----------------
    virtual void roomCreated(const std::string& room, const std::string& epoch, std::int64_t now) = 0;
    virtual void roomNamed(const std::string& room, const std::string& name) = 0;
    /// The room is forgotten (no members, no history): its next incarnation gets a new epoch.
    virtual void roomForgotten(const std::string& room) = 0;
    virtual void messageAppended(const std::string& room, const StoredMessage& message) = 0;
    /// History before `firstKept` is gone from memory (count, bytes, age or the budget).
    virtual void historyTrimmed(const std::string& room, std::uint64_t firstKept) = 0;
    virtual void midRemembered(const StoredMid& mid) = 0;
    /// A grant issued for an open connection (no expiry yet).
    virtual void grantIssued(const std::string& token, const std::string& dedupeKey) = 0;
    /// The grant's connection closed: it now lapses at `expiresAt`.
    virtual void grantExpires(const std::string& token, std::int64_t expiresAt) = 0;
    virtual void sessionSaved(const std::string& session, const std::string& record) = 0;
    /// The session is gone, and every task and agent of it.
    virtual void sessionForgotten(const std::string& session) = 0;
    /// An agent is kept apart from its session's record: a session is saved
    /// with every task it starts or ends, and an agent changes only when it
    /// registers, reports a status or leaves.
    virtual void agentSaved(const std::string& session, const std::string& agent, const std::string& record) = 0;
    virtual void agentForgotten(const std::string& session, const std::string& agent) = 0;
    virtual void taskSaved(const std::string& session, const std::string& task, const std::string& record) = 0;
    virtual void taskForgotten(const std::string& session, const std::string& task) = 0;
    /// Mids and grants whose time is up may go.
    virtual void expire(std::int64_t now) = 0;
    /// The changes handed over so far form whole steps: a store that writes
    /// in batches commits up to here and never part of a step (a publish's
    /// message without its mid, a task's mid without the task), so a crash
    /// cannot leave half of what one frame did. Changes after the last call
    /// wait for the next one.
    virtual void stepEnded() {}

    /// The sequence number of the last change handed over.
    virtual std::uint64_t lastChange() const = 0;
    /// The sequence number up to which changes are durable.
    virtual std::uint64_t durableChange() const = 0;
    /// Why the store cannot go on (a disk error after start), if it cannot.
    virtual std::optional<std::string> failure() const { return std::nullopt; }
};

}  // namespace brolostack::store
