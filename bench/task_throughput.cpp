// Task throughput through in-process agents: N single-stage tasks over A
// agents (4 slots each) that complete each assignment at once. Prints tasks
// per second (median of R rounds) for the scheduler with the whole server
// around it. With H held tasks, H long-running tasks are assigned first and
// kept running by their agents while the N are measured (long work such as
// model calls beside short tasks).
//
//   build/bin/bench-task-throughput [tasks=5000] [agents=50] [rounds=5] [held=0]
#include "brolostack/ws_multiagent.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
    const int tasks = argc > 1 ? std::atoi(argv[1]) : 5000;
    const int agents = argc > 2 ? std::atoi(argv[2]) : 50;
    const int rounds = argc > 3 ? std::atoi(argv[3]) : 5;
    const int held = argc > 4 ? std::atoi(argv[4]) : 0;
    if (held < 0 || held >= agents * 4) {
        std::fprintf(stderr, "held tasks must leave free slots: 0 <= held < 4 x agents\n");
        return 2;
    }
    brolostack::config::Settings settings;
    settings.logLevel = "off";
    settings.maxAgentsPerSession = static_cast<std::size_t>(agents);
    // The scheduler is measured, not the disk; and each round starts empty
    // (tasks kept by a store from an earlier run would refuse the same ids).
    settings.store = "memory";
    std::vector<double> rates;
    for (int round = 0; round < rounds; ++round) {
        brolostack::WSMultiagent server(settings);
        if (auto error = server.initialize()) {
            std::fprintf(stderr, "%s\n", error->c_str());
            return 1;
        }
        auto session = server.createSession("bench");
        std::mutex heldMutex;
        std::vector<brolostack::TaskReporter> heldReporters;
        std::atomic<int> heldAssigned{0};
        for (int i = 0; i < agents; ++i)
            session.registerAgent({"agent-" + std::to_string(i), "worker", {"work"}, 4},
                                  [&](const brolostack::Assignment& a, brolostack::TaskReporter r) {
                                      if (a.taskId.rfind("hold-", 0) != 0) {
                                          r.complete("1");
                                          return;
                                      }
                                      std::lock_guard<std::mutex> lock(heldMutex);
                                      heldReporters.push_back(std::move(r));
                                      ++heldAssigned;
                                  });
        std::atomic<int> done{0};
        std::promise<void> allDone;
        session.onEvent([&](const std::string& msg) {
            if (msg.find("\"type\":\"TASK_COMPLETE\"") != std::string::npos && ++done == tasks) allDone.set_value();
        });
        if (auto error = server.listen(0, "127.0.0.1")) {
            std::fprintf(stderr, "%s\n", error->c_str());
            return 1;
        }
        std::thread loop([&] { server.run(); });
        for (int i = 0; i < held; ++i)
            session.startTask(R"({"id":"hold-)" + std::to_string(i) + R"(","requirements":{"capabilities":["work"]}})");
        while (heldAssigned < held) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < tasks; ++i)
            session.startTask(R"({"id":"t)" + std::to_string(i) + R"(","requirements":{"capabilities":["work"]}})");
        allDone.get_future().wait();
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        {
            std::lock_guard<std::mutex> lock(heldMutex);
            for (const auto& r : heldReporters) r.complete("1");
        }
        server.shutdown();
        loop.join();
        rates.push_back(tasks / seconds);
        std::printf("round %d: %d tasks in %.3f s = %.0f tasks/s\n", round + 1, tasks, seconds, tasks / seconds);
    }
    std::sort(rates.begin(), rates.end());
    std::printf("in-process task throughput: median %.0f tasks/s (min %.0f, max %.0f) over %d rounds, %d agents, "
                "%d held tasks\n",
                rates[rates.size() / 2], rates.front(), rates.back(), rounds, agents, held);
    return 0;
}
