#include "brolostack/args/types.hpp"

namespace brolostack::args {
namespace {

constexpr std::size_t kMaxIdBytes = 128;
constexpr std::size_t kMaxListItems = 256;

bool readString(const json::Value& obj, const char* name, std::string& out, bool required, std::size_t maxBytes = kMaxIdBytes) {
    auto it = obj.FindMember(name);
    if (it == obj.MemberEnd() || it->value.IsNull()) return !required;
    if (!it->value.IsString() || it->value.GetStringLength() == 0 || it->value.GetStringLength() > maxBytes) return false;
    out.assign(it->value.GetString(), it->value.GetStringLength());
    return true;
}

bool readStringList(const json::Value& obj, const char* name, std::vector<std::string>& out) {
    auto it = obj.FindMember(name);
    if (it == obj.MemberEnd() || it->value.IsNull()) return true;
    if (!it->value.IsArray() || it->value.Size() > kMaxListItems) return false;
    for (const auto& v : it->value.GetArray()) {
        if (!v.IsString() || v.GetStringLength() == 0 || v.GetStringLength() > kMaxIdBytes) return false;
        out.emplace_back(v.GetString(), v.GetStringLength());
    }
    return true;
}

void writeList(json::Writer& w, const char* key, const std::vector<std::string>& items) {
    json::writeKey(w, key);
    w.StartArray();
    for (const auto& s : items) json::writeString(w, s);
    w.EndArray();
}

}  // namespace

protocol::Error payloadError(const std::string& field, const std::string& message) {
    protocol::Error e;
    e.code = protocol::ErrorCode::BadRequest;
    e.message = message;
    e.detailsJson = "{\"field\":\"payload." + field + "\"}";
    return e;
}

std::string_view modeName(Mode m) {
    switch (m) {
        case Mode::Sequential: return "sequential";
        case Mode::Parallel: return "parallel";
        case Mode::Hybrid: return "hybrid";
    }
    return "sequential";
}

std::variant<AgentInfo, protocol::Error> decodeAgentInfo(const json::Value& p) {
    AgentInfo a;
    if (!p.IsObject()) return payloadError("", "AGENT_REGISTER payload must be an agent info object");
    if (!readString(p, "id", a.id, true)) return payloadError("id", "agent 'id' must be a string of 1-128 bytes");
    if (!readString(p, "type", a.type, true)) return payloadError("type", "agent 'type' must be a string of 1-128 bytes");
    if (!readStringList(p, "capabilities", a.capabilities))
        return payloadError("capabilities", "agent 'capabilities' must be an array of strings");
    if (!readString(p, "status", a.status, false, 32)) return payloadError("status", "agent 'status' must be a string");
    a.name = a.id;
    auto meta = p.FindMember("metadata");
    if (meta != p.MemberEnd() && !meta->value.IsNull()) {
        if (!meta->value.IsObject()) return payloadError("metadata", "agent 'metadata' must be an object");
        if (!readString(meta->value, "name", a.name, false, 256)) return payloadError("metadata.name", "agent 'metadata.name' must be a string");
        if (!readString(meta->value, "version", a.version, false, 64))
            return payloadError("metadata.version", "agent 'metadata.version' must be a string");
        auto max = meta->value.FindMember("maxConcurrentTasks");
        if (max != meta->value.MemberEnd() && !max->value.IsNull()) {
            if (!max->value.IsUint() || max->value.GetUint() < 1 || max->value.GetUint() > 10000)
                return payloadError("metadata.maxConcurrentTasks", "'maxConcurrentTasks' must be an integer from 1 to 10000");
            a.maxConcurrentTasks = max->value.GetUint();
        }
    }
    return a;
}

std::variant<TaskDefinition, protocol::Error> decodeTaskDefinition(const json::Value& p) {
    TaskDefinition t;
    if (!p.IsObject()) return payloadError("", "TASK_START payload must be a task definition object");
    if (!readString(p, "id", t.id, false)) return payloadError("id", "task 'id' must be a string of 1-128 bytes");
    if (!readString(p, "type", t.type, false)) return payloadError("type", "task 'type' must be a string of 1-128 bytes");
    auto priority = p.FindMember("priority");
    if (priority != p.MemberEnd() && !priority->value.IsNull()) {
        auto value = priority->value.IsString() ? priorityFromName(priority->value.GetString()) : std::nullopt;
        if (!value) return payloadError("priority", "task 'priority' must be low, medium, high or critical");
        t.priority = *value;
    }
    auto req = p.FindMember("requirements");
    if (req != p.MemberEnd() && !req->value.IsNull()) {
        if (!req->value.IsObject()) return payloadError("requirements", "task 'requirements' must be an object");
        if (!readStringList(req->value, "agentTypes", t.agentTypes))
            return payloadError("requirements.agentTypes", "'requirements.agentTypes' must be an array of strings");
        if (!readStringList(req->value, "capabilities", t.capabilities))
            return payloadError("requirements.capabilities", "'requirements.capabilities' must be an array of strings");
        auto max = req->value.FindMember("maxExecutionTime");
        if (max != req->value.MemberEnd() && !max->value.IsNull()) {
            if (!max->value.IsInt64() || max->value.GetInt64() <= 0)
                return payloadError("requirements.maxExecutionTime", "'maxExecutionTime' must be a positive integer (ms)");
            t.maxExecutionTime = max->value.GetInt64();
        }
    }
    if (t.agentTypes.size() > 64) return payloadError("requirements.agentTypes", "at most 64 stages");
    auto payload = p.FindMember("payload");
    if (payload != p.MemberEnd()) t.payloadJson = json::toString(payload->value);
    std::string mode = "sequential";
    if (!readString(p, "collaborationMode", mode, false, 16))
        return payloadError("collaborationMode", "'collaborationMode' must be sequential, parallel or hybrid");
    if (mode == "sequential") t.mode = Mode::Sequential;
    else if (mode == "parallel") t.mode = Mode::Parallel;
    else if (mode == "hybrid") t.mode = Mode::Hybrid;
    else return payloadError("collaborationMode", "'collaborationMode' must be sequential, parallel or hybrid");
    if (!readStringList(p, "dependencies", t.dependencies))
        return payloadError("dependencies", "'dependencies' must be an array of task ids");
    auto retries = p.FindMember("maxRetries");
    if (retries != p.MemberEnd() && !retries->value.IsNull()) {
        if (!retries->value.IsUint() || retries->value.GetUint() > 100)
            return payloadError("maxRetries", "'maxRetries' must be an integer from 0 to 100");
        t.maxRetries = retries->value.GetUint();
    }
    return t;
}

void writeAgentInfo(json::Writer& w, const AgentInfo& a, std::uint32_t currentTasks, bool online) {
    w.StartObject();
    json::writeKey(w, "id");
    json::writeString(w, a.id);
    json::writeKey(w, "type");
    json::writeString(w, a.type);
    writeList(w, "capabilities", a.capabilities);
    json::writeKey(w, "status");
    json::writeString(w, online ? a.status : std::string("offline"));
    json::writeKey(w, "metadata");
    w.StartObject();
    json::writeKey(w, "name");
    json::writeString(w, a.name);
    json::writeKey(w, "version");
    json::writeString(w, a.version);
    json::writeKey(w, "maxConcurrentTasks");
    w.Uint(a.maxConcurrentTasks);
    json::writeKey(w, "currentTasks");
    w.Uint(currentTasks);
    w.EndObject();
    w.EndObject();
}

void writeTaskDefinition(json::Writer& w, const TaskDefinition& t) {
    w.StartObject();
    json::writeKey(w, "id");
    json::writeString(w, t.id);
    json::writeKey(w, "type");
    json::writeString(w, t.type);
    json::writeKey(w, "priority");
    json::writeString(w, priorityName(t.priority));
    json::writeKey(w, "requirements");
    w.StartObject();
    writeList(w, "agentTypes", t.agentTypes);
    writeList(w, "capabilities", t.capabilities);
    if (t.maxExecutionTime) {
        json::writeKey(w, "maxExecutionTime");
        w.Int64(*t.maxExecutionTime);
    }
    w.EndObject();
    json::writeKey(w, "payload");
    json::writeRaw(w, t.payloadJson);
    json::writeKey(w, "collaborationMode");
    json::writeString(w, modeName(t.mode));
    writeList(w, "dependencies", t.dependencies);
    if (t.maxRetries) {
        json::writeKey(w, "maxRetries");
        w.Uint(*t.maxRetries);
    }
    w.EndObject();
}

}  // namespace brolostack::args
