// bench-loadgen: a load generator for WebSocket servers, cheaper than the
// servers it loads (one thread, epoll, buffers allocated at setup). Prints
// one JSON object on stdout; progress and problems go to stderr.
//
//   bench-loadgen --dialect brolostack --port 3001 --scenario fanout --subscribers 1000 --duration 3
//   bench-loadgen --dialect socketio --port 4000 --scenario fanout --subscribers 1000 --paced 0.5
//   bench-loadgen --dialect ws --port 4001 --scenario idle --connections 10000 --server-pid 1234
//   bench-loadgen --port 3001 --subscriber-ports 3001,3002,3003 --subscribers 999 --watch-pids 11,12,13
#include "clock.hpp"
#include "net.hpp"
#include "scenario.hpp"

#include <CLI/CLI.hpp>

#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <exception>

using namespace loadgen;

namespace {

// Up to the hard limit: every connection is a descriptor.
rlim_t raiseFileLimit() {
    rlimit l{};
    if (getrlimit(RLIMIT_NOFILE, &l) != 0) return 0;
    if (l.rlim_cur < l.rlim_max) {
        l.rlim_cur = l.rlim_max;
        setrlimit(RLIMIT_NOFILE, &l);
    }
    return l.rlim_cur;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"WebSocket load generator: fan-out, echo, idle and ARGS scenarios over three dialects"};
    app.add_option("--scenario", o.scenario, "fanout | echo | idle | args")
        ->check(CLI::IsMember({"fanout", "echo", "idle", "args"}));
    app.add_option("--dialect", o.dialect, "brolostack | socketio | ws")
        ->check(CLI::IsMember({"brolostack", "socketio", "ws"}));
    app.add_option("--host", o.host, "server address (IPv4)");
    app.add_option("--port", o.port, "server port")->required();
    app.add_option("--path", o.path, "upgrade path (default: /ws, /socket.io/?EIO=4&transport=websocket, /)");
    app.add_option("--room", o.room, "room to join");
    app.add_option("--subscriber-ports", o.subscriberPorts,
                   "fanout: spread the subscribers round-robin over these ports (the publisher stays on --port)")
        ->delimiter(',');
    app.add_option("--subscribers", o.subscribers, "fanout: subscribers in the room");
    app.add_option("--window", o.window, "fanout: publishes in flight at most when flat out");
    app.add_option("--rate", o.rate, "fanout: publishes per second (0 = flat out)");
    app.add_option("--paced", o.pacedFractions, "fanout: after the main phase, paced phases at these shares of its peak")
        ->delimiter(',');
    app.add_option("--payload", o.payloadBytes, "payload bytes");
    app.add_option("--duration", o.duration, "measured seconds per phase");
    app.add_option("--warmup", o.warmup, "unmeasured seconds first");
    app.add_option("--settle", o.settle, "seconds between phases");
    app.add_option("--connections", o.connections, "idle: connections to open");
    app.add_option("--hold", o.hold, "idle: seconds to idle before the second RSS reading");
    app.add_option("--agents", o.agents, "args: agents in the session");
    app.add_option("--agents-per-connection", o.agentsPerConnection,
                   "args: agents each connection registers (a worker process hosting several)")
        ->check(CLI::Range(1, 10000));
    app.add_option("--agent-capacity", o.agentCapacity, "args: maxConcurrentTasks of each agent");
    app.add_flag("--agents-leave-session", o.agentsLeaveSession,
                 "args: agent connections leave the session once registered (they then get only their own assignments)");
    app.add_option("--server-pid", o.serverPid, "server pid, for its RSS and CPU");
    app.add_option("--watch-pids", o.watchPids, "fanout: pids whose CPU seconds each phase reports")->delimiter(',');
    app.add_option("--source-addresses", o.sourceAddresses, "connect from 127.0.0.1 .. 127.0.0.N")
        ->check(CLI::Range(1, 254));
    app.add_option("--connect-batch", o.connectBatch, "handshakes in progress at most");
    app.add_option("--setup-timeout", o.setupTimeout, "seconds allowed for connecting and joining");
    CLI11_PARSE(app, argc, argv);

    std::signal(SIGPIPE, SIG_IGN);
    rlim_t files = raiseFileLimit();
    auto dialect = makeDialect(o.dialect);
    Errors errors;
    auto scenario = makeScenario(o, *dialect, errors);
    std::size_t capacity = scenario->maxConnections();
    if (files > 0 && capacity + 16 > files)
        std::fprintf(stderr, "bench-loadgen: %zu connections but RLIMIT_NOFILE is %llu: expect connect errors\n",
                     capacity, static_cast<unsigned long long>(files));

    std::int64_t start = nowNs();
    std::string fields;
    std::string failure;
    std::unique_ptr<Net> net;
    try {
        net = std::make_unique<Net>(o, *dialect, *scenario, errors, capacity);
        fields = scenario->run(*net);
    } catch (const std::exception& e) {
        failure = e.what();
    }
    double wall = static_cast<double>(nowNs() - start) / 1e9;
    std::printf("{\"scenario\":\"%s\",\"dialect\":\"%s\",\"port\":%u,%s%s\"errors\":%s,\"frames_in\":%llu,"
                "\"bytes_in\":%llu,\"buffer_growths\":%u,\"loader_cpu_s\":%s,\"wall_s\":%s,\"fd_limit\":%llu%s%s%s}\n",
                o.scenario.c_str(), o.dialect.c_str(), static_cast<unsigned>(o.port), fields.c_str(),
                fields.empty() ? "" : ",", errors.json().c_str(),
                static_cast<unsigned long long>(net ? net->framesIn() : 0),
                static_cast<unsigned long long>(net ? net->bytesIn() : 0), net ? net->bufferGrowths() : 0u,
                jsonNumber(ownCpuSeconds()).c_str(), jsonNumber(wall).c_str(), static_cast<unsigned long long>(files),
                failure.empty() ? "" : ",\"failure\":\"", failure.c_str(), failure.empty() ? "" : "\"");
    std::fflush(stdout);
    // Exit without closing 10,000 sockets one by one: the kernel does it.
    std::_Exit(failure.empty() ? 0 : 1);
}
