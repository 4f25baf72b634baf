// The seed's customer-insights pipeline with in-process agents:
// collector -> processor -> analyzer, run by the same scheduler that serves
// WebSocket agents, printing the progress the session streams.
//
//   build/bin/customer-insights            # runs the pipeline and exits
//   build/bin/customer-insights --serve    # and keeps serving on :3001
#include "brolostack/json.hpp"
#include "brolostack/ws_multiagent.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

/// Each agent does its part in two steps, reporting progress in between.
brolostack::AgentHandler worker(const char* what, const char* resultJson) {
    return [what, resultJson](const brolostack::Assignment& a, brolostack::TaskReporter reporter) {
        std::printf("  [%s] stage %zu/%zu got %s\n", a.agentId.c_str(), a.stage + 1, a.stages, a.inputJson.c_str());
        reporter.progress(50, std::string(what) + ": halfway");
        reporter.complete(resultJson);
    };
}

}  // namespace

int main(int argc, char** argv) {
    bool serve = argc > 1 && std::strcmp(argv[1], "--serve") == 0;
    auto settings = brolostack::WSMultiagent::settingsFromEnvironment();
    settings.logLevel = "warn";
    // One run of the pipeline keeps nothing for the next (its task id would
    // already exist), unless STORE asks for a store.
    if (!std::getenv("STORE")) settings.store = "memory";
    brolostack::WSMultiagent server(settings);
    if (auto error = server.initialize()) {
        std::fprintf(stderr, "%s\n", error->c_str());
        return 1;
    }
    auto session = server.createSession("ai-collaboration");
    session.registerAgent({"data-collector", "data-collector", {"web-scraping", "api-integration"}},
                          worker("collecting", R"({"records":1250,"source":"customer-feedback-api"})"));
    session.registerAgent({"data-processor", "data-processor", {"data-cleaning", "transformation"}},
                          worker("cleaning", R"({"records":1180,"dropped":70})"));
    session.registerAgent({"ml-analyzer", "ml-analyzer", {"model-training", "prediction"}},
                          worker("clustering", R"({"clusters":4,"sentiment":{"positive":0.62,"negative":0.21}})"));

    session.onEvent([&](const std::string& msgJson) {
        brolostack::json::Document msg;
        msg.Parse(msgJson.c_str());
        std::string type = msg["type"].GetString();
        const auto& p = msg["payload"];
        if (type == "TASK_PROGRESS")
            std::printf("progress %5.1f%%  stage %d  %s\n", p["progress"].GetDouble(), p["stage"].GetInt(),
                        p["stageState"].GetString());
        else if (type == "TASK_COMPLETE") {
            std::printf("completed in %lld ms: %s\n", static_cast<long long>(p["executionTime"].GetInt64()),
                        brolostack::json::toString(p["result"]).c_str());
            if (!serve) server.shutdown();
        } else if (type == "TASK_ERROR") {
            std::printf("failed: %s %s\n", p["code"].GetString(), p["message"].GetString());
            if (!serve) server.shutdown();
        }
    });

    auto started = session.startTask(R"({
        "id": "customer-insights", "type": "data-pipeline", "collaborationMode": "sequential",
        "requirements": {"agentTypes": ["data-collector", "data-processor", "ml-analyzer"],
                         "capabilities": ["web-scraping", "data-cleaning", "model-training"]},
        "payload": {"dataSource": "customer-feedback-api", "analysisType": "sentiment-clustering"}})");
    if (started.index() == 1) {
        std::fprintf(stderr, "could not start the task: %s\n", std::get<1>(started).c_str());
        return 1;
    }
    std::printf("started %s\n", std::get<0>(started).c_str());
    if (auto error = server.listen(serve ? settings.port : 0, "127.0.0.1")) {
        std::fprintf(stderr, "%s\n", error->c_str());
        return 1;
    }
    server.run();
    return 0;
}
