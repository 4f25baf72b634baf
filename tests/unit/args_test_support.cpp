#include "args_test_support.hpp"

#include "brolostack/protocol/codes.hpp"

#include <cstdio>
#include <stdexcept>

namespace argstest {

namespace args = brolostack::args;

Document parse(std::string_view text) {
    Document doc;
    doc.Parse(text.data(), text.size());
    EXPECT_FALSE(doc.HasParseError()) << "invalid JSON: " << text;
    return doc;
}

std::string str(const Value& v) { return brolostack::json::toString(v); }

std::string jsonList(const std::vector<std::string>& items) {
    std::string s = "[";
    for (std::size_t i = 0; i < items.size(); ++i) s += (i ? ",\"" : "\"") + items[i] + "\"";
    return s + "]";
}

std::string codeName(ErrorCode code) { return std::string(brolostack::protocol::errorCodeName(code)); }
std::string typeName(MessageType type) { return std::string(args::messageTypeName(type)); }

std::vector<const Routed*> ofType(const Outputs& out, MessageType type) {
    std::vector<const Routed*> found;
    for (const auto& r : out)
        if (r.msg.type == type) found.push_back(&r);
    return found;
}

std::vector<const Routed*> ofType(const Outputs& out, MessageType type, Route route) {
    std::vector<const Routed*> found;
    for (const auto& r : out)
        if (r.msg.type == type && r.route == route) found.push_back(&r);
    return found;
}

Document payloadOf(const Routed& r) { return parse(r.msg.payloadJson); }

namespace {
std::string member(const Value& obj, const char* name) {
    if (!obj.IsObject() || !obj.HasMember(name)) return "";
    const Value& v = obj[name];
    return v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : str(v);
}
}  // namespace

std::vector<Assign> assignments(const Outputs& out) {
    std::vector<Assign> found;
    for (const auto* r : ofType(out, MessageType::TaskAssign)) {
        Document p = payloadOf(*r);
        Assign a;
        a.taskId = member(p, "taskId");
        a.agentId = member(p, "agentId");
        a.role = member(p, "role");
        a.mode = member(p, "mode");
        a.stage = p.HasMember("stage") && p["stage"].IsUint64() ? p["stage"].GetUint64() : 999;
        a.stages = p.HasMember("stages") && p["stages"].IsUint64() ? p["stages"].GetUint64() : 999;
        a.inputJson = p.HasMember("input") ? str(p["input"]) : "<none>";
        a.owner = r->owner;
        a.route = r->route;
        a.payloadJson = r->msg.payloadJson;
        EXPECT_EQ(r->msg.agentId.value_or(""), a.agentId) << "TASK_ASSIGN envelope agentId";
        found.push_back(a);
    }
    return found;
}

std::vector<AgentCancel> agentCancels(const Outputs& out) {
    std::vector<AgentCancel> found;
    for (const auto* r : ofType(out, MessageType::TaskCancel)) {
        Document p = payloadOf(*r);
        if (p.HasMember("state")) continue;  // the terminal announcement
        found.push_back({member(p, "taskId"), member(p, "agentId"), member(p, "reason"), r->owner, r->route});
    }
    return found;
}

std::vector<const Routed*> terminalEvents(const Outputs& out, const std::string& taskId) {
    std::vector<const Routed*> found;
    for (const auto& r : out) {
        if (r.msg.type != MessageType::TaskComplete && r.msg.type != MessageType::TaskError &&
            r.msg.type != MessageType::TaskCancel)
            continue;
        Document p = parse(r.msg.payloadJson);
        if (!p.IsObject() || member(p, "taskId") != taskId) continue;
        if (r.msg.type == MessageType::TaskCancel && !p.HasMember("state")) continue;  // to one agent
        EXPECT_EQ(r.route, Route::Announce) << "terminal event not announced: " << r.msg.payloadJson;
        found.push_back(&r);
    }
    return found;
}

// ---------------------------------------------------------------------------
// ArgsTest

Coordinator& ArgsTest::coord() {
    if (!coord_)
        coord_ = std::make_unique<Coordinator>(settings, [this] {
            char buf[24];
            std::snprintf(buf, sizeof buf, "id%06llu", static_cast<unsigned long long>(++ids_));
            return std::string(buf);
        });
    return *coord_;
}

void ArgsTest::TearDown() {
    if (!checkInvariantsAtTearDown || !coord_ || !coord_->findSession(session)) return;
    expectTerminalInvariant();
    expectLoadConsistent();
    EXPECT_TRUE(state().agentIndexConsistent()) << "the session's index of agents that can take work is out of step";
}

void ArgsTest::expectAssignableConsistent() {
    if (!coord_) return;
    const args::Session* s = coord_->findSession(session);
    if (s) {
        EXPECT_TRUE(s->assignableConsistent()) << "the session's tasks waiting for an agent are out of step, now " << now;
    }
}

Message ArgsTest::message(MessageType type, const std::string& payloadJson, const std::string& sessionId) {
    Message m;
    m.id = "m" + std::to_string(++ids_);
    m.type = type;
    m.timestamp = now;
    m.sessionId = sessionId.empty() ? session : sessionId;
    m.payloadJson = payloadJson;
    return m;
}

Result ArgsTest::handle(Owner from, const Message& msg, Outputs* out) {
    Outputs produced;
    Result r = coord().handle(from, msg, now, produced);
    expectAssignableConsistent();
    log.insert(log.end(), produced.begin(), produced.end());
    if (out) *out = std::move(produced);
    return r;
}

Result ArgsTest::handle(Owner from, MessageType type, const std::string& payloadJson, Outputs* out) {
    return handle(from, message(type, payloadJson), out);
}

std::string ArgsTest::ok(Owner from, MessageType type, const std::string& payloadJson, Outputs* out) {
    Result r = handle(from, type, payloadJson, out);
    if (auto* e = std::get_if<Error>(&r)) {
        ADD_FAILURE() << typeName(type) << " " << payloadJson << " failed: " << codeName(e->code) << " "
                      << e->message;
        throw std::runtime_error("test stopped: " + typeName(type) + " failed");
    }
    return std::get<std::string>(r);
}

Error ArgsTest::fails(Owner from, MessageType type, const std::string& payloadJson, Outputs* out) {
    Result r = handle(from, type, payloadJson, out);
    if (auto* e = std::get_if<Error>(&r)) return *e;
    ADD_FAILURE() << typeName(type) << " " << payloadJson << " succeeded: " << std::get<std::string>(r);
    throw std::runtime_error("test stopped: " + typeName(type) + " succeeded");
}

Outputs ArgsTest::registerAgent(Owner owner, const std::string& id, const std::string& type,
                                const std::vector<std::string>& caps, std::uint32_t maxConcurrent) {
    Outputs out;
    ok(owner, MessageType::AgentRegister,
       "{\"id\":\"" + id + "\",\"type\":\"" + type + "\",\"capabilities\":" + jsonList(caps) +
           ",\"metadata\":{\"maxConcurrentTasks\":" + std::to_string(maxConcurrent) + "}}",
       &out);
    return out;
}

std::string ArgsTest::startTask(Owner submitter, const std::string& definitionJson, Outputs* out) {
    Document reply = parse(ok(submitter, MessageType::TaskStart, definitionJson, out));
    EXPECT_TRUE(reply.HasMember("taskId") && reply["taskId"].IsString()) << str(reply);
    EXPECT_EQ(member(reply, "state"), "queued");
    return member(reply, "taskId");
}

Outputs ArgsTest::complete(Owner owner, const std::string& taskId, const std::string& agentId,
                           const std::string& resultJson) {
    Outputs out;
    ok(owner, MessageType::TaskComplete,
       "{\"taskId\":\"" + taskId + "\",\"agentId\":\"" + agentId + "\",\"result\":" + resultJson + "}", &out);
    return out;
}

Outputs ArgsTest::progress(Owner owner, const std::string& taskId, const std::string& agentId, double percent) {
    Outputs out;
    ok(owner, MessageType::TaskProgress,
       "{\"taskId\":\"" + taskId + "\",\"agentId\":\"" + agentId + "\",\"status\":\"running\",\"progress\":" +
           std::to_string(percent) + "}",
       &out);
    return out;
}

Outputs ArgsTest::agentError(Owner owner, const std::string& taskId, const std::string& agentId,
                             const std::string& code, const std::string& message) {
    Outputs out;
    ok(owner, MessageType::TaskError,
       "{\"taskId\":\"" + taskId + "\",\"agentId\":\"" + agentId + "\",\"code\":\"" + code + "\",\"message\":\"" +
           message + "\"}",
       &out);
    return out;
}

Result ArgsTest::cancel(Owner owner, const std::string& taskId, Outputs* out) {
    return handle(owner, MessageType::TaskCancel, "{\"taskId\":\"" + taskId + "\"}", out);
}

Outputs ArgsTest::advance(std::int64_t ms, std::vector<std::string>* closed) {
    now += ms;
    Outputs out;
    coord().tick(now, out, closed);
    expectAssignableConsistent();
    log.insert(log.end(), out.begin(), out.end());
    return out;
}

Outputs ArgsTest::gone(Owner owner) {
    Outputs out;
    coord().ownerGone(owner, now, out);
    expectAssignableConsistent();
    log.insert(log.end(), out.begin(), out.end());
    return out;
}

const args::Session& ArgsTest::state() {
    const args::Session* s = coord().findSession(session);
    if (!s) {
        ADD_FAILURE() << "no session " << session;
        throw std::runtime_error("test stopped: no session");
    }
    return *s;
}

const args::AgentState& ArgsTest::agent(const std::string& id) {
    const auto& agents = state().agents;
    auto it = agents.find(id);
    if (it == agents.end()) {
        ADD_FAILURE() << "no agent " << id;
        throw std::runtime_error("test stopped: no agent " + id);
    }
    return it->second;
}

const args::Task& ArgsTest::task(const std::string& id) {
    const auto& tasks = state().tasks;
    auto it = tasks.find(id);
    if (it == tasks.end()) {
        ADD_FAILURE() << "no task " << id;
        throw std::runtime_error("test stopped: no task " + id);
    }
    return it->second;
}

Document ArgsTest::snapshot() {
    auto s = coord().snapshotJson(session);
    if (!s) {
        ADD_FAILURE() << "no snapshot of " << session;
        throw std::runtime_error("test stopped: no snapshot");
    }
    return parse(*s);
}

Document ArgsTest::snapshotTask(const std::string& id) {
    Document snap = snapshot();
    for (const auto& t : snap["tasks"].GetArray())
        if (member(t, "id") == id) {
            Document copy;
            copy.CopyFrom(t, copy.GetAllocator());
            return copy;
        }
    ADD_FAILURE() << "task " << id << " not in snapshot " << str(snap);
    throw std::runtime_error("test stopped: task not in snapshot");
}

Document ArgsTest::expectOneTerminal(const std::string& taskId, MessageType type, const std::string& state) {
    auto events = terminalEvents(log, taskId);
    EXPECT_EQ(events.size(), 1u) << "terminal events of " << taskId;
    if (events.empty()) return parse("{}");
    EXPECT_EQ(typeName(events[0]->msg.type), typeName(type)) << events[0]->msg.payloadJson;
    Document p = payloadOf(*events[0]);
    EXPECT_EQ(member(p, "state"), state) << events[0]->msg.payloadJson;
    EXPECT_EQ(events[0]->msg.sessionId, session);
    return p;
}

void ArgsTest::expectTerminalInvariant() {
    for (const auto& [id, t] : state().tasks) {
        auto events = terminalEvents(log, id);
        EXPECT_EQ(events.size(), t.finished() ? 1u : 0u) << "task " << id << " state "
                                                         << args::taskStateName(t.state);
    }
}

void ArgsTest::expectLoadConsistent() {
    std::map<std::string, std::uint32_t> running;
    for (const auto& [id, t] : state().tasks)
        for (const auto& st : t.stages)
            if (st.state == args::StageState::Running) ++running[st.agentId];
    for (const auto& [id, a] : state().agents) {
        EXPECT_LE(a.currentTasks, a.info.maxConcurrentTasks) << "agent " << id << " over capacity";
        EXPECT_EQ(a.currentTasks, running[id]) << "agent " << id << " load differs from its running stages";
    }
}

// ---------------------------------------------------------------------------
// Hub harness

std::vector<Document> framesTo(const Outbox& out, ConnId conn, std::string_view op) {
    std::vector<Document> frames;
    for (const auto& a : out) {
        if (!a.sendsTo(conn) || a.binary) continue;
        Document d = parse(*a.frame);
        if (!op.empty() && !(d.IsObject() && d.HasMember("op") && d["op"].IsString() && d["op"].GetString() == op))
            continue;
        frames.push_back(std::move(d));
    }
    return frames;
}

std::vector<std::string> binariesTo(const Outbox& out, ConnId conn) {
    std::vector<std::string> frames;
    for (const auto& a : out)
        if (a.sendsTo(conn) && a.binary) frames.push_back(*a.frame);
    return frames;
}

std::vector<Document> argsTo(const Outbox& out, ConnId conn, std::string_view type) {
    std::vector<Document> found;
    for (auto& f : framesTo(out, conn, "args"))
        if (f.HasMember("msg") && f["msg"].IsObject() && member(f["msg"], "type") == type) found.push_back(std::move(f));
    return found;
}

std::string errorCode(const Value& frame) {
    if (!frame.IsObject() || !frame.HasMember("error") || !frame["error"].IsObject()) return "";
    return member(frame["error"], "code");
}

Hub& HubArgsTest::hub() {
    if (!hub_)
        hub_ = std::make_unique<Hub>(
            settings,
            [this] {
                char buf[24];
                std::snprintf(buf, sizeof buf, "h%07llx", static_cast<unsigned long long>(++ids_));
                return std::string(buf);
            },
            now, std::nullopt, &store);
    return *hub_;
}

Hub& HubArgsTest::restart() {
    hub_.reset();
    return hub();
}

ConnId HubArgsTest::client() {
    brolostack::server::UpgradeRequest upgrade;
    upgrade.remoteAddress = "127.0.0.1";
    auto admission = hub().admit(upgrade, now);
    EXPECT_TRUE(admission.admitted()) << admission.status << " " << admission.reason;
    ConnId conn = nextConn_++;
    hub().open(conn, upgrade, now);
    Document reply = request(conn, "hello", "\"v\":1");
    EXPECT_TRUE(reply.HasMember("ok") && reply["ok"].IsTrue()) << str(reply);
    return conn;
}

Outbox HubArgsTest::send(ConnId conn, std::string_view text) {
    Outbox out;
    hub().receiveText(conn, text, now, out);
    log.insert(log.end(), out.begin(), out.end());
    return out;
}

Outbox HubArgsTest::sendBinary(ConnId conn, std::string_view bytes) {
    Outbox out;
    hub().receiveBinary(conn, bytes, now, out);
    log.insert(log.end(), out.begin(), out.end());
    return out;
}

Outbox HubArgsTest::close(ConnId conn) {
    Outbox out;
    hub().closed(conn, now, out);
    log.insert(log.end(), out.begin(), out.end());
    return out;
}

Outbox HubArgsTest::advance(std::int64_t ms) {
    now += ms;
    Outbox out;
    hub().tick(now, out);
    log.insert(log.end(), out.begin(), out.end());
    return out;
}

Document HubArgsTest::request(ConnId conn, const std::string& op, const std::string& fields, Outbox* actions) {
    std::uint64_t ref = nextRef();
    std::string text =
        "{\"op\":\"" + op + "\",\"ref\":" + std::to_string(ref) + (fields.empty() ? "" : ",") + fields + "}";
    Outbox out = send(conn, text);
    if (actions) *actions = out;
    for (auto& f : framesTo(out, conn, "reply"))
        if (f.HasMember("ref") && f["ref"].IsUint64() && f["ref"].GetUint64() == ref) return std::move(f);
    ADD_FAILURE() << "no reply to " << text;
    throw std::runtime_error("test stopped: no reply to " + text);
}

Document HubArgsTest::sendEvent(ConnId conn, const std::string& event, const std::string& dataJson,
                                Outbox* actions) {
    return request(conn, "send", "\"event\":\"" + event + "\",\"data\":" + dataJson, actions);
}

std::string HubArgsTest::argsMessage(MessageType type, const std::string& sessionId, const std::string& payloadJson,
                                     const std::string& metadataJson) {
    return "{\"id\":\"cm" + std::to_string(++ids_) + "\",\"type\":\"" + typeName(type) +
           "\",\"timestamp\":" + std::to_string(now) + ",\"sessionId\":\"" + sessionId + "\",\"payload\":" +
           payloadJson + (metadataJson.empty() ? "" : ",\"metadata\":" + metadataJson) + "}";
}

Document HubArgsTest::args(ConnId conn, MessageType type, const std::string& sessionId, const std::string& payloadJson,
                           Outbox* actions, const std::string& metadataJson) {
    return request(conn, "args", "\"msg\":" + argsMessage(type, sessionId, payloadJson, metadataJson), actions);
}

}  // namespace argstest
