// Hub: `send` events for the backend (PROTOCOL.md section 9). The core
// builds the call and maps the answer; the I/O layer does the HTTP.
#include "brolostack/json.hpp"
#include "brolostack/server/hub.hpp"

namespace brolostack::server {

using protocol::Error;
using protocol::ErrorCode;

namespace {

Error unavailable(std::string message) {
    Error e;
    e.code = ErrorCode::Unavailable;
    e.message = std::move(message);
    return e;
}

}  // namespace

void Hub::callWebhook(Connection& c, const protocol::SendFrame& f, std::int64_t now, Outbox& out) {
    if (pendingWebhooks_ >= settings_.maxPendingWebhooks) {
        fail(c, f.ref, "send", unavailable("the backend is busy"), now, out);
        return;
    }
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    json::writeKey(w, "event");
    json::writeString(w, f.event);
    json::writeKey(w, "data");
    json::writeRaw(w, f.dataJson);
    json::writeKey(w, "sid");
    json::writeString(w, c.sid);
    json::writeKey(w, "user");
    if (c.identity) json::writeString(w, c.identity->userId);
    else w.Null();
    if (f.mid) {
        json::writeKey(w, "mid");
        json::writeString(w, *f.mid);
    }
    w.EndObject();
    ++pendingWebhooks_;
    Action call;
    call.kind = Action::Kind::Webhook;
    call.conn = c.id;
    call.ref = f.ref;
    call.frame = std::make_shared<const std::string>(buffer.GetString(), buffer.GetSize());
    out.push_back(std::move(call));
}

void Hub::webhookAnswered(ConnId conn, std::uint64_t ref, int status, std::string_view body, std::int64_t now,
                          Outbox& out) {
    if (pendingWebhooks_ > 0) --pendingWebhooks_;
    Connection* c = find(conn);
    if (!c || c->closing) return;
    json::Document doc;
    bool isJson = json::parseStrict(body, doc, settings_.maxMessageBytes, settings_.maxJsonDepth, false).ok();
    if (status >= 200 && status < 300) {
        if (!isJson) {
            fail(*c, ref, "send", unavailable("the backend answered with something that is not JSON"), now, out);
            return;
        }
        reply(*c, ref, json::toString(doc), out);
        return;
    }
    if (status == 0) {
        fail(*c, ref, "send", unavailable("the backend did not answer"), now, out);
        return;
    }
    // A backend error of the documented shape is passed on as it is.
    if (isJson && doc.IsObject() && doc.HasMember("error") && doc["error"].IsObject()) {
        const auto& e = doc["error"];
        auto code = e.HasMember("code") && e["code"].IsString() ? protocol::errorCodeFromName(e["code"].GetString())
                                                                : std::nullopt;
        if (code && e.HasMember("message") && e["message"].IsString()) {
            Error passed;
            passed.code = *code;
            passed.message = e["message"].GetString();
            fail(*c, ref, "send", std::move(passed), now, out);
            return;
        }
    }
    fail(*c, ref, "send", unavailable("the backend answered HTTP " + std::to_string(status)), now, out);
}

}  // namespace brolostack::server
