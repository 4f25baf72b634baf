// Everything the command line sets (main.cpp parses it with CLI11).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace loadgen {

struct Options {
    std::string scenario = "fanout";   // fanout | echo | idle | args
    std::string dialect = "brolostack";  // brolostack | socketio | ws
    std::string host = "127.0.0.1";
    std::uint16_t port = 3001;
    // fanout: subscribers spread round-robin over these ports (servers of one
    // cluster); empty: all on `port`, like the publisher
    std::vector<std::uint16_t> subscriberPorts;
    std::string path;  // empty: the dialect's default
    std::string room = "bench";

    // fanout
    int subscribers = 100;
    int window = 32;         // publishes in flight at most (flat out)
    double rate = 0;         // publishes per second; 0 = flat out
    std::vector<double> pacedFractions;  // after a flat-out phase: paced phases at these shares of its peak
    int pacedWindow = 100000;  // in-flight bound while paced (only a safety net)
    int payloadBytes = 256;
    double duration = 3;     // measured seconds per phase
    double warmup = 1;       // unmeasured seconds before the first phase
    double settle = 0.5;     // seconds between phases (in-flight messages drain)

    // idle
    int connections = 1000;
    double hold = 1;         // seconds to idle before the second RSS reading

    // args
    int agents = 20;
    int agentsPerConnection = 1;
    int agentCapacity = 4;   // maxConcurrentTasks of each agent
    bool agentsLeaveSession = false;  // agent connections leave the session's room once registered

    // connections
    int serverPid = 0;       // for RSS and CPU readings of the server
    std::vector<int> watchPids;  // fanout: processes whose CPU seconds each phase reports
    int sourceAddresses = 1; // 127.0.0.1 .. 127.0.0.N as source addresses
    int connectBatch = 256;  // handshakes in progress at most
    double setupTimeout = 120;
    std::size_t inBuffer = 16384;
    std::size_t maxFrame = 16 << 20;
};

}  // namespace loadgen
