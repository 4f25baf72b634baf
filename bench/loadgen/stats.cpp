#include "stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace loadgen {

std::string CodeCounts::json() const {
    std::string out = "{";
    bool first = true;
    for (const auto& s : slots_) {
        if (s.count == 0) continue;
        out += (first ? "\"" : ",\"") + std::to_string(s.code) + "\":" + std::to_string(s.count);
        first = false;
    }
    if (overflow_) out += std::string(first ? "" : ",") + "\"other\":" + std::to_string(overflow_);
    return out + "}";
}

static std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) continue;
        out += c;
    }
    return out;
}

std::string Errors::json() const {
    char head[512];
    std::snprintf(head, sizeof head,
                  "{\"total\":%llu,\"connect\":%llu,\"upgrade\":%llu,\"disconnects\":%llu,\"error_frames\":%llu,"
                  "\"protocol\":%llu,\"timeouts\":%llu,",
                  static_cast<unsigned long long>(total()), static_cast<unsigned long long>(connect),
                  static_cast<unsigned long long>(upgrade), static_cast<unsigned long long>(disconnects),
                  static_cast<unsigned long long>(errorFrames), static_cast<unsigned long long>(protocol),
                  static_cast<unsigned long long>(timeouts));
    return std::string(head) + "\"http_status\":" + httpStatus.json() + ",\"close_codes\":" + closeCodes.json() +
           ",\"first_error\":\"" + escape(firstError.substr(0, 300)) + "\"}";
}

double ownCpuSeconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::int64_t rssBytes(int pid) {
    if (pid <= 0) return 0;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE* f = std::fopen(path, "r");
    if (!f) return 0;
    char line[256];
    std::int64_t kb = 0;
    while (std::fgets(line, sizeof line, f)) {
        if (std::strncmp(line, "VmRSS:", 6) == 0) {
            kb = std::atoll(line + 6);
            break;
        }
    }
    std::fclose(f);
    return kb * 1024;
}

double cpuSecondsOf(int pid) {
    if (pid <= 0) return 0;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE* f = std::fopen(path, "r");
    if (!f) return 0;
    char buf[1024];
    std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = 0;
    const char* p = std::strrchr(buf, ')');
    if (!p) return 0;
    // Fields after the command: state is field 3; utime and stime are 14 and 15.
    unsigned long long utime = 0, stime = 0;
    if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return 0;
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double machineBusySeconds() {
    FILE* f = std::fopen("/proc/stat", "r");
    if (!f) return 0;
    unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    int n = std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system, &idle, &iowait, &irq,
                        &softirq, &steal);
    std::fclose(f);
    if (n != 8) return 0;
    return static_cast<double>(user + nice + system + irq + softirq + steal) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string jsonNumber(double v) {
    if (!std::isfinite(v)) return "null";
    char b[64];
    std::snprintf(b, sizeof b, "%.6g", v);
    return b;
}

}  // namespace loadgen
