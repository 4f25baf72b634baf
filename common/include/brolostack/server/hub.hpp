// The server core: connections, hello, rooms, presence, publish, history,
// recovery, liveness and limits, with no I/O. The I/O layer tells it what
// happened (a connection opened, a text frame arrived, time passed) and
// performs the actions it returns in an Outbox. One Hub runs on one thread.
#pragma once

#include "brolostack/args/coordinator.hpp"
#include "brolostack/config/settings.hpp"
#include "brolostack/protocol/codec.hpp"
#include "brolostack/protocol/identifiers.hpp"
#include "brolostack/rooms/room_service.hpp"
#include "brolostack/server/auth.hpp"
#include "brolostack/server/broker.hpp"
#include "brolostack/server/outbox.hpp"
#include "brolostack/server/inbound_throttle.hpp"
#include "brolostack/server/node_messages.hpp"
#include "brolostack/server/rate_limiter.hpp"
#include "brolostack/server/resume_grants.hpp"
#include "brolostack/server/session_leads.hpp"
#include "brolostack/server/stats.hpp"
#include "brolostack/store/store.hpp"

#include <deque>
#include <list>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

namespace brolostack::server {

/// What the I/O layer learned from the HTTP upgrade request.
struct UpgradeRequest {
    std::optional<std::string> origin;
    std::string remoteAddress;
    std::optional<std::string> bearer;  // Authorization: Bearer, or ?token=
    std::optional<std::string> apiKey;  // X-API-Key, or ?apiKey=
};

/// The answer to an upgrade request: 101 goes ahead, anything else is the
/// HTTP status to refuse it with.
struct Admission {
    int status = 101;
    std::string reason;
    std::int64_t retryAfterSeconds = 0;
    bool admitted() const { return status == 101; }
};

/// Where a server-side publish landed.
using Published = rooms::PublishedAt;

class Hub {
public:
    /// `newId` returns a fresh random identifier (hex) for sids and epochs;
    /// `jwt` enables JWT authentication (the settings say which policy).
    /// The hub starts from what `store` kept and tells it every durable
    /// change; without one it keeps its own memory store.
    Hub(config::Settings settings, std::function<std::string()> newId, std::int64_t now,
        std::optional<JwtSetup> jwt = std::nullopt, store::Store* store = nullptr);

    /// Where durable changes go: the I/O layer holds a step's frames until
    /// the store has made that step's changes durable.
    const store::Store& store() const { return *store_; }
    store::Store& store() { return *store_; }
    /// ARGS records the store held that this server could not read (skipped at start).
    std::size_t unreadableRecords() const { return unreadableRecords_; }

    // ---- connection lifecycle --------------------------------------------
    /// Checks origin, connection limit and upgrade credentials, in that
    /// order. An admitted request holds a connection slot until open() or
    /// abandon() is called for it.
    Admission admit(const UpgradeRequest& request, std::int64_t now);
    /// Releases the slot of an admitted request whose handshake then failed.
    void abandon();
    void open(ConnId conn, const UpgradeRequest& request, std::int64_t now);
    void receiveText(ConnId conn, std::string_view text, std::int64_t now, Outbox& out);
    void receiveBinary(ConnId conn, std::string_view bytes, std::int64_t now, Outbox& out);
    /// Any sign of life that is not a data frame (a pong).
    void activity(ConnId conn, std::int64_t now);
    /// The outgoing buffer of `conn` passed its limit.
    void slowConsumer(ConnId conn, Outbox& out);
    /// A droppable frame was not sent to a receiver that was behind.
    void frameDropped() { ++counters_.droppedMessages; }
    void closed(ConnId conn, std::int64_t now, Outbox& out);
    /// The backend answered a webhook call (any HTTP status), or the call
    /// failed (status 0: network error or timeout).
    void webhookAnswered(ConnId conn, std::uint64_t ref, int status, std::string_view body, std::int64_t now,
                         Outbox& out);
    /// Timers: hello timeout, pings, idle peers, history and dedupe expiry.
    void tick(std::int64_t now, Outbox& out);
    /// Stops admitting and closes every connection with 1001.
    void drain(Outbox& out);
    bool draining() const { return draining_; }
    std::size_t connectionCount() const { return connections_.size(); }
    /// Who a connection is, for its log lines (none: not open).
    struct ConnectionInfo {
        std::string user;  // the authenticated user id, empty when anonymous
        std::string address;
        std::int64_t openedAt = 0;
    };
    std::optional<ConnectionInfo> connectionInfo(ConnId conn) const;

    // ---- the broker (cluster mode; broker.hpp) ------------------------------
    /// Rooms fan out through a shared broker (BROKER is not `local`).
    bool clustered() const { return clustered_; }
    /// This node's name in broker origins (random, new at each start).
    const std::string& nodeId() const { return nodeId_; }
    /// The broker answered a Watch or CatchUp of `room`.
    void brokerSynced(const std::string& room, RoomSync sync, std::int64_t now, Outbox& out);
    /// A Watch or CatchUp of `room` got no answer (the broker is unreachable).
    void brokerSyncFailed(const std::string& room, std::int64_t now, Outbox& out);
    /// The broker fanned out a message of `room` (any node's).
    void brokerPlaced(const std::string& room, std::string_view epoch, PlacedMessage message, std::int64_t now,
                      Outbox& out);
    /// The broker's answer to Publish `token`, or why it has none (unavailable).
    void brokerPublished(std::uint64_t token, std::variant<BrokerPublishResult, protocol::Error> result,
                         std::int64_t now, Outbox& out);
    /// The fan-out was interrupted and runs again: every followed room reads
    /// what it missed meanwhile.
    void brokerResumed(Outbox& out);
    /// A member of another node joined (`joined`) or left a followed room.
    void brokerPresence(const std::string& room, const std::string& memberKey, bool joined,
                        std::string_view memberJson, Outbox& out);
    /// A node stopped renewing its liveness: the broker is asked to drop its
    /// members from every room followed here (if it is still dead then),
    /// and the leaves come back through brokerPresence.
    void brokerNodeGone(const std::string& node, std::int64_t now, Outbox& out);
    /// The broker's answer to LeadSession (or why it has none).
    void brokerSessionLed(const std::string& session, std::variant<SessionLead, protocol::Error> answer,
                          std::int64_t now, Outbox& out);
    /// Another node's message to this one (an encoded NodeMessage).
    void brokerFromNode(std::string_view payload, std::int64_t now, Outbox& out);
    /// A session leader's event for the members here (an encoded SessionEvent).
    void brokerSessionEvent(std::string_view payload, std::int64_t now, Outbox& out);
    /// A ToNode found nobody listening at `node`; `token` names the ask it carried (0: none).
    void brokerUndelivered(const std::string& node, std::uint64_t token, std::int64_t now, Outbox& out);
    /// The broker kept a change to the session from being saved: another
    /// node leads it now (this node's lease had lapsed).
    void brokerSessionLost(const std::string& session, std::int64_t now, Outbox& out);
    /// The other nodes with members in rooms followed here, leading sessions
    /// this node's connections use, or using sessions led here (whose
    /// liveness the broker watches).
    std::set<std::string> remoteNodes() const;
    /// The broker's connections came up (true) or one went down (false).
    void brokerReachable(bool up) { brokerUp_ = up; }
    /// Cluster mode and the broker is down: not ready for new clients.
    bool brokerDown() const { return clustered_ && !brokerUp_; }
    /// Rooms followed through the broker (live or loading).
    std::size_t watchedRooms() const { return watches_.size(); }

    // ---- in-process participants (the embedding API) ---------------------
    /// Owners at or above this id are in-process agents, not connections.
    static constexpr args::Owner kFirstLocalOwner = args::Owner{1} << 62;
    /// The submitter of tasks the server starts itself (HTTP, embedding API).
    static constexpr args::Owner kServerOwner = 0;
    /// Handles an ARGS message from an in-process participant.
    std::variant<std::string, protocol::Error> handleLocal(args::Owner owner, const args::Message& msg,
                                                           std::int64_t now, Outbox& out);
    /// Receives messages routed to in-process owners (assignments, cancels,
    /// collaboration) and every session announcement.
    struct LocalHooks {
        std::function<void(args::Owner owner, const args::Message& msg)> deliver;
        std::function<void(const std::string& sessionId, const std::string& msgJson)> announced;
    };
    void setLocalHooks(LocalHooks hooks) { localHooks_ = std::move(hooks); }
    /// Creates the ARGS session if it does not exist.
    void createSession(const std::string& sessionId, std::int64_t now) {
        if (!ledElsewhere(sessionId)) coordinator_.obtainSession(sessionId, now);
    }
    /// Sends an ARGS message of the server's to an agent, wherever it is.
    std::variant<std::string, protocol::Error> sendToAgent(const std::string& sessionId, const std::string& agentId,
                                                           args::MessageType type, const std::string& payloadJson,
                                                           std::int64_t now, Outbox& out);

    // ---- server API (HTTP) -----------------------------------------------
    /// Publishes as the server; an Error for bad input.
    /// limit_exceeded when creating the missing ones of `roomIds` would pass
    /// MAX_ROOMS (so a multi-room publish changes nothing or everything).
    std::optional<protocol::Error> checkRoomCapacity(const std::vector<std::string>& roomIds) const;
    std::variant<Published, protocol::Error> publish(const std::string& room, const std::string& event,
                                                     const std::string& dataJson, std::int64_t now, Outbox& out);
    using PublishDone = std::function<void(const std::variant<Published, protocol::Error>&)>;
    /// Publishes as the server wherever the room lives: `done` hears where
    /// it landed (or why not) before this returns with the local broker, and
    /// once the broker answered in cluster mode.
    void publishThen(const std::string& room, const std::string& event, const std::string& dataJson,
                     std::int64_t now, Outbox& out, PublishDone done);
    /// `{"room","members","memberCount"}`, or not_found.
    std::variant<std::string, protocol::Error> membersJson(const std::string& room) const;
    using ReadDone = std::function<void(const std::variant<std::string, protocol::Error>&)>;
    /// membersJson and historyJson of a room wherever it lives: at once when
    /// it is held here, else (cluster mode) once the broker answered.
    void membersThen(const std::string& room, Outbox& out, ReadDone done);
    void historyThen(const std::string& room, const std::optional<protocol::StreamPosition>& since,
                     std::optional<std::uint32_t> limit, Outbox& out, ReadDone done);
    /// The broker's answer to a Read (hub_room_reads.cpp).
    void brokerRead(std::uint64_t token, const std::variant<RoomSync, protocol::Error>& answer);
    /// sessionsJson() of the whole server: this node's sessions alone, or
    /// (cluster mode) every session the broker keeps, once it answered.
    void sessionsThen(Outbox& out, ReadDone done);
    /// The broker's answer to a ListSessions: the ids, sorted.
    void brokerSessionsListed(std::uint64_t token, const std::variant<std::vector<std::string>, protocol::Error>& answer);
    /// `{"room","epoch","offset","messages","complete"}`.
    std::variant<std::string, protocol::Error> historyJson(const std::string& room,
                                                           const std::optional<protocol::StreamPosition>& since,
                                                           std::optional<std::uint32_t> limit) const;
    /// Closes with 4003 every connection of `user` (or the one with `sid`);
    /// returns how many were closed.
    std::size_t disconnect(const std::optional<std::string>& user, const std::optional<std::string>& sid,
                           Outbox& out);
    Stats stats(std::int64_t now) const;
    /// ARGS sessions coordinated here: `{"count","sessions":[ids]}`.
    std::string sessionsJson() const;
    /// Those ids as sessionsJson() writes them.
    static std::string sessionListJson(const std::vector<std::string>& ids);
    /// The snapshot of SYNC_RESPONSE with the session room's position, or not_found.
    std::variant<std::string, protocol::Error> sessionSnapshotJson(const std::string& sessionId) const;
    /// Starts a task on behalf of the server (HTTP API); reply data or an error.
    std::variant<std::string, protocol::Error> startTask(const std::string& sessionId, const std::string& definitionJson,
                                                         std::int64_t now, Outbox& out);
    /// `{"sessionId","count","tasks"}`: the session's failed tasks, or not_found.
    std::variant<std::string, protocol::Error> deadLettersJson(const std::string& sessionId) const;
    /// Puts a failed task of the session back in its queue.
    std::variant<std::string, protocol::Error> requeueDeadLetter(const std::string& sessionId, const std::string& taskId,
                                                                 std::int64_t now, Outbox& out);
    using ArgsDone = std::function<void(const std::variant<std::string, protocol::Error>&)>;
    /// deadLettersJson and requeueDeadLetter wherever the session is
    /// coordinated: here, or (cluster mode) by its leader, once it answered.
    void deadLettersThen(const std::string& sessionId, std::int64_t now, Outbox& out, ArgsDone done);
    void requeueThen(const std::string& sessionId, const std::string& taskId, std::int64_t now, Outbox& out,
                     ArgsDone done);
    /// Handles an ARGS message of the server's own (HTTP API) wherever its
    /// session is coordinated: `done` hears the reply data (a SYNC_REQUEST's
    /// with the session room's position) or the error, before this returns
    /// when this node coordinates the session, later in cluster mode otherwise.
    /// `request`: "" for the message itself, else one of the HTTP API's own
    /// requests about the session (NodeMessage::request).
    void serverArgsThen(args::Message msg, std::int64_t now, Outbox& out, ArgsDone done, std::string request = {});
    /// sessionSnapshotJson, startTask and cancelTask wherever the session is
    /// coordinated (the HTTP API's session routes), answered through `done`.
    void sessionSnapshotThen(const std::string& sessionId, std::int64_t now, Outbox& out, ArgsDone done);
    void startTaskThen(const std::string& sessionId, const std::string& definitionJson, std::int64_t now, Outbox& out,
                       ArgsDone done);
    void cancelTaskThen(const std::string& sessionId, const std::string& taskId, std::int64_t now, Outbox& out,
                        ArgsDone done);
    /// Cancels a task the server started (HTTP API, embedding API).
    std::variant<std::string, protocol::Error> cancelTask(const std::string& sessionId, const std::string& taskId,
                                                          std::int64_t now, Outbox& out);
    const config::Settings& settings() const { return settings_; }
    const Authenticator& authenticator() const { return auth_; }

private:
    struct Connection {
        ConnId id = 0;
        std::string sid;
        std::optional<Identity> identity;   // set once authenticated
        std::optional<AuthResult> upgradeAuth;
        bool helloDone = false;
        bool expiringSent = false;          // the JWT expiry warning went out
        bool closing = false;
        std::string dedupeKey;              // whose mids this connection shares
        std::string resumeToken;            // secret: a later connection presenting it shares dedupeKey
        std::string address;                // the client's, past trusted proxies
        std::int64_t openedAt = 0;
        std::int64_t lastSeen = 0;
        std::int64_t lastPing = 0;
        // Lists, not deques, in what every connection holds: libstdc++'s
        // std::deque allocates about 600 bytes as it is constructed, even
        // empty, and these stay empty on almost every connection.
        std::list<std::int64_t> protocolErrors;  // times of recent bad frames
        RateLimiter rate;
        InboundThrottle inbound;
        std::string currentSession = "default";  // ARGS session of `send` shortcuts
        // Cluster mode: frames that wait for rooms to load from the broker
        // (the oldest is the one that needs them), and how many rooms that is.
        std::list<protocol::ClientFrame> held;
        std::size_t roomsAwaited = 0;
    };
    /// A room followed through the broker (cluster mode).
    struct RoomWatch {
        bool live = false;        // loaded: the local room is the broker's copy
        bool catchingUp = false;  // a CatchUp is out
        bool loadFailed = false;  // the frames waiting hear unavailable, then the watch goes
        std::vector<ConnId> waiting;            // connections holding frames until it loads
        std::vector<std::pair<std::string, PlacedMessage>> early;  // (epoch, message) fanned out before their turn
        std::vector<std::tuple<std::string, bool, std::string>> earlyPresence;  // (key, joined, member) while loading
    };
    struct PendingRead {
        enum class What { History, Members, Sessions };
        What what = What::History;
        std::string room;
        std::optional<protocol::StreamPosition> since;
        std::optional<std::uint32_t> limit;
        ReadDone done;
    };
    /// Whether `room` is held here as the broker has it (HTTP reads it here).
    bool holdsRoom(const std::string& room) const;
    void readThroughBroker(PendingRead read, Outbox& out);
    std::map<std::uint64_t, PendingRead> pendingReads_;  // by broker token
    struct PendingPublish {
        ConnId conn = 0;       // the publishing connection (0: the server's own publish)
        std::uint64_t ref = 0;
        std::string room;
        PublishDone done;      // the server's own publish
    };

    // dispatch (hub.cpp)
    /// Counts a received frame against INBOUND_BYTES_PER_SECOND; past it the
    /// transport stops reading from the connection for a while.
    void throttleInbound(Connection& c, std::size_t bytes, std::int64_t now, Outbox& out);
    void handleFrame(Connection& c, protocol::ClientFrame& frame, std::int64_t now, Outbox& out);
    void handleHello(Connection& c, protocol::HelloFrame& hello, std::int64_t now, Outbox& out);
    void handleRefresh(Connection& c, const protocol::RefreshFrame& f, std::int64_t now, Outbox& out);
    void checkTokenExpiry(Connection& c, std::int64_t now, Outbox& out);
    /// Whether the connection's token allows `room` (rooms / sessions claims).
    bool claimsAllow(const Connection& c, const std::string& room) const;
    // ARGS (hub_args.cpp)
    void handleArgs(Connection& c, const protocol::ArgsFrame& f, std::int64_t now, Outbox& out);
    void handleSend(Connection& c, protocol::SendFrame& f, std::int64_t now, Outbox& out);
    void callWebhook(Connection& c, const protocol::SendFrame& f, std::int64_t now, Outbox& out);
    void dispatchArgs(Connection& c, std::uint64_t ref, std::string_view op, const args::Message& msg,
                      std::int64_t now, Outbox& out);
    /// Answers an ARGS message of `c` with the coordinator's result (a reply, an ack or an error).
    void answerArgs(Connection& c, const SessionLeads::Ask& ask, args::Result result, std::int64_t now, Outbox& out);
    static std::string sessionRoomOf(std::string_view sessionId) {
        return std::string(protocol::kSessionRoomPrefix) + std::string(sessionId);
    }
    void route(args::Outputs& outputs, std::int64_t now, Outbox& out);
    /// Announces in the session's room, here and, in cluster mode, on every node.
    void announce(const std::string& sessionId, const std::string& msgJson, std::int64_t now, Outbox& out);
    void announceHere(const std::string& sessionId, const std::string& msgJson, std::int64_t now, Outbox& out);
    /// Sends to the room's members here but `skip`, without an offset.
    void broadcastHere(const std::string& room, const std::string& msgJson, std::optional<ConnId> skip, bool droppable,
                       Outbox& out);
    /// One frame to the room's members here but `skip`.
    void sendToMembersHere(const std::string& room, const SharedFrame& frame, std::optional<ConnId> skip, bool binary,
                           bool droppable, Outbox& out);
    void sendArgs(Connection& c, const std::string& msgJson, Outbox& out);
    void handleBinaryChunk(Connection& c, std::string_view bytes, std::int64_t now, Outbox& out);
    /// Checks a binary chunk with the coordinator (this node leads its
    /// session) and sends its frame to the session's members but its sender
    /// (`senderKey`, "<node>:<conn>"), here and on every node.
    args::Result relayChunk(args::Owner from, const std::string& senderKey, const std::string& session,
                            const std::string& streamId, std::int64_t seq, bool last, std::string_view frame,
                            std::int64_t now, args::Outputs& outputs, Outbox& out);
    /// False (the frame answered rate_limited, or the connection closed with 4029) when over the rate limit.
    bool admitByRate(Connection& c, std::uint64_t ref, const std::string& op, std::int64_t now, Outbox& out);
    /// A session snapshot (a JSON object) with the session room's epoch and offset added.
    std::string withSessionPosition(std::string snapshot, const std::string& sessionId) const;
    // rooms (hub_rooms.cpp): the connection's side of the room service
    std::variant<std::string, protocol::Error> joinRoom(Connection& c, const protocol::JoinFrame& f,
                                                        std::int64_t now, Outbox& out);
    void handleJoin(Connection& c, const protocol::JoinFrame& f, std::int64_t now, Outbox& out);
    void handleLeave(Connection& c, const protocol::LeaveFrame& f, std::int64_t now, Outbox& out);
    void handlePublish(Connection& c, protocol::PublishFrame& f, std::int64_t now, Outbox& out);
    void handleHistory(Connection& c, const protocol::HistoryFrame& f, Outbox& out);
    void handleMembers(Connection& c, const protocol::MembersFrame& f, Outbox& out);
    rooms::Participant participantOf(const Connection& c) const;
    /// Delivers room frames to members' connections through `out`.
    rooms::Deliver deliverTo(Outbox& out);
    // cluster mode (hub_cluster.cpp)
    /// Holds `frame` (and every later frame of `c`) when it needs rooms not
    /// loaded from the broker yet, asking the broker for them; true if held.
    bool holdForRooms(Connection& c, protocol::ClientFrame& frame, Outbox& out);
    /// Runs the frames `conn` held once nothing it waits for is loading.
    void releaseHeld(ConnId conn, std::int64_t now, Outbox& out);
    /// Wakes the connections waiting for `room` (loaded or failed).
    void wakeWaiting(const std::string& room, std::int64_t now, Outbox& out);
    /// Why `room` cannot be joined here now, in cluster mode (none: it can).
    std::optional<protocol::Error> brokerRoomUnavailable(const std::string& room) const;
    void publishThroughBroker(Connection& c, protocol::PublishFrame& f, std::int64_t now, Outbox& out);
    void applyPlaced(const std::string& room, RoomWatch& watch, const std::string& epoch, const PlacedMessage& message,
                     std::int64_t now, Outbox& out);
    void catchUp(const std::string& room, RoomWatch& watch, std::uint64_t after, Outbox& out);
    /// Asks again for what rooms wait for after a catch-up failed.
    void retryCatchUps(Outbox& out);
    /// Forgets the room here and tells the broker to stop its fan-out.
    void stopWatching(const std::string& room, Outbox& out);
    /// Stops following the rooms of `rooms` no member of this node is in.
    void unwatchIfUnused(const std::set<std::string>& rooms, Outbox& out);
    void settlePublish(std::uint64_t token, const std::variant<BrokerPublishResult, protocol::Error>& result,
                       std::int64_t now, Outbox& out);
    void requestBroker(BrokerRequest request, Outbox& out);
    /// Tells the broker a member of this node joined `room` (its JSON) or
    /// left it (memberJson empty).
    void announceMember(const std::string& room, ConnId conn, std::string memberJson, Outbox& out);
    /// Lists a member of this node again after another node dropped it, if
    /// it is still in the room here.
    void relistIfStillHere(const std::string& room, const std::string& memberKey, Outbox& out);
    /// announceMember for a member that just joined `room` here.
    void announceJoin(const std::string& room, ConnId conn, Outbox& out);
    std::string memberKey(ConnId conn) const { return nodeId_ + ":" + std::to_string(conn); }
    // ARGS sessions in cluster mode (hub_sessions.cpp)
    /// Handles the message where its session's leader is: here, or asked of
    /// the leader's node, or held until the broker tells who leads.
    void proceed(SessionLeads::Ask ask, std::int64_t now, Outbox& out);
    /// What the coordinator does with an ask led here: its ARGS message, or
    /// its HTTP request (`request`).
    args::Result coordinate(const std::string& request, args::Owner owner, const std::string& senderKey,
                            const args::Message& msg, std::int64_t now, args::Outputs& outputs, Outbox& out);
    /// Answers the ask: its connection, or its `done`.
    void settle(const SessionLeads::Ask& ask, args::Result result, std::int64_t now, Outbox& out);
    /// False when this node leads the session (`ask` untouched); otherwise
    /// the message is forwarded or held.
    bool askLeader(SessionLeads::Ask&& ask, std::int64_t now, Outbox& out);
    void askWhoLeads(const std::string& session, Outbox& out);
    void forwardAsk(SessionLeads::Ask ask, const std::string& leader, Outbox& out);
    void tellNode(const std::string& node, NodeMessage m, std::uint64_t token, Outbox& out);
    void tellEveryNode(const SessionEvent& event, Outbox& out);
    /// Keeps a successful registration (or drops the agent an unregistration names).
    void noteRegistration(ConnId conn, const args::Message& msg);
    /// Tells the session's leader again the agents this node's connections registered.
    void retellRegistrations(const std::string& session, std::int64_t now, Outbox& out);
    void runWaiting(const std::string& session, std::int64_t now, Outbox& out);
    void sessionsAfterNodeGone(const std::string& node, std::int64_t now, Outbox& out);
    void tickSessions(std::int64_t now, Outbox& out);
    void sessionsOfClosed(ConnId conn, Outbox& out);
    /// Cluster mode, and another node coordinates the session: why a
    /// route of this node's own cannot reach it.
    std::optional<protocol::Error> ledElsewhere(const std::string& sessionId) const;
    /// The task definition of an HTTP start, checked; or why it is refused.
    std::variant<args::TaskDefinition, protocol::Error> readTaskDefinition(const std::string& sessionId,
                                                                           const std::string& definitionJson) const;
    // replies (hub_replies.cpp)
    void reply(Connection& c, std::uint64_t ref, std::string dataJson, Outbox& out);
    void fail(Connection& c, std::uint64_t ref, std::string_view op, protocol::Error error, std::int64_t now,
              Outbox& out);
    /// Queues a frame for `c` (nothing when it is closing). `droppable`
    /// frames may be skipped by the I/O layer for a receiver that is behind.
    void send(Connection& c, SharedFrame frame, Outbox& out, bool binary = false, bool droppable = false);
    /// The same for a room member, without looking its connection up (every
    /// member is an open connection of this hub): a broadcast's cost per
    /// receiver.
    void sendToMember(ConnId member, const SharedFrame& frame, Outbox& out, bool binary = false, bool droppable = false);
    /// sendToMember for each of `members` but `skip` (0: none): what every
    /// broadcast to a room's members here comes down to.
    void sendToMembers(const std::vector<ConnId>& members, ConnId skip, const SharedFrame& frame, Outbox& out,
                       bool binary = false, bool droppable = false);
    /// Queues the frame, joining the Send just queued when it has the same frame.
    void queueSend(ConnId conn, const SharedFrame& frame, Outbox& out, bool binary, bool droppable);
    void closeWith(Connection& c, std::uint16_t code, std::string reason, Outbox& out);
    protocol::Error redact(protocol::Error error) const;
    bool countProtocolError(Connection& c, std::int64_t now);
    std::string welcomeJson(const Connection& c, const std::string& roomsJson) const;
    Connection* find(ConnId conn);
    /// Counts an upgrade from `ip`; false when it is over CONNECTION_RATE_PER_IP.
    bool allowUpgradeFrom(const std::string& ip, std::int64_t now, std::int64_t& retryAfterSeconds);

    config::Settings settings_;
    std::function<std::string()> newId_;
    Authenticator auth_;
    protocol::DecodeLimits decodeLimits_;
    std::unique_ptr<store::Store> ownStore_;  // when none was given
    store::Store* store_;
    rooms::RoomService rooms_;
    ResumeGrants resumeGrants_;
    args::Coordinator coordinator_;
    std::unordered_map<ConnId, Connection> connections_;
    /// Connections told to close (Connection::closing), until they closed:
    /// nothing more is sent to them. Kept apart so a broadcast checks it
    /// without finding each receiver's connection.
    std::unordered_set<ConnId> closing_;
    std::unordered_map<std::string, std::deque<std::int64_t>> recentUpgrades_;  // per IP, last minute
    void restore(const store::Snapshot& kept, std::int64_t now);
    LocalHooks localHooks_;
    bool clustered_ = false;
    bool brokerUp_ = false;
    std::string nodeId_;
    std::unordered_map<std::string, RoomWatch> watches_;
    SessionLeads leads_;
    std::unordered_map<std::uint64_t, PendingPublish> pendingPublishes_;
    std::uint64_t lastBrokerToken_ = 0;
    std::size_t unreadableRecords_ = 0;
    std::size_t pendingAdmissions_ = 0;
    std::size_t pendingWebhooks_ = 0;
    bool draining_ = false;
    std::int64_t startedAt_ = 0;
    Stats counters_;
};

}  // namespace brolostack::server
