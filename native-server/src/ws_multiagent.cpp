// The embedding API on top of the Hub and the WebSocket server. In-process
// agents are owners of their own (ids from Hub::kFirstLocalOwner up); their
// handlers run on the server's thread, queued behind the work that produced
// the assignment so every frame keeps its order.
#include "brolostack/ws_multiagent.hpp"

#include "brolostack/json.hpp"
#include "brolostack/protocol/identifiers.hpp"
#include "brolostack/server/hub.hpp"
#include "brolostack/store/memory_store.hpp"
#include "http_api.hpp"
#include "jwt_verifier.hpp"
#include "random_ids.hpp"
#include "redis/redis_broker.hpp"
#include "server_log.hpp"
#include "shard_links.hpp"
#include "sqlite_store.hpp"
#include "static_files.hpp"
#include "wall_clock.hpp"
#include "websocket_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <stdexcept>
#include <unordered_map>

namespace brolostack {
namespace {

using native::nowMs;

std::string errorText(const protocol::Error& e) {
    return std::string(protocol::errorCodeName(e.code)) + ": " + e.message;
}

std::string field(const json::Value& obj, const char* name) {
    auto it = obj.FindMember(name);
    if (it == obj.MemberEnd()) return {};
    return it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                : json::toString(it->value);
}

}  // namespace

struct WSMultiagent::Impl {
    WSMultiagent* self = nullptr;
    config::Settings settings;
    std::shared_ptr<spdlog::logger> log;
    std::shared_ptr<native::ServerMetrics> metrics;
    std::optional<native::ShardLinks> shard;  // one shard of several (SHARDS > 1)
    std::unique_ptr<store::Store> store;  // outlives the hub and the server that use it
    native::redis::RedisSessionStore* sessionStore = nullptr;  // the store, in cluster mode
    std::unique_ptr<server::Hub> hub;
    std::unique_ptr<native::HttpApi> api;
    std::unique_ptr<native::StaticFiles> files;
    std::unique_ptr<native::WebSocketServer> ws;
    std::unique_ptr<native::redis::RedisBroker> broker;  // cluster mode; goes before the loop it runs on
    std::unique_ptr<asio::steady_timer> countsTimer;     // drives everySecond(); goes before the loop too

    // The store goes first: its writer commits what is queued and may still
    // tell the server so, which must then exist. A shard leaves the shards'
    // broker first, which then posts nothing more here.
    ~Impl() {
        if (shard && shard->broker) shard->broker->leave(shard->index);
        store.reset();
    }

    struct LocalAgent {
        std::string sessionId;
        std::string agentId;
        AgentHandler handler;
        AgentMessageHandler onMessage;
    };
    args::Owner nextOwner = server::Hub::kFirstLocalOwner;
    std::unordered_map<args::Owner, LocalAgent> agents;
    std::map<std::string, std::vector<SessionObserver>> observers;
    /// Assignments still held by in-process agents, by (owner, task id).
    std::map<std::pair<args::Owner, std::string>, std::weak_ptr<TaskReporter::State>> assignments;
    /// The size at which `assignments` is next swept of those whose
    /// reporters are all gone: twice what the last sweep kept, so the sweeps
    /// cost O(1) per assignment however many long tasks are held.
    std::size_t sweepAssignmentsAt = 64;

    std::optional<std::string> openBroker();
    /// One shard of several without Redis: meets the others through their ShardBroker.
    void joinShardBroker();
    /// A shard's work every ShardStats::kPostEvery: posts its counts for the
    /// others, and shard 0 expires the shards' broker (it has no loop of its own).
    void everySecond();
    /// More of the store's changes are durable, or it failed (`failure`,
    /// read by the caller from the store that reported: a store's writer
    /// reports its last progress while `store` lets go of it).
    void storeProgressed(std::optional<std::string> failure);
    void deliverLocal(args::Owner owner, const args::Message& msg);
    void assign(args::Owner owner, const LocalAgent& agent, const args::Message& msg);
    void takeBack(args::Owner owner, const args::Message& cancel);
    std::variant<std::string, std::string> local(args::Owner owner, const std::string& sessionId,
                                                 args::MessageType type, const std::string& payloadJson);
};

struct TaskReporter::State {
    WSMultiagent::Impl* impl = nullptr;
    args::Owner owner = 0;
    std::string sessionId;
    std::string taskId;
    std::string agentId;
    std::atomic<bool> canceled{false};  // set on the server's thread, read anywhere
};

std::variant<std::string, std::string> WSMultiagent::Impl::local(args::Owner owner, const std::string& sessionId,
                                                                 args::MessageType type, const std::string& payloadJson) {
    std::variant<std::string, std::string> answer;
    ws->execute([&](server::Outbox& out, std::int64_t now) {
        args::Message m;
        m.id = "args_" + native::randomHex(8);
        m.type = type;
        m.timestamp = now;
        m.sessionId = sessionId;
        m.payloadJson = payloadJson;
        auto result = hub->handleLocal(owner, m, now, out);
        if (auto* e = std::get_if<protocol::Error>(&result)) answer.emplace<1>(errorText(*e));
        else answer.emplace<0>(std::get<std::string>(result));
    });
    return answer;
}

void WSMultiagent::Impl::deliverLocal(args::Owner owner, const args::Message& msg) {
    auto it = agents.find(owner);
    if (it == agents.end()) return;
    if (msg.type == args::MessageType::TaskAssign) return assign(owner, it->second, msg);
    if (msg.type == args::MessageType::TaskCancel) takeBack(owner, msg);
    if (!it->second.onMessage) return;
    AgentMessage m{msg.sessionId, it->second.agentId, std::string(args::messageTypeName(msg.type)), msg.payloadJson,
                   args::encodeMessage(msg)};
    AgentLink link;
    link.server_ = self;
    link.owner_ = owner;
    link.sessionId_ = msg.sessionId;
    AgentMessageHandler handler = it->second.onMessage;
    ws->post([handler, m, link] { handler(m, link); });
}

void WSMultiagent::Impl::assign(args::Owner owner, const LocalAgent& agent, const args::Message& msg) {
    json::Document payload;
    if (!json::parseStrict(msg.payloadJson, payload, msg.payloadJson.size() + 1, 64, true).ok()) return;
    Assignment a;
    a.sessionId = msg.sessionId;
    a.taskId = field(payload, "taskId");
    a.agentId = field(payload, "agentId");
    a.stage = static_cast<std::size_t>(std::atoll(field(payload, "stage").c_str()));
    a.stages = static_cast<std::size_t>(std::atoll(field(payload, "stages").c_str()));
    a.mode = field(payload, "mode");
    a.role = field(payload, "role");
    a.inputJson = payload.HasMember("input") ? json::toString(payload["input"]) : "null";
    a.taskJson = payload.HasMember("task") ? json::toString(payload["task"]) : "null";
    auto state = std::make_shared<TaskReporter::State>();
    state->impl = this;
    state->owner = owner;
    state->sessionId = a.sessionId;
    state->taskId = a.taskId;
    state->agentId = a.agentId;
    if (assignments.size() >= sweepAssignmentsAt) {
        for (auto held = assignments.begin(); held != assignments.end();)
            held = held->second.expired() ? assignments.erase(held) : std::next(held);
        sweepAssignmentsAt = std::max<std::size_t>(64, 2 * assignments.size());
    }
    assignments[{owner, a.taskId}] = state;
    TaskReporter reporter;
    reporter.state_ = std::move(state);
    AgentHandler handler = agent.handler;
    // After the frames of the current step have gone out.
    ws->post([handler, a, reporter] { handler(a, reporter); });
}

void WSMultiagent::Impl::takeBack(args::Owner owner, const args::Message& cancel) {
    json::Document payload;
    if (!json::parseStrict(cancel.payloadJson, payload, cancel.payloadJson.size() + 1, 64, true).ok()) return;
    auto held = assignments.find({owner, field(payload, "taskId")});
    if (held == assignments.end()) return;
    if (auto state = held->second.lock()) state->canceled = true;
    assignments.erase(held);
}

namespace {

/// The payload of a report about `state`'s task, with `extra` fields.
template <class Extra>
std::string reportPayload(const TaskReporter::State& state, Extra extra) {
    rapidjson::StringBuffer b;
    json::Writer w(b);
    w.StartObject();
    json::writeKey(w, "taskId");
    json::writeString(w, state.taskId);
    json::writeKey(w, "agentId");
    json::writeString(w, state.agentId);
    extra(w);
    w.EndObject();
    return std::string(b.GetString(), b.GetSize());
}

std::optional<std::string> errorOf(const std::variant<std::string, std::string>& result) {
    if (result.index() == 1) return std::get<1>(result);
    return std::nullopt;
}

}  // namespace

std::optional<std::string> TaskReporter::progress(double percent, const std::string& message) const {
    std::string payload = reportPayload(*state_, [&](json::Writer& w) {
        json::writeKey(w, "status");
        json::writeString(w, "running");
        json::writeKey(w, "progress");
        w.Double(percent);
        json::writeKey(w, "message");
        json::writeString(w, message);
    });
    return errorOf(state_->impl->local(state_->owner, state_->sessionId, args::MessageType::TaskProgress, payload));
}

std::optional<std::string> TaskReporter::complete(const std::string& resultJson) const {
    json::Document result;
    if (!json::parseStrict(resultJson, result, resultJson.size() + 1, 64, false).ok())
        return std::string("the result must be JSON");
    std::string payload = reportPayload(*state_, [&](json::Writer& w) {
        json::writeKey(w, "result");
        result.Accept(w);
    });
    return errorOf(state_->impl->local(state_->owner, state_->sessionId, args::MessageType::TaskComplete, payload));
}

std::optional<std::string> TaskReporter::fail(const std::string& code, const std::string& message) const {
    std::string payload = reportPayload(*state_, [&](json::Writer& w) {
        json::writeKey(w, "code");
        json::writeString(w, code);
        json::writeKey(w, "message");
        json::writeString(w, message);
    });
    return errorOf(state_->impl->local(state_->owner, state_->sessionId, args::MessageType::TaskError, payload));
}

bool TaskReporter::canceled() const { return state_->canceled; }

AgentLink TaskReporter::agent() const {
    AgentLink link;
    link.server_ = state_->impl->self;
    link.owner_ = state_->owner;
    link.sessionId_ = state_->sessionId;
    return link;
}

std::optional<std::string> AgentLink::send(const std::string& type, const std::string& payloadJson) const {
    if (!server_) return std::string("this link belongs to no agent (links come from TaskReporter::agent() or onMessage)");
    auto messageType = args::messageTypeFromName(type);
    if (!messageType) return "unknown ARGS type '" + type + "'";
    return errorOf(server_->impl_->local(owner_, sessionId_, *messageType, payloadJson));
}

WSMultiagent::WSMultiagent(config::Settings settings) : impl_(std::make_unique<Impl>()) {
    impl_->self = this;
    impl_->settings = std::move(settings);
}

WSMultiagent::~WSMultiagent() = default;

config::Settings WSMultiagent::settingsFromEnvironment() {
    auto loaded = config::loadSettings([](const std::string& name) -> std::optional<std::string> {
        if (const char* v = std::getenv(name.c_str())) return std::string(v);
        return std::nullopt;
    });
    if (loaded.fatal) throw std::runtime_error(*loaded.fatal);
    return loaded.settings;
}

void WSMultiagent::Impl::storeProgressed(std::optional<std::string> failure) {
    ws->releaseDurable();
    if (failure) {
        // Nothing more can be acknowledged: stop, so a supervisor restarts the server on a store that works.
        native::logEvent(*log, spdlog::level::critical, "the store failed, shutting down", {{"error", *failure}});
        ws->shutdown();
    }
}

std::optional<std::string> WSMultiagent::Impl::openBroker() {
    native::redis::RedisBroker::Bounds bounds;
    bounds.historySize = settings.historySize;
    // A room's keys outlive its history and its empty-room grace, as the
    // room itself does on one node; then its next publish starts a new epoch.
    std::int64_t ttlMs = std::max(settings.historyTtlMs, settings.emptyRoomTtlMs);
    bounds.roomTtl = std::chrono::seconds((ttlMs + 999) / 1000);
    auto opened = native::redis::RedisBroker::open(
        ws->ioContext(), settings.broker, *hub,
        [this](const std::function<void(server::Outbox&, std::int64_t)>& work) { ws->execute(work); }, bounds,
        [] { return native::randomHex(8); });
    if (auto* error = std::get_if<std::string>(&opened)) return *error;
    broker = std::move(std::get<std::unique_ptr<native::redis::RedisBroker>>(opened));
    const std::string shown = config::withoutPassword(settings.broker);
    broker->onStateChange([this, shown](bool up) {
        hub->brokerReachable(up);
        if (up) native::logEvent(*log, spdlog::level::info, "broker connected", {{"broker", shown}});
        else native::logEvent(*log, spdlog::level::warn, "broker unreachable: publishes and new rooms answer unavailable",
                              {{"broker", shown}, {"error", broker->lastError()}});
    });
    // A broker that never comes up (a wrong address or password) has no
    // change to report: it says why once, shortly after the start.
    auto firstCheck = std::make_shared<asio::steady_timer>(ws->ioContext(), std::chrono::seconds(2));
    firstCheck->async_wait([this, shown, firstCheck](const std::error_code& ec) {
        if (ec || !broker || broker->up()) return;
        native::logEvent(*log, spdlog::level::warn, "broker unreachable since the start: the server is not ready",
                         {{"broker", shown}, {"error", broker->lastError()}});
    });
    ws->setBroker([this](const server::BrokerRequest& request) { broker->perform(request); });
    broker->keepSessionRecords(*sessionStore, [this] { storeProgressed(sessionStore->failure()); });
    return std::nullopt;
}

void WSMultiagent::Impl::joinShardBroker() {
    native::ShardBroker& broker = *shard->broker;
    broker.join(
        shard->index, hub->nodeId(),
        [this](std::function<void(server::Hub&, std::int64_t, server::Outbox&)> step) {
            ws->post([this, step = std::move(step)] {
                ws->execute([&](server::Outbox& out, std::int64_t now) { step(*hub, now, out); });
            });
        },
        [this] { storeProgressed(shard->broker->failure()); });
    ws->setBroker([this](const server::BrokerRequest& request) { shard->broker->perform(shard->index, request); });
    hub->brokerReachable(true);  // in this process: never away
}

void WSMultiagent::becomeShard(const native::ShardLinks& links) { impl_->shard = links; }

void WSMultiagent::Impl::everySecond() {
    if (shard->broker && shard->index == 0) shard->broker->expire();
    server::Stats counts = hub->stats(nowMs());
    metrics->shardConnections(shard->index, counts.connectedClients);
    shard->counts->post(shard->index, std::move(counts));
    countsTimer->expires_after(native::ShardStats::kPostEvery);
    countsTimer->async_wait([this](const std::error_code& ec) {
        if (!ec) everySecond();
    });
}

std::optional<std::string> WSMultiagent::initialize() {
    Impl& m = *impl_;
    if (m.settings.shards != 1 && !m.shard)
        return std::string("SHARDS is for brolostack-server: an embedded server runs one event loop (set SHARDS=1)");
    m.log = spdlog::get("brolostack");
    if (!m.log) m.log = native::makeServerLogger("brolostack", m.settings.logFormat, m.settings.logLevel);
    auto jwt = native::makeJwtSetup(m.settings);
    if (auto* error = std::get_if<std::string>(&jwt)) return *error;
    native::SqliteStore* sqlite = nullptr;
    if (m.shard && m.shard->broker) {
        // One shard of several without Redis: the shards' broker keeps the
        // store; this shard's session records reach it a step at a time.
        auto broker = m.shard->broker;
        m.store = std::make_unique<server::ShardRecords>(
            [broker, index = m.shard->index](std::vector<server::RecordChange> changes) {
                return broker->saveRecords(index, std::move(changes));
            },
            [broker] { return broker->durableChange(); });
    } else if (m.settings.broker != "local") {
        // Cluster mode: what must survive lives in Redis, where any node can read it.
        auto sessions = std::make_unique<native::redis::RedisSessionStore>();
        m.sessionStore = sessions.get();
        m.store = std::move(sessions);
    } else if (m.settings.store == "sqlite") {
        auto opened = native::SqliteStore::open(m.settings.dataDir, m.settings.maxRememberedMids);
        if (auto* error = std::get_if<std::string>(&opened)) return *error;
        sqlite = std::get<std::unique_ptr<native::SqliteStore>>(opened).get();
        m.store = std::move(std::get<std::unique_ptr<native::SqliteStore>>(opened));
    } else {
        m.store = std::make_unique<store::MemoryStore>(m.settings.maxRememberedMids);
    }
    m.hub = std::make_unique<server::Hub>(m.settings, [] { return native::randomHex(8); }, nowMs(),
                                          std::get<std::optional<server::JwtSetup>>(std::move(jwt)), m.store.get());
    if (std::size_t unreadable = m.hub->unreadableRecords())
        native::logEvent(*m.log, spdlog::level::warn, "ARGS records in the store could not be read and were skipped",
                         {{"records", static_cast<std::int64_t>(unreadable)}});
    m.metrics = m.shard ? m.shard->metrics : std::make_shared<native::ServerMetrics>(BROLOSTACK_VERSION);
    m.api = std::make_unique<native::HttpApi>(*m.hub, *m.metrics);
    if (m.shard)
        m.api->countFrom([&m](std::int64_t now) { return m.shard->counts->total(m.shard->index, m.hub->stats(now)); });
    m.files = std::make_unique<native::StaticFiles>(m.settings.staticDir);
    auto proxies = native::TrustedProxies::parse(m.settings.trustedProxies);
    if (auto* error = std::get_if<std::string>(&proxies)) return *error;
    m.ws = std::make_unique<native::WebSocketServer>(*m.hub, *m.api, *m.files,
                                                     std::get<native::TrustedProxies>(std::move(proxies)), m.log,
                                                     *m.metrics);
    if (auto error = m.ws->loadTls()) return error;
    if (m.shard) {
        m.countsTimer = std::make_unique<asio::steady_timer>(m.ws->ioContext());
        asio::post(m.ws->ioContext(), [&m] { m.everySecond(); });
    }
    if (m.shard && m.shard->broker) m.joinShardBroker();
    else if (m.hub->clustered()) {
        if (auto error = m.openBroker()) return error;
    }
    if (sqlite) sqlite->onProgress([&m, sqlite] { m.storeProgressed(sqlite->failure()); });
    m.hub->setLocalHooks(server::Hub::LocalHooks{
        [&m](args::Owner owner, const args::Message& msg) { m.deliverLocal(owner, msg); },
        [&m](const std::string& sessionId, const std::string& msgJson) {
            auto it = m.observers.find(sessionId);
            if (it == m.observers.end()) return;
            auto observers = it->second;
            m.ws->post([observers, msgJson] {
                for (const auto& observe : observers) observe(msgJson);
            });
        },
    });
    return std::nullopt;
}

std::optional<std::string> WSMultiagent::listen(std::uint16_t port, const std::string& host) {
    return impl_->ws->listen(host, port);
}

std::uint16_t WSMultiagent::port() const { return impl_->ws->port(); }
void WSMultiagent::run() { impl_->ws->run(); }
void WSMultiagent::shutdown() { impl_->ws->shutdown(); }
std::optional<std::string> WSMultiagent::failure() const {
    if (impl_->shard && impl_->shard->broker) return impl_->shard->broker->failure();
    return impl_->store ? impl_->store->failure() : std::nullopt;
}

MultiagentSession WSMultiagent::createSession(const std::string& id) {
    impl_->ws->execute([&](server::Outbox&, std::int64_t now) { impl_->hub->createSession(id, now); });
    return MultiagentSession(*this, id);
}

server::Stats WSMultiagent::getStats() {
    server::Stats stats;
    impl_->ws->execute([&](server::Outbox&, std::int64_t now) { stats = impl_->hub->stats(now); });
    return stats;
}

std::optional<std::string> MultiagentSession::registerAgent(const AgentSpec& agent, AgentHandler handler,
                                                            AgentMessageHandler onMessage) {
    WSMultiagent::Impl& m = *owner_->impl_;
    rapidjson::StringBuffer b;
    json::Writer w(b);
    w.StartObject();
    json::writeKey(w, "id");
    json::writeString(w, agent.id);
    json::writeKey(w, "type");
    json::writeString(w, agent.type);
    json::writeKey(w, "capabilities");
    w.StartArray();
    for (const auto& c : agent.capabilities) json::writeString(w, c);
    w.EndArray();
    json::writeKey(w, "metadata");
    w.StartObject();
    json::writeKey(w, "name");
    json::writeString(w, agent.name.empty() ? agent.id : agent.name);
    json::writeKey(w, "maxConcurrentTasks");
    w.Uint(agent.maxConcurrentTasks);
    w.EndObject();
    w.EndObject();
    std::optional<std::string> error;
    // On the server's thread: the agents map is the server's state.
    m.ws->execute([&](server::Outbox&, std::int64_t) {
        args::Owner owner = m.nextOwner++;
        m.agents[owner] = WSMultiagent::Impl::LocalAgent{id_, agent.id, std::move(handler), std::move(onMessage)};
        error = errorOf(m.local(owner, id_, args::MessageType::AgentRegister, b.GetString()));
        if (error) m.agents.erase(owner);
    });
    return error;
}

std::variant<std::string, std::string> MultiagentSession::startTask(const std::string& definitionJson) {
    WSMultiagent::Impl& m = *owner_->impl_;
    std::variant<std::string, std::string> answer;
    m.ws->execute([&](server::Outbox& out, std::int64_t now) {
        auto result = m.hub->startTask(id_, definitionJson, now, out);
        if (auto* e = std::get_if<protocol::Error>(&result)) {
            answer.emplace<1>(errorText(*e));
            return;
        }
        json::Document reply;
        reply.Parse(std::get<std::string>(result).c_str());
        answer.emplace<0>(field(reply, "taskId"));
    });
    return answer;
}

std::optional<std::string> MultiagentSession::cancelTask(const std::string& taskId) {
    WSMultiagent::Impl& m = *owner_->impl_;
    std::optional<std::string> error;
    m.ws->execute([&](server::Outbox& out, std::int64_t now) {
        auto result = m.hub->cancelTask(id_, taskId, now, out);
        if (auto* e = std::get_if<protocol::Error>(&result)) error = errorText(*e);
    });
    return error;
}

std::optional<std::string> MultiagentSession::broadcastToSession(const std::string& event, const std::string& dataJson) {
    WSMultiagent::Impl& m = *owner_->impl_;
    std::optional<std::string> error;
    m.ws->execute([&](server::Outbox& out, std::int64_t now) {
        auto result = m.hub->publish(std::string(protocol::kSessionRoomPrefix) + id_, event, dataJson, now, out);
        if (auto* e = std::get_if<protocol::Error>(&result)) error = errorText(*e);
    });
    return error;
}

std::optional<std::string> MultiagentSession::sendToAgent(const std::string& agentId, const std::string& type,
                                                          const std::string& payloadJson) {
    WSMultiagent::Impl& m = *owner_->impl_;
    auto messageType = args::messageTypeFromName(type);
    if (!messageType) return "unknown ARGS type '" + type + "'";
    std::optional<std::string> error;
    m.ws->execute([&](server::Outbox& out, std::int64_t now) {
        auto result = m.hub->sendToAgent(id_, agentId, *messageType, payloadJson, now, out);
        if (auto* e = std::get_if<protocol::Error>(&result)) error = errorText(*e);
    });
    return error;
}

void MultiagentSession::onEvent(SessionObserver observer) {
    WSMultiagent::Impl& m = *owner_->impl_;
    m.ws->execute([&](server::Outbox&, std::int64_t) { m.observers[id_].push_back(std::move(observer)); });
}

}  // namespace brolostack
