// Harnesses for the ARGS tests. `ArgsTest` drives one args::Coordinator
// directly (owners are plain numbers, time is a hand-moved clock); `HubArgsTest`
// drives a whole Hub through text and binary frames. No sockets, no sleeps.
#pragma once

#include "brolostack/args/coordinator.hpp"
#include "brolostack/args/message.hpp"
#include "brolostack/config/settings.hpp"
#include "brolostack/json.hpp"
#include "brolostack/server/hub.hpp"
#include "brolostack/store/memory_store.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace argstest {

using brolostack::args::Coordinator;
using brolostack::args::CoordinatorSettings;
using brolostack::args::Message;
using brolostack::args::MessageType;
using brolostack::args::Outputs;
using brolostack::args::Owner;
using brolostack::args::Result;
using brolostack::args::Routed;
using brolostack::json::Document;
using brolostack::json::Value;
using brolostack::protocol::Error;
using brolostack::protocol::ErrorCode;
using Route = brolostack::args::Routed::Route;

/// Parses JSON produced by the code under test; a parse failure fails the test.
Document parse(std::string_view text);
/// Compact JSON text of a value.
std::string str(const Value& v);
/// `"a","b"` -> `["a","b"]` helpers for building payloads.
std::string jsonList(const std::vector<std::string>& items);
/// Wire name of an error code ("forbidden", ...).
std::string codeName(ErrorCode code);
/// Wire name of an ARGS type.
std::string typeName(MessageType type);

/// The routed messages of one type, in order.
std::vector<const Routed*> ofType(const Outputs& out, MessageType type);
/// The same, restricted to one route.
std::vector<const Routed*> ofType(const Outputs& out, MessageType type, Route route);
/// A routed message's payload, parsed.
Document payloadOf(const Routed& r);

/// One TASK_ASSIGN as the coordinator routed it.
struct Assign {
    std::string taskId;
    std::string agentId;
    std::string role;
    std::string mode;
    std::uint64_t stage = 0;
    std::uint64_t stages = 0;
    Owner owner = 0;
    Route route = Route::ToAgent;
    std::string inputJson;  // the `input` value as text
    std::string payloadJson;
};
std::vector<Assign> assignments(const Outputs& out);
/// TASK_CANCEL messages sent to agents (not the terminal announcement).
struct AgentCancel {
    std::string taskId;
    std::string agentId;
    std::string reason;
    Owner owner = 0;
    Route route = Route::ToAgent;
};
std::vector<AgentCancel> agentCancels(const Outputs& out);

/// The terminal announcements of one task in `out`: TASK_COMPLETE,
/// TASK_ERROR, or TASK_CANCEL carrying `state` (announced to the session).
std::vector<const Routed*> terminalEvents(const Outputs& out, const std::string& taskId);

class ArgsTest : public ::testing::Test {
protected:
    /// Settings used when the coordinator is first touched.
    CoordinatorSettings settings;
    std::int64_t now = 1'700'000'000'000;
    std::string session = "s1";
    /// Everything the coordinator routed through the helpers, in order.
    Outputs log;
    /// After every test: expectTerminalInvariant(), expectLoadConsistent()
    /// and Session::agentIndexConsistent() on `session`, when it exists.
    bool checkInvariantsAtTearDown = true;

    void TearDown() override;

    Coordinator& coord();

    /// A message of `type` in `session` (or `sessionId`) with this payload.
    Message message(MessageType type, const std::string& payloadJson, const std::string& sessionId = "");
    /// Hands a message to the coordinator; outputs go to `log` and `*out`.
    Result handle(Owner from, const Message& msg, Outputs* out = nullptr);
    Result handle(Owner from, MessageType type, const std::string& payloadJson, Outputs* out = nullptr);
    /// handle() that must succeed; returns the reply data.
    std::string ok(Owner from, MessageType type, const std::string& payloadJson, Outputs* out = nullptr);
    /// handle() that must fail; returns the error.
    Error fails(Owner from, MessageType type, const std::string& payloadJson, Outputs* out = nullptr);

    /// AGENT_REGISTER of {id,type,capabilities,metadata:{maxConcurrentTasks}}; must succeed.
    Outputs registerAgent(Owner owner, const std::string& id, const std::string& type,
                          const std::vector<std::string>& caps = {}, std::uint32_t maxConcurrent = 1);
    /// TASK_START with this definition; must succeed; returns the task id.
    std::string startTask(Owner submitter, const std::string& definitionJson, Outputs* out = nullptr);
    /// TASK_COMPLETE {taskId,agentId,result}; must succeed.
    Outputs complete(Owner owner, const std::string& taskId, const std::string& agentId,
                     const std::string& resultJson = "null");
    /// TASK_PROGRESS {taskId,agentId,progress}; must succeed.
    Outputs progress(Owner owner, const std::string& taskId, const std::string& agentId, double percent);
    /// TASK_ERROR {taskId,agentId,code,message}; must succeed.
    Outputs agentError(Owner owner, const std::string& taskId, const std::string& agentId,
                       const std::string& code = "E_AGENT", const std::string& message = "broke");
    /// TASK_CANCEL {taskId}; returns the result.
    Result cancel(Owner owner, const std::string& taskId, Outputs* out = nullptr);
    /// Moves the clock by `ms` and runs the timers.
    Outputs advance(std::int64_t ms, std::vector<std::string>* closed = nullptr);
    /// The owner's connection closed.
    Outputs gone(Owner owner);

    const brolostack::args::Session& state();
    const brolostack::args::AgentState& agent(const std::string& id);
    const brolostack::args::Task& task(const std::string& id);
    Document snapshot();
    /// The one task of the snapshot with this id (fails the test if absent).
    Document snapshotTask(const std::string& id);

    /// Exactly one terminal announcement for `taskId` in the whole log, of
    /// this type and state; returns its payload.
    Document expectOneTerminal(const std::string& taskId, MessageType type, const std::string& state);
    /// Every task of the session has exactly one terminal event when
    /// finished, none while unfinished.
    void expectTerminalInvariant();
    /// No agent of the session holds more tasks than it may, and the load
    /// the coordinator keeps equals the stages it has running.
    void expectLoadConsistent();
    /// Session::assignableConsistent() on `session`, when it exists; after
    /// every handle(), advance() and gone().
    void expectAssignableConsistent();

private:
    std::unique_ptr<Coordinator> coord_;
    std::uint64_t ids_ = 0;
};

// ---------------------------------------------------------------------------
// Hub harness

using brolostack::server::Action;
using brolostack::server::ConnId;
using brolostack::server::Hub;
using brolostack::server::Outbox;

/// Text frames sent to `conn` in `out`, parsed; optionally only one `op`.
std::vector<Document> framesTo(const Outbox& out, ConnId conn, std::string_view op = "");
/// Binary frames sent to `conn`.
std::vector<std::string> binariesTo(const Outbox& out, ConnId conn);
/// `{"op":"args"}` frames to `conn` whose msg.type is `type`.
std::vector<Document> argsTo(const Outbox& out, ConnId conn, std::string_view type);
/// `error.code` of a reply/error frame, "" when none.
std::string errorCode(const Value& frame);

class HubArgsTest : public ::testing::Test {
protected:
    brolostack::config::Settings settings;
    std::int64_t now = 1'700'000'000'000;
    Outbox log;

    Hub& hub();
    /// Where the hub keeps what survives a restart.
    brolostack::store::MemoryStore store;
    /// A crash and a restart from `store`: the hub is dropped without
    /// closing anything; connection ids carry on.
    Hub& restart();
    /// Admits, opens and says hello; returns the connection id.
    ConnId client();
    Outbox send(ConnId conn, std::string_view text);
    Outbox sendBinary(ConnId conn, std::string_view bytes);
    Outbox close(ConnId conn);
    Outbox advance(std::int64_t ms);
    /// Sends `{"op":<op>,"ref":N,<fields>}`; returns the reply to N.
    Document request(ConnId conn, const std::string& op, const std::string& fields, Outbox* actions = nullptr);
    /// A `send` shortcut with a ref; returns the reply.
    Document sendEvent(ConnId conn, const std::string& event, const std::string& dataJson, Outbox* actions = nullptr);
    /// An `args` frame with a ref carrying argsMessage(...); returns the reply.
    Document args(ConnId conn, MessageType type, const std::string& sessionId, const std::string& payloadJson,
                  Outbox* actions = nullptr, const std::string& metadataJson = "");
    /// The text of an ARGS message object.
    std::string argsMessage(MessageType type, const std::string& sessionId, const std::string& payloadJson,
                            const std::string& metadataJson = "");
    std::uint64_t nextRef() { return ++ref_; }

private:
    std::unique_ptr<Hub> hub_;
    std::uint64_t ids_ = 0;
    ConnId nextConn_ = 1;
    std::uint64_t ref_ = 0;
};

}  // namespace argstest
