// ARGS payloads the coordinator understands: agent info and task
// definitions (the seed's ARGSAgentInfo and ARGSTaskDefinition).
#pragma once

#include "brolostack/args/message.hpp"
#include "brolostack/json.hpp"
#include "brolostack/protocol/codes.hpp"

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace brolostack::args {

struct AgentInfo {
    std::string id;
    std::string type;
    std::vector<std::string> capabilities;
    std::string status = "idle";
    std::string name;      // defaults to id
    std::string version;
    std::uint32_t maxConcurrentTasks = 1;
};

enum class Mode { Sequential, Parallel, Hybrid };
std::string_view modeName(Mode m);

struct TaskDefinition {
    std::string id;  // generated when absent
    std::string type;
    Priority priority = Priority::Medium;
    std::vector<std::string> agentTypes;
    std::vector<std::string> capabilities;
    std::optional<std::int64_t> maxExecutionTime;
    std::string payloadJson = "null";
    Mode mode = Mode::Sequential;
    std::vector<std::string> dependencies;
    std::optional<std::uint32_t> maxRetries;
};

std::variant<AgentInfo, protocol::Error> decodeAgentInfo(const json::Value& payload);
std::variant<TaskDefinition, protocol::Error> decodeTaskDefinition(const json::Value& payload);

void writeAgentInfo(json::Writer& w, const AgentInfo& a, std::uint32_t currentTasks, bool online);
void writeTaskDefinition(json::Writer& w, const TaskDefinition& t);

/// A bad_request naming `field` inside the ARGS payload.
protocol::Error payloadError(const std::string& field, const std::string& message);

}  // namespace brolostack::args
