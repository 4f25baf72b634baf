// Starts an embedded server on a free port with one in-process agent, runs
// a task through it, prints what happened, and exits once the task is done.
#include <brolostack/ws_multiagent.hpp>

#include <cstdio>
#include <string>

int main() {
    brolostack::WSMultiagent server(brolostack::WSMultiagent::settingsFromEnvironment());
    if (auto error = server.initialize()) {
        std::fprintf(stderr, "%s\n", error->c_str());
        return 1;
    }
    auto session = server.createSession("embedded");
    session.registerAgent({"worker-1", "worker", {"work"}},
                          [](const brolostack::Assignment& a, brolostack::TaskReporter reporter) {
                              std::printf("assigned %s\n", a.taskId.c_str());
                              reporter.complete(R"({"done":true})");
                          });
    session.onEvent([&server](const std::string& msgJson) {
        if (msgJson.find("\"TASK_COMPLETE\"") == std::string::npos) return;
        std::printf("completed\n");
        server.shutdown();
    });
    auto started = session.startTask(R"({"id":"job-1","requirements":{"capabilities":["work"]}})");
    if (started.index() == 1) {
        std::fprintf(stderr, "%s\n", std::get<1>(started).c_str());
        return 1;
    }
    if (auto error = server.listen(0, "127.0.0.1")) {
        std::fprintf(stderr, "%s\n", error->c_str());
        return 1;
    }
    std::printf("listening on %u\n", server.port());
    server.run();
    return 0;
}
