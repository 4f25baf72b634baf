// The broker seam (broker.hpp) inside one process: the shards of one
// brolostack-server (SHARDS > 1, BROKER=local) are the nodes of a cluster
// whose broker is this object. It keeps each room's epoch, offsets, bounded
// history and members, the mid dedupe window, and which shard leads each
// ARGS session. What must survive a restart it hands to a store::Store in
// the form a one-shard server keeps, so a data folder moves between SHARDS
// settings: rooms with their history, mids, and the sessions' records
// (which reach it through each shard's ShardRecords, below).
//
// Sans-I/O and single-threaded: the I/O layer serializes the calls and hands
// each BrokerDelivery to its shard's loop once the store has made every
// change made before it durable.
#pragma once

#include "brolostack/server/broker.hpp"
#include "brolostack/server/outbox.hpp"
#include "brolostack/store/session_records_store.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace brolostack::server {

class Hub;

/// A step the broker owes one node: run on that node's loop, with its hub.
struct BrokerDelivery {
    std::size_t node = 0;
    std::function<void(Hub& hub, std::int64_t now, Outbox& out)> step;
};

/// A change to an ARGS session's records, as a shard's hub made it.
struct RecordChange {
    enum class Kind { SessionSaved, SessionForgotten, AgentSaved, AgentForgotten, TaskSaved, TaskForgotten };
    Kind kind = Kind::SessionSaved;
    std::string session;
    std::string id;    // the agent's or task's
    std::string json;  // the record (the saves)
};

class InProcessBroker {
public:
    struct Bounds {
        std::size_t historySize = 1000;  // messages kept per room (HISTORY_SIZE)
        /// A room no node follows is forgotten this long after its last
        /// message (its next publish starts a new epoch).
        std::int64_t idleRoomTtlMs = 0;
        std::size_t maxMids = 100000;  // MAX_REMEMBERED_MIDS
    };

    /// Starts from what `store` kept (rooms, mids and ARGS records; resume
    /// grants are not used by shards: their tokens name themselves).
    InProcessBroker(Bounds bounds, store::Store& store, std::function<std::string()> newEpoch);

    /// Adds a node (a hub's nodeId()); returns its number for perform().
    std::size_t addNode(std::string id);
    std::vector<BrokerDelivery> perform(std::size_t node, const BrokerRequest& request, std::int64_t now);
    /// Node `node`'s hub changed session records (one whole step of it):
    /// kept for sessions that node leads; the store's sequence number after them.
    std::uint64_t saveRecords(std::size_t node, const std::vector<RecordChange>& changes);
    /// Forgets idle rooms no node follows and mids whose time is up.
    void expire(std::int64_t now);

    /// ARGS records from the store that wait for a shard to lead their session.
    std::size_t keptSessions() const { return kept_.size(); }

private:
    struct Room {
        std::string epoch;
        std::uint64_t lastOffset = 0;
        std::deque<PlacedMessage> history;
        std::map<std::string, std::string> members;  // member key -> member JSON
        std::set<std::size_t> watchers;
        std::int64_t lastActivity = 0;
    };
    struct Mid {
        std::string epoch;
        std::uint64_t offset = 0;
        std::int64_t expiresAt = 0;
    };

    Room& obtain(const std::string& id, std::int64_t now);
    void sync(std::size_t node, const BrokerRequest& request, std::int64_t now, std::vector<BrokerDelivery>& out);
    void read(std::size_t node, const BrokerRequest& request, std::vector<BrokerDelivery>& out) const;
    void publish(std::size_t node, const BrokerRequest& request, std::int64_t now, std::vector<BrokerDelivery>& out);
    void presence(const BrokerRequest& request, std::int64_t now, std::vector<BrokerDelivery>& out);
    void lead(std::size_t node, const std::string& session, std::vector<BrokerDelivery>& out);
    void toNode(std::size_t node, const BrokerRequest& request, std::vector<BrokerDelivery>& out);
    void remember(const std::string& key, const store::StoredMid& mid);
    void restore(const store::Snapshot& kept);

    Bounds bounds_;
    store::Store& store_;
    std::function<std::string()> newEpoch_;
    std::vector<std::string> nodes_;
    std::map<std::string, Room> rooms_;
    std::unordered_map<std::string, Mid> mids_;  // room|dedupe key|mid
    std::deque<std::pair<std::string, std::int64_t>> midOrder_;  // keys as remembered, with their expiry
    std::map<std::string, std::size_t> leases_;  // session -> node that leads it
    std::map<std::string, store::Snapshot> kept_;  // records from the store, until a node leads their session
    std::set<std::string> recorded_;               // sessions with a session record in the store
};

/// A shard's hub's store: the session records it changes go to the
/// InProcessBroker a whole step at a time (`flush`, which the I/O layer
/// serializes with the broker's other calls and answers with the shared
/// store's sequence number after them); durable once the shared store says
/// so (`durable`: its durableChange()).
class ShardRecords final : public store::SessionRecordsStore {
public:
    ShardRecords(std::function<std::uint64_t(std::vector<RecordChange>)> flush, std::function<std::uint64_t()> durable)
        : flush_(std::move(flush)), durable_(std::move(durable)) {}

    void sessionSaved(const std::string& session, const std::string& record) override;
    void sessionForgotten(const std::string& session) override;
    void agentSaved(const std::string& session, const std::string& agent, const std::string& record) override;
    void agentForgotten(const std::string& session, const std::string& agent) override;
    void taskSaved(const std::string& session, const std::string& task, const std::string& record) override;
    void taskForgotten(const std::string& session, const std::string& task) override;
    void stepEnded() override;
    std::uint64_t lastChange() const override { return lastChange_; }
    std::uint64_t durableChange() const override;

private:
    void add(RecordChange change);

    std::function<std::uint64_t(std::vector<RecordChange>)> flush_;
    std::function<std::uint64_t()> durable_;
    std::vector<RecordChange> step_;  // this step's changes, not flushed yet
    std::uint64_t lastChange_ = 0;
    /// Flushed steps not yet durable: (our last change, the shared store's sequence number).
    mutable std::deque<std::pair<std::uint64_t, std::uint64_t>> flushed_;
    mutable std::uint64_t durableChange_ = 0;
};

}  // namespace brolostack::server
