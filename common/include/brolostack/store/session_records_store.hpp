// A store for a node or shard of a cluster (server/broker.hpp): there the
// broker keeps rooms, history, mids and resume grants, and the hub's own
// store keeps only ARGS sessions' records, going wherever every node can
// read them (Redis, or the in-process broker of one server's shards). The
// changes the broker owns are dropped here; a derived store takes the rest.
#pragma once

#include "brolostack/store/store.hpp"

namespace brolostack::store {

class SessionRecordsStore : public Store {
public:
    /// Sessions are read as a node takes the lead of each, not at start.
    Snapshot load() override { return {}; }
    void roomCreated(const std::string&, const std::string&, std::int64_t) override {}
    void roomNamed(const std::string&, const std::string&) override {}
    void roomForgotten(const std::string&) override {}
    void messageAppended(const std::string&, const StoredMessage&) override {}
    void historyTrimmed(const std::string&, std::uint64_t) override {}
    void midRemembered(const StoredMid&) override {}
    void grantIssued(const std::string&, const std::string&) override {}
    void grantExpires(const std::string&, std::int64_t) override {}
    void expire(std::int64_t) override {}
};

}  // namespace brolostack::store
