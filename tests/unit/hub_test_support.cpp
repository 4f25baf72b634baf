#include "hub_test_support.hpp"

#include <cstdio>
#include <stdexcept>
#include <type_traits>

namespace hubtest {

Document parse(std::string_view text) {
    Document doc;
    doc.Parse(text.data(), text.size());
    EXPECT_FALSE(doc.HasParseError()) << "server sent invalid JSON: " << text;
    EXPECT_TRUE(doc.IsObject()) << "server sent a non-object: " << text;
    return doc;
}

std::string str(const Value& value) { return brolostack::json::toString(value); }

std::vector<std::string> textsTo(const Outbox& out, ConnId conn) {
    std::vector<std::string> texts;
    for (const auto& a : out)
        if (a.sendsTo(conn) && !a.binary) texts.push_back(*a.frame);
    return texts;
}

std::vector<Document> framesTo(const Outbox& out, ConnId conn) {
    std::vector<Document> frames;
    for (const auto& text : textsTo(out, conn)) frames.push_back(parse(text));
    return frames;
}

std::vector<Document> framesTo(const Outbox& out, ConnId conn, std::string_view op) {
    std::vector<Document> frames;
    for (auto& f : framesTo(out, conn))
        if (f.HasMember("op") && f["op"].IsString() && f["op"].GetString() == op) frames.push_back(std::move(f));
    return frames;
}

std::vector<std::uint16_t> closesFor(const Outbox& out, ConnId conn) {
    std::vector<std::uint16_t> codes;
    for (const auto& a : out)
        if (a.kind == Action::Kind::Close && a.conn == conn) codes.push_back(a.code);
    return codes;
}

std::size_t pingsFor(const Outbox& out, ConnId conn) {
    std::size_t n = 0;
    for (const auto& a : out) n += a.kind == Action::Kind::Ping && a.conn == conn;
    return n;
}

std::string errorCode(const Value& frame) {
    if (!frame.IsObject() || !frame.HasMember("error") || !frame["error"].IsObject()) return "";
    const Value& e = frame["error"];
    return e.HasMember("code") && e["code"].IsString() ? e["code"].GetString() : "";
}

Hub& HubTest::hub() {
    if (!hub_) {
        hub_ = std::make_unique<Hub>(
            settings,
            [this] {
                char buf[17];
                std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(++ids_));
                return std::string(buf);
            },
            now, std::nullopt, &store);
    }
    return *hub_;
}

Hub& HubTest::restart() {
    hub_.reset();
    sids.clear();
    return hub();
}

ConnId HubTest::connect(const UpgradeRequest& request) {
    auto admission = hub().admit(request, now);
    EXPECT_TRUE(admission.admitted()) << "refused with " << admission.status << ": " << admission.reason;
    ConnId conn = nextConn_++;
    hub().open(conn, request, now);
    return conn;
}

Document HubTest::hello(ConnId conn, const std::string& extraFields) {
    std::uint64_t ref = nextRef();
    std::string text = "{\"op\":\"hello\",\"ref\":" + std::to_string(ref) + ",\"v\":1" +
                       (extraFields.empty() ? "" : "," + extraFields) + "}";
    Outbox out = send(conn, text);
    for (auto& f : framesTo(out, conn, "reply"))
        if (f["ref"].GetUint64() == ref) {
            if (f["ok"].IsTrue()) sids[conn] = f["data"]["sid"].GetString();
            return std::move(f);
        }
    ADD_FAILURE() << "no reply to hello " << text;
    throw std::runtime_error("test stopped: no reply to hello");
}

ConnId HubTest::client(const UpgradeRequest& request) {
    ConnId conn = connect(request);
    Document reply = hello(conn);
    EXPECT_TRUE(reply.HasMember("ok") && reply["ok"].IsTrue()) << str(reply);
    return conn;
}

Outbox HubTest::send(ConnId conn, std::string_view text) {
    Outbox out;
    hub().receiveText(conn, text, now, out);
    log.insert(log.end(), out.begin(), out.end());
    return out;
}

namespace {
// Hub::receiveBinary takes the frame's bytes (or, in older builds, its size).
template <class H>
void deliverBinary(H& hub, ConnId conn, std::string_view bytes, std::int64_t now, Outbox& out) {
    if constexpr (std::is_invocable_v<decltype(&H::receiveBinary), H&, ConnId, std::string_view, std::int64_t, Outbox&>)
        hub.receiveBinary(conn, bytes, now, out);
    else
        hub.receiveBinary(conn, bytes.size(), now, out);
}
}  // namespace

Outbox HubTest::sendBinary(ConnId conn, std::string_view bytes) {
    Outbox out;
    deliverBinary(hub(), conn, bytes, now, out);
    log.insert(log.end(), out.begin(), out.end());
    return out;
}

Document HubTest::request(ConnId conn, const std::string& op, const std::string& fields, Outbox* actions) {
    std::uint64_t ref = nextRef();
    std::string text = "{\"op\":\"" + op + "\",\"ref\":" + std::to_string(ref) + (fields.empty() ? "" : ",") +
                       fields + "}";
    Outbox out = send(conn, text);
    if (actions) *actions = out;
    for (auto& f : framesTo(out, conn, "reply"))
        if (f["ref"].GetUint64() == ref) return std::move(f);
    ADD_FAILURE() << "no reply to " << text;
    throw std::runtime_error("test stopped: no reply to " + text);
}

std::string HubTest::ok(ConnId conn, const std::string& op, const std::string& fields, Outbox* actions) {
    Document r = request(conn, op, fields, actions);
    if (!r.HasMember("ok") || !r["ok"].IsTrue() || !r.HasMember("data")) {
        ADD_FAILURE() << op << " failed: " << str(r);
        throw std::runtime_error("test stopped: " + op + " failed");
    }
    return str(r["data"]);
}

Document HubTest::join(ConnId conn, const std::string& room, const std::string& extraFields, Outbox* actions) {
    return parse(ok(conn, "join", "\"room\":\"" + room + "\"" + (extraFields.empty() ? "" : "," + extraFields),
                    actions));
}

Document HubTest::publish(ConnId conn, const std::string& room, int n, const std::string& extraFields,
                          Outbox* actions) {
    return request(conn, "publish",
                   "\"room\":\"" + room + "\",\"event\":\"message\",\"data\":{\"n\":" + std::to_string(n) + "}" +
                       (extraFields.empty() ? "" : "," + extraFields),
                   actions);
}

Outbox HubTest::advance(std::int64_t ms) {
    now += ms;
    Outbox out;
    hub().tick(now, out);
    log.insert(log.end(), out.begin(), out.end());
    return out;
}

Outbox HubTest::close(ConnId conn) {
    Outbox out;
    hub().closed(conn, now, out);
    log.insert(log.end(), out.begin(), out.end());
    return out;
}

}  // namespace hubtest
