// ARGS sessions in cluster mode (node_messages.hpp), the hub's bookkeeping:
// which node leads each session as this node knows it, the messages that
// wait to learn it, those asked of a leader and not answered yet, the
// proxy owners that stand for other nodes' connections in the sessions
// this node leads, and the agents this node's connections registered, told
// again to a new leader after the old one's node died. No I/O, no rules of
// ARGS: the hub decides, this remembers.
#pragma once

#include "brolostack/args/message.hpp"
#include "brolostack/args/session.hpp"
#include "brolostack/server/outbox.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace brolostack::server {

class SessionLeads {
public:
    enum class State {
        Unknown,  // nobody asked yet, or what was known went stale
        Asking,   // the broker was asked who leads
        Blocked,  // the leader it named could not be reached: asked again at the next tick
        Mine,
        Theirs,
    };
    /// An ARGS message of one of this node's connections (or of its server,
    /// conn 0, answered through `done`), with how to answer it.
    struct Ask {
        ConnId conn = 0;
        std::uint64_t ref = 0;
        std::string op;
        args::Message msg;
        bool ackInstead = false;  // answered with an ack frame (requiresAck, no ref)
        bool mustJoin = false;    // a registration whose connection joins the session's room once it succeeds
        std::int64_t since = 0;   // when it arrived
        std::function<void(const std::variant<std::string, protocol::Error>&)> done;
        std::string request;  // "" (an ARGS message) or the HTTP API's own (NodeMessage::request)
    };
    struct Lead {
        State state = State::Unknown;
        std::string leader;        // Theirs, Blocked: the node named last
        std::deque<Ask> waiting;   // oldest first
        bool used = true;          // looked up through lead() since the last prune
    };

    /// Owners from here up to Hub::kFirstLocalOwner stand for other nodes' connections.
    static constexpr args::Owner kFirstProxyOwner = args::Owner{1} << 61;
    static bool isProxy(args::Owner owner) { return owner >= kFirstProxyOwner && owner < (args::Owner{1} << 62); }

    /// The session's lead, made when unknown; counts as a use (see prune).
    Lead& lead(const std::string& session) {
        Lead& l = leads_[session];
        l.used = true;
        return l;
    }
    const Lead* find(const std::string& session) const;
    bool leads(const std::string& session) const;
    void forget(const std::string& session) { leads_.erase(session); }
    /// Forgets, once per kPruneEveryMs, what this node knows of sessions it
    /// neither leads nor needs: not used since the last prune, no message
    /// waiting or being asked for the leader, no agent registered by a
    /// connection here, and not `wantedHere` (the hub: members here). Every
    /// node hears of every session that gets a leader, so without this each
    /// would keep an entry per session the cluster ever had. A session it
    /// needs again is asked for anew. Returns how many were forgotten.
    std::size_t prune(std::int64_t now, const std::function<bool(const std::string&)>& wantedHere);
    static constexpr std::int64_t kPruneEveryMs = 60000;
    /// The sessions in `state` (with `leader`, when given).
    std::vector<std::string> sessionsIn(State state, const std::string* leader = nullptr) const;

    // ---- asks out at a leader ----------------------------------------------
    /// Remembers an ask sent to `leader`; returns its number.
    std::uint64_t asked(Ask ask, const std::string& leader);
    /// The ask `number` and the node it went to, forgotten; none when unknown.
    std::optional<std::pair<Ask, std::string>> answered(std::uint64_t number);
    /// Every ask out whose message arrived at or before `time`, forgotten.
    std::vector<Ask> dropAsksSentBefore(std::int64_t time);
    /// Every ask out at `leader`, forgotten.
    std::vector<Ask> dropAsksAt(const std::string& leader);
    /// `conn` told `node` something (a registration again), with no answer asked.
    void told(ConnId conn, const std::string& node) { askedBy_[conn].insert(node); }
    /// Sessions whose oldest waiting message arrived at or before `time`.
    std::vector<std::string> sessionsWaitingSince(std::int64_t time) const;
    /// The nodes `conn` asked something of (told when it closes), forgotten.
    std::set<std::string> takeNodesAskedBy(ConnId conn);

    // ---- proxies, at the leader ---------------------------------------------
    args::Owner proxyFor(const std::string& node, ConnId conn);
    /// (node, connection) of a proxy owner.
    std::optional<std::pair<std::string, ConnId>> remoteOf(args::Owner owner) const;
    std::optional<args::Owner> dropProxy(const std::string& node, ConnId conn);
    std::vector<args::Owner> dropProxiesOf(const std::string& node);

    // ---- registrations of this node's connections --------------------------
    /// `msg` registered agent `agent` for `conn` (kept to be told again).
    void registered(ConnId conn, const args::Message& msg, const std::string& agent);
    void unregistered(ConnId conn, const std::string& session, const std::string& agent);
    void connectionGone(ConnId conn);
    /// The registrations of the session's agents by this node's connections.
    std::vector<std::pair<ConnId, args::Message>> registrationsIn(const std::string& session) const;

    /// Nodes this one hears from about sessions: leaders and proxies' nodes.
    std::set<std::string> nodes() const;

private:
    struct Out {
        Ask ask;
        std::string leader;
    };
    template <class Drop>
    std::vector<Ask> dropAsksIf(Drop drop);

    std::unordered_map<std::string, Lead> leads_;
    std::int64_t lastPrune_ = 0;
    std::map<std::uint64_t, Out> asks_;
    std::uint64_t lastAsk_ = 0;
    std::unordered_map<ConnId, std::set<std::string>> askedBy_;
    std::map<std::pair<std::string, ConnId>, args::Owner> proxies_;
    std::unordered_map<args::Owner, std::pair<std::string, ConnId>> remotes_;
    args::Owner nextProxy_ = kFirstProxyOwner;
    // session -> (conn, agent) -> the registration
    std::map<std::string, std::map<std::pair<ConnId, std::string>, args::Message>> registrations_;
};

}  // namespace brolostack::server
