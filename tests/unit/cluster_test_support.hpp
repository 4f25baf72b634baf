// Cluster mode (server/broker.hpp) without Redis: hubs share one broker,
// the contract the Redis broker implements, kept in memory, with its
// answers handed over when a test says so, so each order in which a real
// broker's replies and fan-out can arrive is played out. Nodes can die:
// nothing reaches them any more and the others hear brokerNodeGone.
#pragma once

#include "hub_test_support.hpp"

#include "brolostack/protocol/codec.hpp"
#include "brolostack/store/session_records_store.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <set>

namespace hubtest {


using brolostack::server::BrokerOrigin;
using brolostack::server::BrokerPublishResult;
using brolostack::server::BrokerRequest;
using brolostack::server::PlacedMessage;
using brolostack::server::RoomSync;

/// One room as a broker keeps it.
struct BrokerRoom {
    std::string epoch;
    std::vector<PlacedMessage> messages;  // offsets 1..n
    std::map<std::string, std::string> members;  // key -> member JSON
};

/// What the broker keeps of ARGS sessions: who leads each, and its records.
struct SessionRecords {
    std::map<std::string, std::string> leases;                          // session -> node
    std::map<std::string, std::map<std::string, std::string>> records;  // session -> field -> record
};

/// A node's store in cluster mode: a session's records go to the broker
/// while the node holds the session's lease (as the Redis script checks),
/// durable at once; nothing else is kept.
class SharedSessionStore final : public brolostack::store::SessionRecordsStore {
public:
    SharedSessionStore(SessionRecords& shared, std::function<std::string()> node) : shared_(shared), node_(std::move(node)) {}
    void sessionSaved(const std::string& session, const std::string& record) override { set(session, "session", record); }
    void sessionForgotten(const std::string& session) override {
        if (!leads(session)) return;
        shared_.records.erase(session);
        shared_.leases.erase(session);
    }
    void agentSaved(const std::string& session, const std::string& agent, const std::string& record) override {
        set(session, "agent:" + agent, record);
    }
    void agentForgotten(const std::string& session, const std::string& agent) override { erase(session, "agent:" + agent); }
    void taskSaved(const std::string& session, const std::string& task, const std::string& record) override {
        set(session, "task:" + task, record);
    }
    void taskForgotten(const std::string& session, const std::string& task) override { erase(session, "task:" + task); }
    std::uint64_t lastChange() const override { return 0; }
    std::uint64_t durableChange() const override { return 0; }
    /// Saves refused because another node led the session.
    std::vector<std::string> refused;

private:
    bool leads(const std::string& session) {
        auto it = shared_.leases.find(session);
        if (it != shared_.leases.end() && it->second == node_()) return true;
        refused.push_back(session);
        return false;
    }
    void set(const std::string& session, const std::string& field, const std::string& record) {
        if (leads(session)) shared_.records[session][field] = record;
    }
    void erase(const std::string& session, const std::string& field) {
        if (leads(session)) shared_.records[session].erase(field);
    }
    SessionRecords& shared_;
    std::function<std::string()> node_;
};

/// A node: a hub, its ids, and what it sent to its connections.
struct Node {
    std::unique_ptr<Hub> hub;
    std::unique_ptr<SharedSessionStore> store;
    Outbox log;
    std::uint64_t ids = 0;
    std::set<std::string> watched;
    bool dead = false;  // killed: hears nothing, says nothing
};

class ClusterTest : public ::testing::Test {
protected:
    std::int64_t now = 1'700'000'000'000;
    std::vector<Node> nodes{2};
    std::map<std::string, BrokerRoom> rooms;
    std::map<std::string, std::pair<std::string, std::uint64_t>> mids;  // dedupe key + mid -> (epoch, offset)
    /// Answers and fan-out not handed over yet, in the order the broker made them.
    std::deque<std::function<void()>> pending;
    bool brokerDown = false;
    /// Nodes taken for dead that renewed their liveness before their members were dropped.
    std::set<std::string> aliveAgain;
    std::uint64_t ref = 0;
    int epochs = 0;
    SessionRecords sessions;
    std::map<std::size_t, int> leadAsks;  // node -> times it asked the broker who leads a session

    void SetUp() override {
        brolostack::config::Settings settings;
        settings.broker = "redis://127.0.0.1:6379";
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            Node& node = nodes[i];
            node.store = std::make_unique<SharedSessionStore>(sessions, [&node] { return node.hub->nodeId(); });
            node.hub = std::make_unique<Hub>(
                settings,
                [&node, i] {
                    char buf[24];
                    std::snprintf(buf, sizeof buf, "n%zu%014llx", i, static_cast<unsigned long long>(++node.ids));
                    return std::string(buf);
                },
                now, std::nullopt, node.store.get());
        }
    }

    /// Keeps what the hub sent and queues what it asked of the broker.
    void take(std::size_t n, Outbox& out) {
        for (auto& a : out) {
            if (a.kind == Action::Kind::Broker) brokerDo(n, *a.broker);
            else nodes[n].log.push_back(a);
        }
    }

    /// The node named `id`, if it lives.
    std::optional<std::size_t> nodeNamed(const std::string& id) const {
        for (std::size_t k = 0; k < nodes.size(); ++k)
            if (!nodes[k].dead && nodes[k].hub->nodeId() == id) return k;
        return std::nullopt;
    }
    /// Kills node `n`: what the broker owes it is dropped, and every other
    /// node hears it is gone (as after its liveness lapsed).
    void kill(std::size_t n) {
        nodes[n].dead = true;
        for (std::size_t k = 0; k < nodes.size(); ++k)
            if (!nodes[k].dead) run(k, [&](Outbox& o) { nodes[k].hub->brokerNodeGone(nodes[n].hub->nodeId(), now, o); });
    }

    void sessionRequest(std::size_t n, const BrokerRequest& r) {
        switch (r.kind) {
        case BrokerRequest::Kind::LeadSession: {
            ++leadAsks[n];
            if (brokerDown) {
                auto error = brolostack::protocol::makeError(brolostack::protocol::ErrorCode::Unavailable, "down");
                pending.push_back([this, n, session = r.session, error] {
                    run(n, [&](Outbox& o) { nodes[n].hub->brokerSessionLed(session, error, now, o); });
                });
                return;
            }
            std::string& holder = sessions.leases[r.session];
            if (holder.empty() || !nodeNamed(holder)) holder = nodes[n].hub->nodeId();
            brolostack::server::SessionLead lead{holder, {}};
            auto kept = sessions.records.find(r.session);
            if (holder == nodes[n].hub->nodeId() && kept != sessions.records.end())
                for (const auto& [field, json] : kept->second) {
                    if (field == "session") lead.records.sessions.push_back({r.session, r.session, json});
                    else if (field.rfind("agent:", 0) == 0) lead.records.agents.push_back({r.session, field.substr(6), json});
                    else lead.records.tasks.push_back({r.session, field.substr(5), json});
                }
            pending.push_back([this, n, session = r.session, lead] {
                run(n, [&](Outbox& o) { nodes[n].hub->brokerSessionLed(session, lead, now, o); });
            });
            return;
        }
        case BrokerRequest::Kind::ToNode:
            if (auto k = nodeNamed(r.node)) {
                pending.push_back([this, k = *k, payload = r.payload] {
                    run(k, [&](Outbox& o) { nodes[k].hub->brokerFromNode(payload, now, o); });
                });
            } else if (r.token != 0) {
                pending.push_back([this, n, node = r.node, token = r.token] {
                    run(n, [&](Outbox& o) { nodes[n].hub->brokerUndelivered(node, token, now, o); });
                });
            }
            return;
        case BrokerRequest::Kind::ToEveryNode:
            for (std::size_t k = 0; k < nodes.size(); ++k)
                pending.push_back([this, k, payload = r.payload] {
                    run(k, [&](Outbox& o) { nodes[k].hub->brokerSessionEvent(payload, now, o); });
                });
            return;
        default:
            return;
        }
    }

    void brokerDo(std::size_t n, const BrokerRequest& r) {
        switch (r.kind) {
        case BrokerRequest::Kind::LeadSession:
        case BrokerRequest::Kind::ToNode:
        case BrokerRequest::Kind::ToEveryNode:
            sessionRequest(n, r);
            return;
        case BrokerRequest::Kind::Watch:
        case BrokerRequest::Kind::CatchUp: {
            if (r.kind == BrokerRequest::Kind::Watch) nodes[n].watched.insert(r.room);
            if (brokerDown) {
                pending.push_back([this, n, room = r.room] { run(n, [&](Outbox& o) { nodes[n].hub->brokerSyncFailed(room, now, o); }); });
                return;
            }
            BrokerRoom& room = obtain(r.room);
            RoomSync sync{room.epoch, room.messages.size(), {}, {}};
            for (const auto& m : room.messages)
                if (m.offset > r.after) sync.messages.push_back(m);
            if (r.kind == BrokerRequest::Kind::Watch)
                for (const auto& [key, member] : room.members) sync.members.push_back({key, member});
            pending.push_back([this, n, room = r.room, sync] { run(n, [&](Outbox& o) { nodes[n].hub->brokerSynced(room, sync, now, o); }); });
            return;
        }
        case BrokerRequest::Kind::Unwatch:
            nodes[n].watched.erase(r.room);
            return;
        case BrokerRequest::Kind::ListSessions: {
            std::vector<std::string> ids;
            for (const auto& [session, fields] : sessions.records)
                if (fields.count("session")) ids.push_back(session);
            pending.push_back([this, n, token = r.token, ids] { if (!nodes[n].dead) nodes[n].hub->brokerSessionsListed(token, ids); });
            return;
        }
        case BrokerRequest::Kind::Read: {
            std::variant<RoomSync, brolostack::protocol::Error> answer = RoomSync{};
            if (brokerDown) answer = brolostack::protocol::makeError(brolostack::protocol::ErrorCode::Unavailable, "down");
            else if (auto it = rooms.find(r.room); it != rooms.end()) {
                RoomSync sync{it->second.epoch, it->second.messages.size(), it->second.messages, {}};
                for (const auto& [key, member] : it->second.members) sync.members.push_back({key, member});
                answer = sync;
            }
            pending.push_back([this, n, token = r.token, answer] { if (!nodes[n].dead) nodes[n].hub->brokerRead(token, answer); });
            return;
        }
        case BrokerRequest::Kind::MembersReset: {
            BrokerRoom& room = obtain(r.room);
            std::string prefix = nodes[n].hub->nodeId() + ":";
            for (auto it = room.members.begin(); it != room.members.end();)
                it = it->first.rfind(prefix, 0) == 0 ? room.members.erase(it) : std::next(it);
            for (const auto& m : r.members) room.members[m.key] = m.json;
            return;
        }
        case BrokerRequest::Kind::MemberJoined:
        case BrokerRequest::Kind::MemberLeft: {
            bool joined = r.kind == BrokerRequest::Kind::MemberJoined;
            BrokerRoom& room = obtain(r.room);
            if (joined) room.members[r.memberKey] = r.memberJson;
            else if (r.onlyIfNodeDead && aliveAgain.count(std::string(brolostack::server::nodeOfMemberKey(r.memberKey))))
                return;  // the node came back: nothing changes, nothing is told
            else if (room.members.erase(r.memberKey) == 0) return;
            for (std::size_t k = 0; k < nodes.size(); ++k)
                if (nodes[k].watched.count(r.room))
                    pending.push_back([this, k, room = r.room, key = r.memberKey, joined, member = r.memberJson] {
                        run(k, [&](Outbox& o) { nodes[k].hub->brokerPresence(room, key, joined, member, o); });
                    });
            return;
        }
        case BrokerRequest::Kind::Publish: {
            if (brokerDown) {
                auto error = brolostack::protocol::makeError(brolostack::protocol::ErrorCode::Unavailable, "down");
                pending.push_back([this, n, token = r.token, error] { run(n, [&](Outbox& o) { nodes[n].hub->brokerPublished(token, error, now, o); }); });
                return;
            }
            BrokerRoom& room = obtain(r.room);
            std::string midKey = r.mid ? r.room + "|" + r.dedupeKey + "|" + *r.mid : "";
            if (!midKey.empty() && mids.count(midKey)) {
                auto [epoch, offset] = mids[midKey];
                BrokerPublishResult dup{{epoch, offset}, true};
                pending.push_back([this, n, token = r.token, dup] { run(n, [&](Outbox& o) { nodes[n].hub->brokerPublished(token, dup, now, o); }); });
                return;
            }
            PlacedMessage m{room.messages.size() + 1, r.unplaced, r.origin};
            room.messages.push_back(m);
            if (!midKey.empty()) mids[midKey] = {room.epoch, m.offset};
            BrokerPublishResult placed{{room.epoch, m.offset}, false};
            pending.push_back([this, n, token = r.token, placed] { run(n, [&](Outbox& o) { nodes[n].hub->brokerPublished(token, placed, now, o); }); });
            for (std::size_t k = 0; k < nodes.size(); ++k)
                if (nodes[k].watched.count(r.room))
                    pending.push_back([this, k, room = r.room, epoch = room.epoch, m] { run(k, [&](Outbox& o) { nodes[k].hub->brokerPlaced(room, epoch, m, now, o); }); });
            return;
        }
        }
    }

    BrokerRoom& obtain(const std::string& id) {
        BrokerRoom& room = rooms[id];
        if (room.epoch.empty()) room.epoch = "E" + std::to_string(++epochs);
        return room;
    }

    void run(std::size_t n, const std::function<void(Outbox&)>& step) {
        if (nodes[n].dead) return;
        Outbox out;
        step(out);
        take(n, out);
    }
    /// Hands over everything the broker has made so far (and what that causes).
    void settle() {
        while (!pending.empty()) {
            auto next = std::move(pending.front());
            pending.pop_front();
            next();
        }
    }

    ConnId connect(std::size_t n, const std::string& helloFields = "") {
        static ConnId nextConn = 100;
        ConnId conn = ++nextConn;
        Hub& hub = *nodes[n].hub;
        EXPECT_TRUE(hub.admit({}, now).admitted());
        hub.open(conn, {}, now);
        sendText(n, conn, R"({"op":"hello","ref":)" + std::to_string(++ref) + R"(,"v":1)" + helloFields + "}");
        settle();
        return conn;
    }
    std::uint64_t sendText(std::size_t n, ConnId conn, const std::string& text) {
        run(n, [&](Outbox& o) { nodes[n].hub->receiveText(conn, text, now, o); });
        return ref;
    }
    std::uint64_t join(std::size_t n, ConnId conn, const std::string& room, const std::string& extra = "") {
        return sendText(n, conn, R"({"op":"join","ref":)" + std::to_string(++ref) + R"(,"room":")" + room + "\"" + extra + "}");
    }
    std::uint64_t leave(std::size_t n, ConnId conn, const std::string& room) {
        return sendText(n, conn, R"({"op":"leave","ref":)" + std::to_string(++ref) + R"(,"room":")" + room + "\"}");
    }
    std::uint64_t publish(std::size_t n, ConnId conn, const std::string& room, int value, const std::string& extra = "") {
        return sendText(n, conn, R"({"op":"publish","ref":)" + std::to_string(++ref) + R"(,"room":")" + room +
                                     R"(","event":"chat","data":{"n":)" + std::to_string(value) + "}" + extra + "}");
    }

    std::vector<Document> frames(std::size_t n, ConnId conn, std::string_view op) { return framesTo(nodes[n].log, conn, op); }
    /// The reply (or error) frame answering `r` on node `n`, if there is one.
    std::optional<Document> answer(std::size_t n, ConnId conn, std::uint64_t r) {
        for (auto& f : framesTo(nodes[n].log, conn))
            if (f.HasMember("ref") && f["ref"].IsUint64() && f["ref"].GetUint64() == r) return std::move(f);
        return std::nullopt;
    }
    std::vector<std::uint64_t> messageOffsets(std::size_t n, ConnId conn) {
        std::vector<std::uint64_t> offsets;
        for (const auto& f : frames(n, conn, "message")) offsets.push_back(f["offset"].GetUint64());
        return offsets;
    }
    /// The ops sent to `conn`, in order.
    std::vector<std::string> ops(std::size_t n, ConnId conn) {
        std::vector<std::string> result;
        for (const auto& f : framesTo(nodes[n].log, conn)) result.push_back(f["op"].GetString());
        return result;
    }
};


}  // namespace hubtest
