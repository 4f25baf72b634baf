#include "brolostack/server/node_messages.hpp"

#include "brolostack/json.hpp"
#include "brolostack/server/base64url.hpp"

#include <array>
#include <utility>

namespace brolostack::server {

namespace {

constexpr std::array<std::pair<std::string_view, NodeMessage::Kind>, 4> kKinds{{
    {"ask", NodeMessage::Kind::Ask},
    {"answer", NodeMessage::Kind::Answer},
    {"push", NodeMessage::Kind::Push},
    {"gone", NodeMessage::Kind::Gone},
}};

std::string_view kindName(NodeMessage::Kind kind) {
    for (const auto& [name, k] : kKinds)
        if (k == kind) return name;
    return "";
}

std::optional<std::string> stringOf(const json::Value& object, const char* key) {
    auto it = object.FindMember(key);
    if (it == object.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::optional<std::uint64_t> numberOf(const json::Value& object, const char* key) {
    auto it = object.FindMember(key);
    if (it == object.MemberEnd() || !it->value.IsUint64()) return std::nullopt;
    return it->value.GetUint64();
}

/// The member's JSON text; none when it is missing or not an object.
std::optional<std::string> objectOf(const json::Value& object, const char* key) {
    auto it = object.FindMember(key);
    if (it == object.MemberEnd() || !it->value.IsObject()) return std::nullopt;
    return json::toString(it->value);
}

bool parseObject(std::string_view text, json::Document& doc) {
    // Other nodes wrote it, within the limits they apply to clients.
    doc.Parse(text.data(), text.size());
    return !doc.HasParseError() && doc.IsObject();
}

}  // namespace

std::string encodeNodeMessage(const NodeMessage& m) {
    return json::object([&](json::Writer& w) {
        json::writeKey(w, "kind");
        json::writeString(w, kindName(m.kind));
        json::writeKey(w, "from");
        json::writeString(w, m.from);
        if (m.ask != 0) {
            json::writeKey(w, "ask");
            w.Uint64(m.ask);
        }
        if (m.kind != NodeMessage::Kind::Answer) {
            json::writeKey(w, "conn");
            w.Uint64(m.conn);
        }
        if (m.kind == NodeMessage::Kind::Ask || m.kind == NodeMessage::Kind::Push) {
            json::writeKey(w, "msg");
            json::writeRaw(w, m.msgJson);
        }
        if (m.kind == NodeMessage::Kind::Ask && !m.request.empty()) {
            json::writeKey(w, "request");
            json::writeString(w, m.request);
        }
        if (m.kind == NodeMessage::Kind::Answer && m.notLeader) {
            json::writeKey(w, "notLeader");
            w.Bool(true);
        } else if (m.kind == NodeMessage::Kind::Answer && m.error) {
            json::writeKey(w, "error");
            w.StartObject();
            json::writeKey(w, "code");
            json::writeString(w, protocol::errorCodeName(m.error->code));
            json::writeKey(w, "message");
            json::writeString(w, m.error->message);
            json::writeKey(w, "details");
            json::writeRaw(w, m.error->detailsJson);
            w.EndObject();
        } else if (m.kind == NodeMessage::Kind::Answer) {
            json::writeKey(w, "data");
            w.RawValue(m.data.data(), m.data.size(), rapidjson::kObjectType);
        }
    });
}

std::optional<NodeMessage> decodeNodeMessage(std::string_view text) {
    json::Document doc;
    if (!parseObject(text, doc)) return std::nullopt;
    NodeMessage m;
    auto kind = stringOf(doc, "kind");
    auto from = stringOf(doc, "from");
    if (!kind || !from || from->empty()) return std::nullopt;
    bool known = false;
    for (const auto& [name, k] : kKinds)
        if (name == *kind) {
            m.kind = k;
            known = true;
        }
    if (!known) return std::nullopt;
    m.from = std::move(*from);
    m.ask = numberOf(doc, "ask").value_or(0);
    if (m.kind == NodeMessage::Kind::Answer) {
        if (m.ask == 0) return std::nullopt;
        if (auto notLeader = doc.FindMember("notLeader"); notLeader != doc.MemberEnd() && notLeader->value.IsTrue()) {
            m.notLeader = true;
            return m;
        }
        if (auto error = doc.FindMember("error"); error != doc.MemberEnd() && error->value.IsObject()) {
            auto code = stringOf(error->value, "code");
            auto message = stringOf(error->value, "message");
            auto wireCode = code ? protocol::errorCodeFromName(*code) : std::nullopt;
            if (!wireCode || !message) return std::nullopt;
            protocol::Error e = protocol::makeError(*wireCode, std::move(*message));
            if (auto details = objectOf(error->value, "details")) e.detailsJson = std::move(*details);
            m.error = std::move(e);
            return m;
        }
        auto data = doc.FindMember("data");
        if (data == doc.MemberEnd()) return std::nullopt;
        m.data = json::toString(data->value);
        return m;
    }
    auto conn = numberOf(doc, "conn");
    if (!conn) return std::nullopt;
    m.conn = *conn;
    if (m.kind == NodeMessage::Kind::Ask || m.kind == NodeMessage::Kind::Push) {
        auto msg = objectOf(doc, "msg");
        if (!msg) return std::nullopt;
        m.msgJson = std::move(*msg);
    }
    if (m.kind == NodeMessage::Kind::Ask) m.request = stringOf(doc, "request").value_or("");
    return m;
}

std::string encodeSessionEvent(const SessionEvent& e) {
    return json::object([&](json::Writer& w) {
        json::writeKey(w, "from");
        json::writeString(w, e.from);
        json::writeKey(w, "session");
        json::writeString(w, e.session);
        if (e.rebuilt) {
            json::writeKey(w, "rebuilt");
            w.Bool(true);
            return;
        }
        if (!e.binary.empty()) {
            json::writeKey(w, "binary");
            json::writeString(w, base64UrlEncode(e.binary));
            json::writeKey(w, "skip");
            json::writeString(w, e.skip);
            json::writeKey(w, "droppable");
            w.Bool(e.droppable);
            return;
        }
        json::writeKey(w, "announce");
        w.Bool(e.announce);
        if (!e.announce) {
            json::writeKey(w, "skip");
            json::writeString(w, e.skip);
            json::writeKey(w, "droppable");
            w.Bool(e.droppable);
        }
        json::writeKey(w, "msg");
        json::writeRaw(w, e.msgJson);
    });
}

std::optional<SessionEvent> decodeSessionEvent(std::string_view text) {
    json::Document doc;
    if (!parseObject(text, doc)) return std::nullopt;
    SessionEvent e;
    auto from = stringOf(doc, "from");
    auto session = stringOf(doc, "session");
    if (!from || !session) return std::nullopt;
    e.from = std::move(*from);
    e.session = std::move(*session);
    if (auto rebuilt = doc.FindMember("rebuilt"); rebuilt != doc.MemberEnd() && rebuilt->value.IsTrue()) {
        e.rebuilt = true;
        return e;
    }
    if (auto binary = stringOf(doc, "binary")) {
        auto bytes = base64UrlDecode(*binary);
        if (!bytes || bytes->empty()) return std::nullopt;
        e.binary = std::move(*bytes);
        e.announce = false;
        e.skip = stringOf(doc, "skip").value_or("");
        auto droppable = doc.FindMember("droppable");
        e.droppable = droppable != doc.MemberEnd() && droppable->value.IsTrue();
        return e;
    }
    auto msg = objectOf(doc, "msg");
    auto announce = doc.FindMember("announce");
    if (!msg || announce == doc.MemberEnd() || !announce->value.IsBool()) return std::nullopt;
    e.msgJson = std::move(*msg);
    e.announce = announce->value.GetBool();
    if (!e.announce) {
        e.skip = stringOf(doc, "skip").value_or("");
        auto droppable = doc.FindMember("droppable");
        e.droppable = droppable != doc.MemberEnd() && droppable->value.IsTrue();
    }
    return e;
}

}  // namespace brolostack::server
