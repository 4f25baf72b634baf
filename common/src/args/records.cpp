#include "brolostack/args/records.hpp"

#include "brolostack/json.hpp"

namespace brolostack::args {
namespace {

// Records hold a task's payload and results, which were depth-checked when
// they arrived (MAX_JSON_DEPTH is at most 256), a few levels down.
constexpr unsigned kRecordDepth = 300;

std::optional<StageState> stageStateOf(std::string_view name) {
    for (StageState s : {StageState::Waiting, StageState::Ready, StageState::Running, StageState::Done, StageState::Stopped})
        if (stageStateName(s) == name) return s;
    return std::nullopt;
}

std::optional<TaskState> taskStateOf(std::string_view name) {
    for (TaskState s : {TaskState::Queued, TaskState::Running, TaskState::Completed, TaskState::Failed, TaskState::Canceled})
        if (taskStateName(s) == name) return s;
    return std::nullopt;
}

void writeStrings(json::Writer& w, const char* key, const std::vector<std::string>& items) {
    json::writeKey(w, key);
    w.StartArray();
    for (const auto& s : items) json::writeString(w, s);
    w.EndArray();
}

/// Typed reads of a record's members: a missing or mistyped member makes the record unreadable.
class Reader {
public:
    explicit Reader(const json::Value& obj) : obj_(obj) {}
    bool ok() const { return ok_; }

    std::string text(const char* name) {
        auto it = obj_.FindMember(name);
        if (it == obj_.MemberEnd() || !it->value.IsString()) return fail(std::string());
        return std::string(it->value.GetString(), it->value.GetStringLength());
    }
    std::optional<std::string> optionalText(const char* name) {
        auto it = obj_.FindMember(name);
        if (it != obj_.MemberEnd() && it->value.IsNull()) return std::nullopt;
        return text(name);
    }
    std::string raw(const char* name) {
        auto it = obj_.FindMember(name);
        if (it == obj_.MemberEnd()) return fail(std::string("null"));
        return json::toString(it->value);
    }
    std::int64_t integer(const char* name) {
        auto it = obj_.FindMember(name);
        if (it == obj_.MemberEnd() || !it->value.IsInt64()) return fail(std::int64_t{0});
        return it->value.GetInt64();
    }
    std::uint64_t count(const char* name) {
        auto it = obj_.FindMember(name);
        if (it == obj_.MemberEnd() || !it->value.IsUint64()) return fail(std::uint64_t{0});
        return it->value.GetUint64();
    }
    double number(const char* name) {
        auto it = obj_.FindMember(name);
        if (it == obj_.MemberEnd() || !it->value.IsNumber()) return fail(0.0);
        return it->value.GetDouble();
    }
    std::vector<std::string> strings(const char* name) {
        std::vector<std::string> out;
        auto it = obj_.FindMember(name);
        if (it == obj_.MemberEnd() || !it->value.IsArray()) return fail(out);
        for (const auto& v : it->value.GetArray()) {
            if (!v.IsString()) return fail(std::vector<std::string>{});
            out.emplace_back(v.GetString(), v.GetStringLength());
        }
        return out;
    }
    const json::Value* member(const char* name) {
        auto it = obj_.FindMember(name);
        if (it == obj_.MemberEnd()) return fail<const json::Value*>(nullptr);
        return &it->value;
    }

private:
    template <class T>
    T fail(T value) {
        ok_ = false;
        return value;
    }
    const json::Value& obj_;
    bool ok_ = true;
};

}  // namespace

std::string_view stageStateName(StageState s) {
    switch (s) {
        case StageState::Waiting: return "waiting";
        case StageState::Ready: return "ready";
        case StageState::Running: return "running";
        case StageState::Done: return "done";
        case StageState::Stopped: return "stopped";
    }
    return "waiting";
}

std::string encodeTaskRecord(const Task& t) {
    return json::object([&](json::Writer& w) {
        json::writeKey(w, "definition");
        writeTaskDefinition(w, t.def);
        json::writeKey(w, "submitter");
        w.Uint64(t.submitter);
        json::writeKey(w, "state");
        json::writeString(w, taskStateName(t.state));
        json::writeKey(w, "seq");
        w.Uint64(t.seq);
        json::writeKey(w, "maxRetries");
        w.Uint(t.maxRetries);
        json::writeKey(w, "createdAt");
        w.Int64(t.createdAt);
        json::writeKey(w, "startedAt");
        w.Int64(t.startedAt);
        json::writeKey(w, "finishedAt");
        w.Int64(t.finishedAt);
        json::writeKey(w, "result");
        json::writeRaw(w, t.resultJson);
        json::writeKey(w, "errorCode");
        json::writeString(w, t.errorCode);
        json::writeKey(w, "errorMessage");
        json::writeString(w, t.errorMessage);
        json::writeKey(w, "stages");
        w.StartArray();
        for (const Stage& st : t.stages) {
            w.StartObject();
            json::writeKey(w, "agentType");
            if (st.agentType) json::writeString(w, *st.agentType);
            else w.Null();
            json::writeKey(w, "state");
            json::writeString(w, stageStateName(st.state));
            json::writeKey(w, "agentId");
            json::writeString(w, st.agentId);
            writeStrings(w, "agentCapabilities", st.agentCapabilities);
            json::writeKey(w, "role");
            json::writeString(w, st.role);
            json::writeKey(w, "input");
            json::writeRaw(w, st.inputJson);
            json::writeKey(w, "result");
            json::writeRaw(w, st.resultJson);
            json::writeKey(w, "progress");
            w.Double(st.progress);
            json::writeKey(w, "startedAt");
            w.Int64(st.startedAt);
            json::writeKey(w, "retries");
            w.Uint(st.retries);
            writeStrings(w, "triedAgents", {st.triedAgents.begin(), st.triedAgents.end()});
            w.EndObject();
        }
        w.EndArray();
    });
}

std::optional<Task> decodeTaskRecord(std::string_view record, std::int64_t now) {
    json::Document doc;
    if (!json::parseStrict(record, doc, record.size() + 1, kRecordDepth, true).ok()) return std::nullopt;
    Reader r(doc);
    Task t;
    json::Value* definition = doc.HasMember("definition") ? &doc["definition"] : nullptr;
    if (!definition || !definition->IsObject()) return std::nullopt;
    // A task submitted without a type is written with an empty one, which a submission may not carry.
    auto type = definition->FindMember("type");
    if (type != definition->MemberEnd() && type->value.IsString() && type->value.GetStringLength() == 0)
        definition->RemoveMember(type);
    auto def = decodeTaskDefinition(*definition);
    if (!std::holds_alternative<TaskDefinition>(def)) return std::nullopt;
    t.def = std::get<TaskDefinition>(std::move(def));
    t.submitter = r.count("submitter");
    auto state = taskStateOf(r.text("state"));
    t.seq = r.count("seq");
    t.maxRetries = static_cast<std::uint32_t>(r.count("maxRetries"));
    t.createdAt = r.integer("createdAt");
    t.startedAt = r.integer("startedAt");
    t.finishedAt = r.integer("finishedAt");
    t.resultJson = r.raw("result");
    t.errorCode = r.text("errorCode");
    t.errorMessage = r.text("errorMessage");
    const json::Value* stages = r.member("stages");
    if (!r.ok() || !state || t.def.id.empty() || !stages || !stages->IsArray() || stages->Empty()) return std::nullopt;
    t.state = *state;
    for (const auto& value : stages->GetArray()) {
        if (!value.IsObject()) return std::nullopt;
        Reader sr(value);
        Stage st;
        st.agentType = sr.optionalText("agentType");
        auto stageState = stageStateOf(sr.text("state"));
        st.agentId = sr.text("agentId");
        st.agentCapabilities = sr.strings("agentCapabilities");
        st.role = sr.text("role");
        st.inputJson = sr.raw("input");
        st.resultJson = sr.raw("result");
        st.progress = sr.number("progress");
        st.startedAt = sr.integer("startedAt");
        st.retries = static_cast<std::uint32_t>(sr.count("retries"));
        auto tried = sr.strings("triedAgents");
        if (!sr.ok() || !stageState) return std::nullopt;
        st.triedAgents.insert(tried.begin(), tried.end());
        st.state = *stageState;
        if (st.state == StageState::Running) {
            // Its agent's connection died with the server: the stage waits
            // for an agent again, from now, without losing a retry.
            st.state = StageState::Ready;
            st.agentId.clear();
            st.agentCapabilities.clear();
            st.progress = 0;
        }
        if (st.state == StageState::Ready) st.readySince = now;
        t.stages.push_back(std::move(st));
    }
    return t;
}

std::string encodeSessionRecord(const Session& s) {
    return json::object([&](json::Writer& w) {
        json::writeKey(w, "id");
        json::writeString(w, s.id);
        json::writeKey(w, "nextTaskSeq");
        w.Uint64(s.nextTaskSeq);
        json::writeKey(w, "totalTasks");
        w.Uint64(s.totalTasks);
        json::writeKey(w, "completedTasks");
        w.Uint64(s.completedTasks);
        json::writeKey(w, "failedTasks");
        w.Uint64(s.failedTasks);
        json::writeKey(w, "totalExecutionMs");
        w.Double(s.totalExecutionMs);
    });
}

std::string encodeAgentRecord(const AgentState& agent) {
    const AgentInfo& info = agent.info;
    return json::object([&](json::Writer& w) {
        json::writeKey(w, "id");
        json::writeString(w, info.id);
        json::writeKey(w, "type");
        json::writeString(w, info.type);
        writeStrings(w, "capabilities", info.capabilities);
        json::writeKey(w, "status");
        json::writeString(w, info.status);
        json::writeKey(w, "name");
        json::writeString(w, info.name);
        json::writeKey(w, "version");
        json::writeString(w, info.version);
        json::writeKey(w, "maxConcurrentTasks");
        w.Uint(info.maxConcurrentTasks);
    });
}

namespace {

std::optional<AgentState> readAgent(const json::Value& value, std::int64_t now) {
    if (!value.IsObject()) return std::nullopt;
    Reader ar(value);
    AgentState agent;
    agent.info.id = ar.text("id");
    agent.info.type = ar.text("type");
    agent.info.capabilities = ar.strings("capabilities");
    agent.info.status = ar.text("status");
    agent.info.name = ar.text("name");
    agent.info.version = ar.text("version");
    agent.info.maxConcurrentTasks = static_cast<std::uint32_t>(ar.count("maxConcurrentTasks"));
    if (!ar.ok() || agent.info.id.empty()) return std::nullopt;
    agent.online = false;  // until its agent registers again
    agent.idleSince = now;
    return agent;
}

}  // namespace

std::optional<AgentState> decodeAgentRecord(std::string_view record, std::int64_t now) {
    json::Document doc;
    if (!json::parseStrict(record, doc, record.size() + 1, kRecordDepth, true).ok()) return std::nullopt;
    return readAgent(doc, now);
}

std::optional<Session> decodeSessionRecord(std::string_view record, std::int64_t now) {
    json::Document doc;
    if (!json::parseStrict(record, doc, record.size() + 1, kRecordDepth, true).ok()) return std::nullopt;
    Reader r(doc);
    Session s;
    s.id = r.text("id");
    s.nextTaskSeq = r.count("nextTaskSeq");
    s.totalTasks = r.count("totalTasks");
    s.completedTasks = r.count("completedTasks");
    s.failedTasks = r.count("failedTasks");
    s.totalExecutionMs = r.number("totalExecutionMs");
    if (!r.ok() || s.id.empty()) return std::nullopt;
    // Records of earlier versions hold the session's agents.
    if (auto agents = doc.FindMember("agents"); agents != doc.MemberEnd()) {
        if (!agents->value.IsArray()) return std::nullopt;
        for (const auto& value : agents->value.GetArray()) {
            auto agent = readAgent(value, now);
            if (!agent) return std::nullopt;
            std::string id = agent->info.id;
            s.agents.emplace(std::move(id), std::move(*agent));
        }
    }
    s.lastActivity = now;
    return s;
}

}  // namespace brolostack::args
