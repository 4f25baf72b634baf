#include "redis_server.hpp"

#include <hiredis/hiredis.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace brolostack::test {

namespace fs = std::filesystem;
using native::redis::RedisConnection;
using native::redis::RedisOptions;
using native::redis::RedisReply;
using native::redis::RedisSubscriber;

std::uint16_t freePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    std::uint16_t port = 0;
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
        port = ntohs(address.sin_port);
    if (fd >= 0) ::close(fd);
    return port;
}

RedisServer::RedisServer() {
    // mkdtemp(3) replaces the six X's with a unique suffix and creates the
    // folder; if it cannot, dir_ stays empty and start() fails the test.
    std::string pattern = (fs::temp_directory_path() / "brolostack-redis-XXXXXX").string();
    if (::mkdtemp(pattern.data())) dir_ = pattern;
}

RedisServer::~RedisServer() {
    kill();
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
}

std::string RedisServer::url(int db) const {
    return "redis://127.0.0.1:" + std::to_string(port_) + (db ? "/" + std::to_string(db) : "");
}

std::string RedisServer::log() const {
    std::ifstream in(dir_ / "redis.log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

void RedisServer::start() {
    ASSERT_FALSE(dir_.empty()) << "no temporary folder";
    ASSERT_FALSE(running());
    // The first start picks a port; should another process take it in
    // between, pick another. A restart keeps its port.
    bool first = port_ == 0;
    for (int tries = 0; tries < (first ? 5 : 1); ++tries) {
        if (first) port_ = freePort();
        ASSERT_NE(port_, 0) << "no free port";
        if (launch()) return;
    }
    FAIL() << "redis-server did not start on port " << port_ << " (is it installed? scripts/install-deps.sh)\n"
           << log();
}

bool RedisServer::launch() {
    std::string port = std::to_string(port_);
    std::string dir = dir_.string();
    std::string logFile = (dir_ / "redis.log").string();
    std::vector<std::string> args = {"redis-server", "--port",       port,   "--bind", "127.0.0.1", "--save", "",
                                     "--appendonly", "no",           "--dir", dir,     "--logfile", logFile,
                                     "--daemonize",  "no",           "--protected-mode", "no"};
    if (!password.empty()) {
        args.push_back("--requirepass");
        args.push_back(password);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) return false;
    if (pid == 0) {
        // The child: die with the test process, whatever ends it.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(1);
        ::execvp("redis-server", argv.data());
        ::_exit(127);
    }
    pid_ = pid;
    // Wait until it answers (or is gone: the port was taken, say).
    for (int i = 0; i < 1000; ++i) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return false;
        }
        if (answers()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    kill();
    return false;
}

bool RedisServer::answers() {
    timeval timeout{1, 0};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, timeout);
    bool ok = false;
    if (c && !c->err) {
        if (!password.empty()) freeReplyObject(redisCommand(c, "AUTH %s", password.c_str()));
        auto* reply = static_cast<redisReply*>(redisCommand(c, "PING"));
        ok = reply && reply->type == REDIS_REPLY_STATUS;
        if (reply) freeReplyObject(reply);
    }
    if (c) redisFree(c);
    return ok;
}

void RedisServer::pause() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void RedisServer::resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
}

void RedisServer::kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

::testing::AssertionResult RedisTest::runUntil(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return ::testing::AssertionFailure() << "never happened";
        if (io.stopped()) io.restart();
        if (io.run_one_for(std::chrono::milliseconds(20)) == 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));  // no work at all: do not spin
    }
    return ::testing::AssertionSuccess();
}

RedisOptions RedisTest::fastRetries() {
    RedisOptions options;
    options.reconnectMin = std::chrono::milliseconds(5);
    options.reconnectMax = std::chrono::milliseconds(50);
    return options;
}

std::unique_ptr<RedisConnection> RedisTest::connection(const std::string& url) {
    auto opened = RedisConnection::open(io, url, fastRetries());
    if (auto* error = std::get_if<std::string>(&opened)) {
        ADD_FAILURE() << *error;
        return nullptr;
    }
    return std::move(std::get<std::unique_ptr<RedisConnection>>(opened));
}

std::unique_ptr<RedisConnection> RedisTest::connected(const std::string& url) {
    auto c = connection(url);
    if (c) {
        EXPECT_TRUE(runUntil([&] { return c->up(); })) << c->lastError();
    }
    return c;
}

std::unique_ptr<RedisSubscriber> RedisTest::subscriber() {
    auto opened = RedisSubscriber::open(io, server.url(), fastRetries());
    if (auto* error = std::get_if<std::string>(&opened)) {
        ADD_FAILURE() << *error;
        return nullptr;
    }
    return std::move(std::get<std::unique_ptr<RedisSubscriber>>(opened));
}

RedisReply RedisTest::call(RedisConnection& connection, std::vector<std::string> args) {
    // Shared: should the reply never come, the callback may outlive this call.
    auto reply = std::make_shared<std::optional<RedisReply>>();
    std::vector<std::string_view> views(args.begin(), args.end());
    connection.command(views, [reply](RedisReply r) { *reply = std::move(r); });
    EXPECT_TRUE(runUntil([&] { return reply->has_value(); }));
    return *reply ? **reply : RedisReply::ofError(native::redis::RedisError::Kind::Unexpected, "no reply");
}

}  // namespace brolostack::test
