#include "brolostack/server/in_process_broker.hpp"

#include "brolostack/json.hpp"
#include "brolostack/protocol/codec.hpp"
#include "brolostack/server/hub.hpp"

#include <utility>

namespace brolostack::server {
namespace {

std::string midKey(const std::string& room, const std::string& dedupeKey, const std::string& mid) {
    return room + '|' + dedupeKey + '|' + mid;
}

/// A kept message frame without its position: what a broker holds (a
/// one-shard server keeps frames with "offset" and "epoch" in them).
std::optional<std::string> unplaced(const std::string& frame) {
    json::Document doc;
    doc.Parse(frame.data(), frame.size());
    if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
    doc.RemoveMember("offset");
    doc.RemoveMember("epoch");
    return json::toString(doc);
}

}  // namespace

InProcessBroker::InProcessBroker(Bounds bounds, store::Store& store, std::function<std::string()> newEpoch)
    : bounds_(bounds), store_(store), newEpoch_(std::move(newEpoch)) {
    restore(store_.load());
}

void InProcessBroker::restore(const store::Snapshot& kept) {
    for (const auto& stored : kept.rooms) {
        Room& room = rooms_[stored.id];
        room.epoch = stored.epoch;
        room.lastOffset = stored.lastOffset;
        room.lastActivity = stored.lastActivity;
        for (const auto& message : stored.history) {
            if (!message.frame) continue;
            if (auto text = unplaced(*message.frame)) room.history.push_back(PlacedMessage{message.offset, std::move(*text), ""});
        }
        while (room.history.size() > bounds_.historySize) room.history.pop_front();
    }
    for (const auto& mid : kept.mids) {
        std::string key = midKey(mid.room, mid.publisher, mid.mid);
        mids_[key] = Mid{mid.epoch, mid.offset, mid.expiresAt};
        midOrder_.emplace_back(key, mid.expiresAt);
    }
    for (const auto& record : kept.sessions) {
        kept_[record.session].sessions.push_back(record);
        recorded_.insert(record.session);
    }
    for (const auto& record : kept.agents) kept_[record.session].agents.push_back(record);
    for (const auto& record : kept.tasks) kept_[record.session].tasks.push_back(record);
}

std::size_t InProcessBroker::addNode(std::string id) {
    nodes_.push_back(std::move(id));
    return nodes_.size() - 1;
}

InProcessBroker::Room& InProcessBroker::obtain(const std::string& id, std::int64_t now) {
    Room& room = rooms_[id];
    if (room.epoch.empty()) {
        room.epoch = newEpoch_();
        room.lastActivity = now;
        store_.roomCreated(id, room.epoch, now);
    }
    return room;
}

std::vector<BrokerDelivery> InProcessBroker::perform(std::size_t node, const BrokerRequest& r, std::int64_t now) {
    std::vector<BrokerDelivery> out;
    switch (r.kind) {
    case BrokerRequest::Kind::Watch:
    case BrokerRequest::Kind::CatchUp:
        sync(node, r, now, out);
        break;
    case BrokerRequest::Kind::Read:
        read(node, r, out);
        break;
    case BrokerRequest::Kind::ListSessions: {
        std::vector<std::string> ids(recorded_.begin(), recorded_.end());
        out.push_back({node, [token = r.token, ids = std::move(ids)](Hub& hub, std::int64_t, Outbox&) {
                           hub.brokerSessionsListed(token, ids);
                       }});
        break;
    }
    case BrokerRequest::Kind::Unwatch:
        if (auto it = rooms_.find(r.room); it != rooms_.end()) it->second.watchers.erase(node);
        break;
    case BrokerRequest::Kind::Publish:
        publish(node, r, now, out);
        break;
    case BrokerRequest::Kind::MemberJoined:
    case BrokerRequest::Kind::MemberLeft:
        presence(r, now, out);
        break;
    case BrokerRequest::Kind::MembersReset: {
        // Only after a broker outage, which an in-process broker never has;
        // done as asked all the same.
        Room& room = obtain(r.room, now);
        const std::string prefix = nodes_.at(node) + ":";
        for (auto it = room.members.begin(); it != room.members.end();)
            it = it->first.rfind(prefix, 0) == 0 ? room.members.erase(it) : std::next(it);
        for (const auto& member : r.members) room.members[member.key] = member.json;
        break;
    }
    case BrokerRequest::Kind::LeadSession:
        lead(node, r.session, out);
        break;
    case BrokerRequest::Kind::ToNode:
        toNode(node, r, out);
        break;
    case BrokerRequest::Kind::ToEveryNode:
        for (std::size_t k = 0; k < nodes_.size(); ++k)
            out.push_back({k, [payload = r.payload](Hub& hub, std::int64_t t, Outbox& o) { hub.brokerSessionEvent(payload, t, o); }});
        break;
    }
    store_.stepEnded();  // each request is one whole step for the store
    return out;
}

void InProcessBroker::sync(std::size_t node, const BrokerRequest& r, std::int64_t now, std::vector<BrokerDelivery>& out) {
    Room& room = obtain(r.room, now);
    RoomSync answer{room.epoch, room.lastOffset, {}, {}};
    for (const auto& message : room.history)
        if (message.offset > r.after) answer.messages.push_back(message);
    if (r.kind == BrokerRequest::Kind::Watch) {
        room.watchers.insert(node);
        for (const auto& [key, json] : room.members) answer.members.push_back({key, json});
    }
    out.push_back({node, [room = r.room, answer = std::move(answer)](Hub& hub, std::int64_t t, Outbox& o) {
                       hub.brokerSynced(room, answer, t, o);
                   }});
}

void InProcessBroker::read(std::size_t node, const BrokerRequest& r, std::vector<BrokerDelivery>& out) const {
    RoomSync answer;  // no epoch: no such room (a read creates none)
    if (auto it = rooms_.find(r.room); it != rooms_.end()) {
        const Room& room = it->second;
        answer.epoch = room.epoch;
        answer.lastOffset = room.lastOffset;
        answer.messages.assign(room.history.begin(), room.history.end());
        for (const auto& [key, json] : room.members) answer.members.push_back({key, json});
    }
    out.push_back({node, [token = r.token, answer = std::move(answer)](Hub& hub, std::int64_t, Outbox&) {
                       hub.brokerRead(token, answer);
                   }});
}

void InProcessBroker::publish(std::size_t node, const BrokerRequest& r, std::int64_t now, std::vector<BrokerDelivery>& out) {
    Room& room = obtain(r.room, now);
    std::string key = r.mid ? midKey(r.room, r.dedupeKey, *r.mid) : std::string();
    if (r.mid) {
        auto seen = mids_.find(key);
        if (seen != mids_.end() && seen->second.expiresAt > now) {
            BrokerPublishResult duplicate{{seen->second.epoch, seen->second.offset}, true};
            out.push_back({node, [token = r.token, duplicate](Hub& hub, std::int64_t t, Outbox& o) {
                               hub.brokerPublished(token, duplicate, t, o);
                           }});
            return;
        }
    }
    PlacedMessage message{++room.lastOffset, r.unplaced, r.origin};
    room.lastActivity = now;
    room.history.push_back(message);
    if (auto frame = protocol::placeMessage(message.unplaced, message.offset, room.epoch))
        store_.messageAppended(r.room, store::StoredMessage{message.offset, now, std::make_shared<const std::string>(std::move(*frame))});
    if (room.history.size() > bounds_.historySize) {
        while (room.history.size() > bounds_.historySize) room.history.pop_front();
        store_.historyTrimmed(r.room, room.history.empty() ? room.lastOffset + 1 : room.history.front().offset);
    }
    if (r.mid) remember(key, store::StoredMid{r.dedupeKey, *r.mid, r.room, message.offset, room.epoch, now + r.midTtlMs});
    BrokerPublishResult placed{{room.epoch, message.offset}, false};
    out.push_back({node, [token = r.token, placed](Hub& hub, std::int64_t t, Outbox& o) { hub.brokerPublished(token, placed, t, o); }});
    for (std::size_t watcher : room.watchers)
        out.push_back({watcher, [room = r.room, epoch = room.epoch, message](Hub& hub, std::int64_t t, Outbox& o) {
                           hub.brokerPlaced(room, epoch, message, t, o);
                       }});
}

void InProcessBroker::remember(const std::string& key, const store::StoredMid& mid) {
    mids_[key] = Mid{mid.epoch, mid.offset, mid.expiresAt};
    midOrder_.emplace_back(key, mid.expiresAt);
    store_.midRemembered(mid);
    while (mids_.size() > bounds_.maxMids && !midOrder_.empty()) {
        // The oldest goes first; an entry remembered again later stays.
        auto [oldest, expiresAt] = midOrder_.front();
        midOrder_.pop_front();
        auto it = mids_.find(oldest);
        if (it != mids_.end() && it->second.expiresAt == expiresAt) mids_.erase(it);
    }
}

void InProcessBroker::presence(const BrokerRequest& r, std::int64_t now, std::vector<BrokerDelivery>& out) {
    const bool joined = r.kind == BrokerRequest::Kind::MemberJoined;
    Room& room = obtain(r.room, now);
    if (joined) room.members[r.memberKey] = r.memberJson;
    else if (room.members.erase(r.memberKey) == 0) return;
    for (std::size_t watcher : room.watchers)
        out.push_back({watcher, [room = r.room, key = r.memberKey, joined, json = r.memberJson](Hub& hub, std::int64_t, Outbox& o) {
                           hub.brokerPresence(room, key, joined, json, o);
                       }});
}

void InProcessBroker::lead(std::size_t node, const std::string& session, std::vector<BrokerDelivery>& out) {
    // Shards live and stop together: a lease is held until its session is forgotten.
    auto [lease, taken] = leases_.emplace(session, node);
    SessionLead answer{nodes_.at(lease->second), {}};
    if (taken) {
        if (auto kept = kept_.find(session); kept != kept_.end()) {
            answer.records = std::move(kept->second);
            kept_.erase(kept);
        }
    }
    out.push_back({node, [session, answer = std::move(answer)](Hub& hub, std::int64_t t, Outbox& o) {
                       hub.brokerSessionLed(session, answer, t, o);
                   }});
}

void InProcessBroker::toNode(std::size_t node, const BrokerRequest& r, std::vector<BrokerDelivery>& out) {
    for (std::size_t k = 0; k < nodes_.size(); ++k) {
        if (nodes_[k] != r.node) continue;
        out.push_back({k, [payload = r.payload](Hub& hub, std::int64_t t, Outbox& o) { hub.brokerFromNode(payload, t, o); }});
        return;
    }
    if (r.token != 0)
        out.push_back({node, [to = r.node, token = r.token](Hub& hub, std::int64_t t, Outbox& o) {
                           hub.brokerUndelivered(to, token, t, o);
                       }});
}

std::uint64_t InProcessBroker::saveRecords(std::size_t node, const std::vector<RecordChange>& changes) {
    for (const auto& c : changes) {
        auto lease = leases_.find(c.session);
        if (lease == leases_.end() || lease->second != node) continue;  // only its leader writes a session
        switch (c.kind) {
        case RecordChange::Kind::SessionSaved:
            store_.sessionSaved(c.session, c.json);
            recorded_.insert(c.session);
            break;
        case RecordChange::Kind::SessionForgotten:
            store_.sessionForgotten(c.session);
            recorded_.erase(c.session);
            leases_.erase(lease);
            break;
        case RecordChange::Kind::AgentSaved: store_.agentSaved(c.session, c.id, c.json); break;
        case RecordChange::Kind::AgentForgotten: store_.agentForgotten(c.session, c.id); break;
        case RecordChange::Kind::TaskSaved: store_.taskSaved(c.session, c.id, c.json); break;
        case RecordChange::Kind::TaskForgotten: store_.taskForgotten(c.session, c.id); break;
        }
    }
    store_.stepEnded();
    return store_.lastChange();
}

void InProcessBroker::expire(std::int64_t now) {
    for (auto it = rooms_.begin(); it != rooms_.end();) {
        const Room& room = it->second;
        if (room.watchers.empty() && room.members.empty() && now - room.lastActivity >= bounds_.idleRoomTtlMs) {
            store_.roomForgotten(it->first);
            it = rooms_.erase(it);
        } else {
            ++it;
        }
    }
    while (!midOrder_.empty() && midOrder_.front().second <= now) {
        auto it = mids_.find(midOrder_.front().first);
        if (it != mids_.end() && it->second.expiresAt <= now) mids_.erase(it);
        midOrder_.pop_front();
    }
    store_.expire(now);
    store_.stepEnded();
}

// ---- ShardRecords ---------------------------------------------------------------

void ShardRecords::add(RecordChange change) {
    step_.push_back(std::move(change));
    ++lastChange_;
}

void ShardRecords::sessionSaved(const std::string& session, const std::string& record) {
    add({RecordChange::Kind::SessionSaved, session, {}, record});
}
void ShardRecords::sessionForgotten(const std::string& session) { add({RecordChange::Kind::SessionForgotten, session, {}, {}}); }
void ShardRecords::agentSaved(const std::string& session, const std::string& agent, const std::string& record) {
    add({RecordChange::Kind::AgentSaved, session, agent, record});
}
void ShardRecords::agentForgotten(const std::string& session, const std::string& agent) {
    add({RecordChange::Kind::AgentForgotten, session, agent, {}});
}
void ShardRecords::taskSaved(const std::string& session, const std::string& task, const std::string& record) {
    add({RecordChange::Kind::TaskSaved, session, task, record});
}
void ShardRecords::taskForgotten(const std::string& session, const std::string& task) {
    add({RecordChange::Kind::TaskForgotten, session, task, {}});
}

void ShardRecords::stepEnded() {
    if (step_.empty()) return;
    std::uint64_t shared = flush_(std::move(step_));
    step_.clear();
    flushed_.emplace_back(lastChange_, shared);
}

std::uint64_t ShardRecords::durableChange() const {
    const std::uint64_t shared = durable_();
    while (!flushed_.empty() && flushed_.front().second <= shared) {
        durableChange_ = flushed_.front().first;
        flushed_.pop_front();
    }
    // Nothing flushed waits: all but this step's unflushed changes are durable.
    if (flushed_.empty()) durableChange_ = lastChange_ - step_.size();
    return durableChange_;
}

}  // namespace brolostack::server
