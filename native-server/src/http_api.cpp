#include "http_api.hpp"

#include "brolostack/json.hpp"
#include "brolostack/protocol/identifiers.hpp"
#include "metrics.hpp"
#include "url.hpp"

#include <cstdlib>

namespace brolostack::native {
namespace {

using protocol::Error;
using protocol::ErrorCode;
using protocol::makeError;

constexpr std::string_view kRoomsPrefix = "/api/v1/rooms/";
constexpr std::string_view kSessionsPrefix = "/api/v1/sessions/";

HttpResponse ok(std::string body, int status = 200) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

/// The JSON object body of a POST, or the error to answer with.
std::variant<json::Document, Error> parseBody(const std::string& body, const config::Settings& s) {
    json::Document doc;
    auto parsed = json::parseStrict(body, doc, s.maxMessageBytes, s.maxJsonDepth, true);
    if (!parsed.ok())
        return makeError(parsed.failure == json::ParseFailure::TooLarge ? ErrorCode::TooLarge : ErrorCode::BadRequest,
                         parsed.reason);
    return doc;
}

std::optional<std::string> stringField(const json::Value& obj, const char* name) {
    auto it = obj.FindMember(name);
    if (it == obj.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::string dataOf(const json::Value& obj) {
    auto it = obj.FindMember("data");
    return it == obj.MemberEnd() ? "null" : json::toString(it->value);
}

std::string publishedJson(const server::Published& p, bool withRoom) {
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    if (withRoom) {
        json::writeKey(w, "room");
        json::writeString(w, p.room);
    }
    json::writeKey(w, "offset");
    w.Uint64(p.offset);
    json::writeKey(w, "epoch");
    json::writeString(w, p.epoch);
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

bool parseUint(const std::string& text, std::uint64_t& out) {
    if (text.empty() || text.size() > 19) return false;
    for (char c : text)
        if (c < '0' || c > '9') return false;
    out = std::strtoull(text.c_str(), nullptr, 10);
    return true;
}

}  // namespace

HttpResponse errorResponse(const Error& error) {
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    json::writeKey(w, "error");
    w.StartObject();
    json::writeKey(w, "code");
    json::writeString(w, protocol::errorCodeName(error.code));
    json::writeKey(w, "message");
    json::writeString(w, error.message);
    w.EndObject();
    w.EndObject();
    HttpResponse r;
    r.status = protocol::httpStatusFor(error.code);
    r.body.assign(buffer.GetString(), buffer.GetSize());
    return r;
}

bool HttpApi::authorized(const HttpRequest& request) const {
    if (!hub_.settings().authRequired) return true;
    const auto& auth = hub_.authenticator();
    if (request.apiKey) return auth.checkApiKey(*request.apiKey).outcome == server::AuthOutcome::Authenticated;
    if (request.authorization && request.authorization->rfind("Bearer ", 0) == 0)
        return auth.checkApiKey(request.authorization->substr(7)).outcome == server::AuthOutcome::Authenticated;
    return false;
}

std::optional<HttpResponse> HttpApi::handle(const HttpRequest& request, std::int64_t now, server::Outbox& out) {
    auto target = parseTarget(request.target);
    if (!target) return errorResponse(makeError(ErrorCode::BadRequest, "malformed percent-encoding in the URL"));
    const std::string& path = target->path;
    // Two Content-Length headers that disagree make the body's end
    // ambiguous (request smuggling through a proxy that picks the other).
    if (request.contentLength && request.contentLength->find(',') != std::string::npos)
        return errorResponse(makeError(ErrorCode::BadRequest, "conflicting Content-Length headers"));
    const bool readOnly = request.method == "GET" || request.method == "HEAD";
    if ((path == "/healthz" || path == "/readyz" || path == "/metrics") && !readOnly) return methodNotAllowed("GET, HEAD");
    if (path == "/healthz") return ok("{\"status\":\"ok\"}");
    if (path == "/readyz") {
        if (hub_.draining()) return ok("{\"status\":\"draining\"}", 503);
        // Cluster mode without Redis: publishes and new rooms would answer
        // unavailable here, so the load balancer should send clients elsewhere.
        if (hub_.brokerDown()) return ok("{\"status\":\"broker unreachable\"}", 503);
        return ok("{\"status\":\"ready\"}");
    }
    if (path == "/metrics") {
        HttpResponse r = ok(metrics_.render(counts(now)));
        r.contentType = "text/plain; version=0.0.4; charset=utf-8";
        return r;
    }
    if (path.rfind("/api/", 0) != 0) return std::nullopt;
    if (!authorized(request)) {
        HttpResponse r = errorResponse(makeError(ErrorCode::Unauthorized, "an API key is required"));
        r.headers.emplace_back("WWW-Authenticate", "Bearer");
        return r;
    }
    return route(request, path, target->query, now, out);
}

HttpResponse HttpApi::route(const HttpRequest& request, const std::string& path,
                            const std::map<std::string, std::string>& query, std::int64_t now, server::Outbox& out) {
    const bool get = request.method == "GET" || request.method == "HEAD";
    const bool post = request.method == "POST";
    auto wrongMethod = [](const char* allowed) { return methodNotAllowed(allowed); };
    if (path == "/api/v1/stats") return get ? ok(server::statsToJson(counts(now))) : wrongMethod("GET");
    if (path == "/api/v1/publish") return post ? publish(request.body, now, out) : wrongMethod("POST");
    if (path == "/api/v1/broadcast") return post ? broadcast(request.body, now, out) : wrongMethod("POST");
    if (path == "/api/v1/disconnect") return post ? disconnect(request.body, out) : wrongMethod("POST");
    if (path == "/api/v1/sessions") {
        if (!get) return wrongMethod("GET");
        return answerLater(200, [&](server::Hub::ArgsDone done) { hub_.sessionsThen(out, std::move(done)); });
    }
    if (path.rfind(kSessionsPrefix, 0) == 0) {
        std::string rest = path.substr(kSessionsPrefix.size());
        auto slash = rest.find('/');
        if (slash == std::string::npos) {
            if (!get) return wrongMethod("GET");
            return answerLater(200, [&](server::Hub::ArgsDone done) { hub_.sessionSnapshotThen(rest, now, out, std::move(done)); });
        }
        std::string sessionId = rest.substr(0, slash), tail = rest.substr(slash);
        if (tail == "/tasks") {
            if (!post) return wrongMethod("POST");
            return answerLater(202, [&](server::Hub::ArgsDone done) {
                hub_.startTaskThen(sessionId, request.body, now, out, std::move(done));
            });
        }
        if (tail == "/dead-letters") {
            if (!get) return wrongMethod("GET");
            return answerLater(200, [&](server::Hub::ArgsDone done) { hub_.deadLettersThen(sessionId, now, out, std::move(done)); });
        }
        constexpr std::string_view kDeadLetter = "/dead-letters/", kRequeue = "/requeue";
        if (tail.rfind(kDeadLetter, 0) == 0 && tail.size() > kDeadLetter.size() + kRequeue.size() &&
            tail.compare(tail.size() - kRequeue.size(), kRequeue.size(), kRequeue) == 0) {
            if (!post) return wrongMethod("POST");
            std::string taskId = tail.substr(kDeadLetter.size(), tail.size() - kDeadLetter.size() - kRequeue.size());
            return answerLater(202, [&](server::Hub::ArgsDone done) {
                hub_.requeueThen(sessionId, taskId, now, out, std::move(done));
            });
        }
        if (tail.rfind("/tasks/", 0) == 0) {
            if (request.method != "DELETE") return wrongMethod("DELETE");
            std::string taskId = tail.substr(std::string_view("/tasks/").size());
            return answerLater(200, [&](server::Hub::ArgsDone done) {
                hub_.cancelTaskThen(sessionId, taskId, now, out, std::move(done));
            });
        }
    }
    if (path.rfind(kRoomsPrefix, 0) == 0) {
        std::string rest = path.substr(kRoomsPrefix.size());
        auto slash = rest.rfind('/');
        if (slash != std::string::npos) {
            std::string room = rest.substr(0, slash), what = rest.substr(slash + 1);
            if (what == "members") {
                if (!get) return wrongMethod("GET");
                return answerLater(200, [&](server::Hub::ArgsDone done) { hub_.membersThen(room, out, std::move(done)); });
            }
            if (what == "history") return get ? history(room, query, out) : wrongMethod("GET");
        }
    }
    return errorResponse(makeError(ErrorCode::NotFound, "no such endpoint: " + path));
}

HttpResponse methodNotAllowed(const std::string& allowed) {
    HttpResponse r = errorResponse(makeError(ErrorCode::BadRequest, "use " + allowed));
    r.status = 405;
    r.headers.emplace_back("Allow", allowed);
    return r;
}

HttpResponse HttpApi::answerLater(int okStatus, const std::function<void(server::Hub::ArgsDone)>& start) {
    // In cluster mode the session may be coordinated by another node, or the
    // room held by the broker only, which answers later.
    auto later = std::make_shared<LaterAnswer>();
    start([later, okStatus](const std::variant<std::string, Error>& result) {
        if (auto* e = std::get_if<Error>(&result)) later->settle(errorResponse(*e));
        else later->settle(ok(std::get<std::string>(result), okStatus));
    });
    return LaterAnswer::now(later);
}

HttpResponse HttpApi::publish(const std::string& body, std::int64_t now, server::Outbox& out) {
    auto parsed = parseBody(body, hub_.settings());
    if (auto* e = std::get_if<Error>(&parsed)) return errorResponse(*e);
    const json::Document& doc = std::get<json::Document>(parsed);
    auto room = stringField(doc, "room");
    auto event = stringField(doc, "event");
    if (!room || !event) return errorResponse(makeError(ErrorCode::BadRequest, "'room' and 'event' strings are required"));
    auto later = std::make_shared<LaterAnswer>();
    hub_.publishThen(*room, *event, dataOf(doc), now, out, [later](const auto& result) {
        if (auto* e = std::get_if<Error>(&result)) later->settle(errorResponse(*e));
        else later->settle(ok(publishedJson(std::get<server::Published>(result), false)));
    });
    return LaterAnswer::now(later);
}

HttpResponse HttpApi::broadcast(const std::string& body, std::int64_t now, server::Outbox& out) {
    auto parsed = parseBody(body, hub_.settings());
    if (auto* e = std::get_if<Error>(&parsed)) return errorResponse(*e);
    const json::Document& doc = std::get<json::Document>(parsed);
    auto rooms = doc.FindMember("rooms");
    auto event = stringField(doc, "event");
    if (rooms == doc.MemberEnd() || !rooms->value.IsArray() || !event)
        return errorResponse(makeError(ErrorCode::BadRequest, "'rooms' (array) and 'event' (string) are required"));
    for (const auto& room : rooms->value.GetArray())
        if (!room.IsString()) return errorResponse(makeError(ErrorCode::BadRequest, "'rooms' must hold strings"));
    // Validate every room before publishing to any, so a bad request changes nothing.
    for (const auto& room : rooms->value.GetArray())
        if (!protocol::isValidRoomId(room.GetString()))
            return errorResponse(makeError(ErrorCode::BadRequest, std::string("invalid room id '") + room.GetString() + "'"));
    std::vector<std::string> roomIds;
    for (const auto& room : rooms->value.GetArray()) roomIds.emplace_back(room.GetString());
    if (auto full = hub_.checkRoomCapacity(roomIds)) return errorResponse(*full);
    std::string data = dataOf(doc);
    // Answered once every room's publish is placed, in the order of `rooms`
    // (the first failure answers alone).
    struct Results {
        std::vector<std::string> placed;
        std::size_t due = 0;
    };
    auto later = std::make_shared<LaterAnswer>();
    auto results = std::make_shared<Results>();
    results->placed.resize(roomIds.size());
    results->due = roomIds.size();
    for (std::size_t i = 0; i < roomIds.size(); ++i) {
        hub_.publishThen(roomIds[i], *event, data, now, out, [later, results, i](const auto& result) {
            if (auto* e = std::get_if<Error>(&result)) return later->settle(errorResponse(*e));
            results->placed[i] = publishedJson(std::get<server::Published>(result), true);
            if (--results->due > 0) return;
            std::string list;
            for (const auto& one : results->placed) list += (list.empty() ? "" : ",") + one;
            later->settle(ok("{\"results\":[" + list + "]}"));
        });
    }
    return LaterAnswer::now(later);
}

HttpResponse HttpApi::disconnect(const std::string& body, server::Outbox& out) {
    auto parsed = parseBody(body, hub_.settings());
    if (auto* e = std::get_if<Error>(&parsed)) return errorResponse(*e);
    const json::Document& doc = std::get<json::Document>(parsed);
    auto user = stringField(doc, "user");
    auto sid = stringField(doc, "sid");
    if (!user && !sid) return errorResponse(makeError(ErrorCode::BadRequest, "'user' or 'sid' is required"));
    std::size_t n = hub_.disconnect(user, sid, out);
    return ok("{\"disconnected\":" + std::to_string(n) + "}");
}

HttpResponse HttpApi::history(const std::string& room, const std::map<std::string, std::string>& query,
                              server::Outbox& out) {
    std::optional<protocol::StreamPosition> since;
    std::optional<std::uint32_t> limit;
    auto sinceIt = query.find("sinceOffset");
    if (sinceIt != query.end()) {
        std::uint64_t offset = 0;
        if (!parseUint(sinceIt->second, offset))
            return errorResponse(makeError(ErrorCode::BadRequest, "'sinceOffset' must be a non-negative integer"));
        auto epoch = query.find("epoch");
        const auto* roomState = epoch == query.end() ? nullptr : &epoch->second;
        if (!roomState) return errorResponse(makeError(ErrorCode::BadRequest, "'sinceOffset' needs 'epoch'"));
        since = protocol::StreamPosition{*roomState, offset};
    }
    auto limitIt = query.find("limit");
    if (limitIt != query.end()) {
        std::uint64_t n = 0;
        if (!parseUint(limitIt->second, n) || n == 0 || n > 1000000)
            return errorResponse(makeError(ErrorCode::BadRequest, "'limit' must be a positive integer"));
        limit = static_cast<std::uint32_t>(n);
    }
    return answerLater(200, [&](server::Hub::ArgsDone done) { hub_.historyThen(room, since, limit, out, std::move(done)); });
}

}  // namespace brolostack::native
