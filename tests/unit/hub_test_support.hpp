// A harness that drives one Hub through its inputs with a hand-moved clock
// and a counter for ids, and reads what it sent back. No sockets, no sleeps.
#pragma once

#include "brolostack/config/settings.hpp"
#include "brolostack/json.hpp"
#include "brolostack/server/hub.hpp"
#include "brolostack/store/memory_store.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hubtest {

using brolostack::json::Document;
using brolostack::json::Value;
using brolostack::server::Action;
using brolostack::server::ConnId;
using brolostack::server::Hub;
using brolostack::server::Outbox;
using brolostack::server::UpgradeRequest;

/// Parses server output (which must be valid JSON); a parse failure fails the test.
Document parse(std::string_view text);
/// Compact JSON text of a value, for comparisons and messages.
std::string str(const Value& value);

/// Text frames sent to `conn` in `out`, as text / parsed (binary frames are not JSON).
std::vector<std::string> textsTo(const Outbox& out, ConnId conn);
std::vector<Document> framesTo(const Outbox& out, ConnId conn);
/// Only those frames with this `op` ("message", "presence", "reply", ...).
std::vector<Document> framesTo(const Outbox& out, ConnId conn, std::string_view op);
/// Close codes the hub asked for `conn`, in order.
std::vector<std::uint16_t> closesFor(const Outbox& out, ConnId conn);
/// How many Ping actions for `conn`.
std::size_t pingsFor(const Outbox& out, ConnId conn);

/// Helpers that cannot return what a test needs (no reply, a failed ok())
/// record a failure and throw, which ends that test only.
class HubTest : public ::testing::Test {
protected:
    /// Settings used when the hub is first touched; change them before that.
    brolostack::config::Settings settings;
    std::int64_t now = 1'700'000'000'000;  // the fake clock, in ms
    /// Everything the hub produced through the helpers below, in order.
    Outbox log;
    /// The sid each successful hello() gave a connection.
    std::map<ConnId, std::string> sids;

    /// The hub, created on first use from `settings` at `now`.
    Hub& hub();

    /// Admits and opens a connection (fails the test if refused).
    ConnId connect(const UpgradeRequest& request = {});
    /// Sends `{"op":"hello","ref":N,"v":1,<extra>}` and returns the reply frame.
    Document hello(ConnId conn, const std::string& extraFields = "");
    /// connect() + a successful hello.
    ConnId client(const UpgradeRequest& request = {});

    /// Delivers one text frame; returns what the hub did about it.
    Outbox send(ConnId conn, std::string_view text);
    /// Delivers one binary frame.
    Outbox sendBinary(ConnId conn, std::string_view bytes);
    /// Sends `{"op":<op>,"ref":N,<fields>}` and returns the reply to N (every
    /// action it caused goes to `*actions` when given).
    Document request(ConnId conn, const std::string& op, const std::string& fields, Outbox* actions = nullptr);
    /// request() that must succeed: returns the reply's `data` as text.
    std::string ok(ConnId conn, const std::string& op, const std::string& fields, Outbox* actions = nullptr);
    /// Joins `room` (must succeed); returns the reply's `data`.
    Document join(ConnId conn, const std::string& room, const std::string& extraFields = "",
                  Outbox* actions = nullptr);
    /// Publishes to `room` with `{"n":<n>}` as data; returns the reply frame.
    Document publish(ConnId conn, const std::string& room, int n, const std::string& extraFields = "",
                     Outbox* actions = nullptr);

    /// The store the hub keeps durable state in (a test may look into it).
    brolostack::store::MemoryStore store;
    /// A restart: the hub is dropped without closing anything (as by a
    /// crash) and a new one starts from `store` at `now`. Connection ids
    /// carry on, so old ones stay unknown to the new hub.
    Hub& restart();

    /// Moves the clock and runs the timers.
    Outbox advance(std::int64_t ms);
    /// Tells the hub the connection is gone (the I/O layer's closed()).
    Outbox close(ConnId conn);

    std::uint64_t nextRef() { return ++ref_; }

private:
    std::unique_ptr<Hub> hub_;
    std::uint64_t ids_ = 0;
    ConnId nextConn_ = 1;
    std::uint64_t ref_ = 0;
};

/// `error.code` of a failed reply or error frame ("" when there is none).
std::string errorCode(const Value& frame);

}  // namespace hubtest
