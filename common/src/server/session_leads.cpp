#include "brolostack/server/session_leads.hpp"

namespace brolostack::server {

const SessionLeads::Lead* SessionLeads::find(const std::string& session) const {
    auto it = leads_.find(session);
    return it == leads_.end() ? nullptr : &it->second;
}

bool SessionLeads::leads(const std::string& session) const {
    const Lead* l = find(session);
    return l && l->state == State::Mine;
}

std::size_t SessionLeads::prune(std::int64_t now, const std::function<bool(const std::string&)>& wantedHere) {
    if (now - lastPrune_ < kPruneEveryMs) return 0;
    lastPrune_ = now;
    std::set<std::string> asking;  // sessions with an ask out at their leader
    for (const auto& [number, out] : asks_) asking.insert(out.ask.msg.sessionId);
    std::size_t forgotten = 0;
    for (auto it = leads_.begin(); it != leads_.end();) {
        const auto& [session, l] = *it;
        const bool needed = l.used || l.state == State::Mine || l.state == State::Asking || !l.waiting.empty() ||
                            asking.count(session) || registrations_.count(session) || wantedHere(session);
        it->second.used = false;
        if (needed) {
            ++it;
        } else {
            it = leads_.erase(it);
            ++forgotten;
        }
    }
    return forgotten;
}

std::vector<std::string> SessionLeads::sessionsIn(State state, const std::string* leader) const {
    std::vector<std::string> sessions;
    for (const auto& [session, l] : leads_)
        if (l.state == state && (!leader || l.leader == *leader)) sessions.push_back(session);
    return sessions;
}

std::vector<std::string> SessionLeads::sessionsWaitingSince(std::int64_t time) const {
    std::vector<std::string> sessions;
    for (const auto& [session, l] : leads_)
        if (!l.waiting.empty() && l.waiting.front().since <= time) sessions.push_back(session);
    return sessions;
}

std::uint64_t SessionLeads::asked(Ask ask, const std::string& leader) {
    std::uint64_t number = ++lastAsk_;
    askedBy_[ask.conn].insert(leader);
    asks_.emplace(number, Out{std::move(ask), leader});
    return number;
}

std::optional<std::pair<SessionLeads::Ask, std::string>> SessionLeads::answered(std::uint64_t number) {
    auto it = asks_.find(number);
    if (it == asks_.end()) return std::nullopt;
    std::pair<Ask, std::string> out{std::move(it->second.ask), std::move(it->second.leader)};
    asks_.erase(it);
    return out;
}

template <class Drop>
std::vector<SessionLeads::Ask> SessionLeads::dropAsksIf(Drop drop) {
    std::vector<Ask> dropped;
    for (auto it = asks_.begin(); it != asks_.end();) {
        if (!drop(it->second)) {
            ++it;
            continue;
        }
        dropped.push_back(std::move(it->second.ask));
        it = asks_.erase(it);
    }
    return dropped;
}

std::vector<SessionLeads::Ask> SessionLeads::dropAsksAt(const std::string& leader) {
    return dropAsksIf([&](const Out& o) { return o.leader == leader; });
}

std::vector<SessionLeads::Ask> SessionLeads::dropAsksSentBefore(std::int64_t time) {
    return dropAsksIf([&](const Out& o) { return o.ask.since <= time; });
}

std::set<std::string> SessionLeads::takeNodesAskedBy(ConnId conn) {
    auto it = askedBy_.find(conn);
    if (it == askedBy_.end()) return {};
    std::set<std::string> nodes = std::move(it->second);
    askedBy_.erase(it);
    return nodes;
}

args::Owner SessionLeads::proxyFor(const std::string& node, ConnId conn) {
    auto [it, created] = proxies_.try_emplace({node, conn}, nextProxy_);
    if (created) {
        remotes_.emplace(nextProxy_, std::make_pair(node, conn));
        ++nextProxy_;
    }
    return it->second;
}

std::optional<std::pair<std::string, ConnId>> SessionLeads::remoteOf(args::Owner owner) const {
    auto it = remotes_.find(owner);
    if (it == remotes_.end()) return std::nullopt;
    return it->second;
}

std::optional<args::Owner> SessionLeads::dropProxy(const std::string& node, ConnId conn) {
    auto it = proxies_.find({node, conn});
    if (it == proxies_.end()) return std::nullopt;
    args::Owner owner = it->second;
    remotes_.erase(owner);
    proxies_.erase(it);
    return owner;
}

std::vector<args::Owner> SessionLeads::dropProxiesOf(const std::string& node) {
    std::vector<args::Owner> owners;
    for (auto it = proxies_.lower_bound({node, 0}); it != proxies_.end() && it->first.first == node;) {
        owners.push_back(it->second);
        remotes_.erase(it->second);
        it = proxies_.erase(it);
    }
    return owners;
}

void SessionLeads::registered(ConnId conn, const args::Message& msg, const std::string& agent) {
    args::Message kept = msg;
    // Told again later, maybe past its ttl, and answered by nobody.
    kept.metadata.ttl.reset();
    kept.metadata.requiresAck = false;
    registrations_[msg.sessionId].insert_or_assign({conn, agent}, std::move(kept));
}

void SessionLeads::unregistered(ConnId conn, const std::string& session, const std::string& agent) {
    auto it = registrations_.find(session);
    if (it == registrations_.end()) return;
    it->second.erase({conn, agent});
    if (it->second.empty()) registrations_.erase(it);
}

void SessionLeads::connectionGone(ConnId conn) {
    for (auto it = registrations_.begin(); it != registrations_.end();) {
        auto& agents = it->second;
        for (auto a = agents.begin(); a != agents.end();) a = a->first.first == conn ? agents.erase(a) : std::next(a);
        it = agents.empty() ? registrations_.erase(it) : std::next(it);
    }
    askedBy_.erase(conn);
}

std::vector<std::pair<ConnId, args::Message>> SessionLeads::registrationsIn(const std::string& session) const {
    std::vector<std::pair<ConnId, args::Message>> out;
    auto it = registrations_.find(session);
    if (it == registrations_.end()) return out;
    for (const auto& [key, msg] : it->second) out.emplace_back(key.first, msg);
    return out;
}

std::set<std::string> SessionLeads::nodes() const {
    std::set<std::string> nodes;
    for (const auto& [session, l] : leads_)
        if (l.state == State::Theirs || l.state == State::Blocked) nodes.insert(l.leader);
    for (const auto& [key, owner] : proxies_) nodes.insert(key.first);
    return nodes;
}

}  // namespace brolostack::server
