// A real redis-server for the tests: its own port and folder, nothing kept
// on disk, killed in the destructor. It also dies with the test process
// (PR_SET_PDEATHSIG), so a crashing test leaves no server behind.
#pragma once

#include "redis/redis_connection.hpp"
#include "redis/redis_subscriber.hpp"

#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace brolostack::test {

class RedisServer {
public:
    RedisServer();
    ~RedisServer();
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    /// Starts it (again on the same port after kill()) and waits until it
    /// answers PING. A fatal gtest failure when it does not.
    void start();
    /// SIGKILL, as a crash would, and waits for it to be gone.
    void kill();
    bool running() const { return pid_ > 0; }
    /// SIGSTOP: it keeps its connections open and answers nothing, as a
    /// stuck or swapping server would. resume() sends SIGCONT.
    void pause();
    void resume();

    std::uint16_t port() const { return port_; }
    std::string url(int db = 0) const;
    /// Set before start(): clients must AUTH with it (requirepass).
    std::string password;
    /// Its log file, for failure messages.
    std::string log() const;

private:
    bool launch();
    bool answers();

    std::filesystem::path dir_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

/// A port nothing listens on right now.
std::uint16_t freePort();

/// A fresh redis-server per test and an io_context to drive the clients.
class RedisTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_NO_FATAL_FAILURE(server.start()); }

    /// Runs the loop until `done()` holds. The deadline only keeps a broken
    /// test from hanging: it is far above what any step needs.
    ::testing::AssertionResult runUntil(const std::function<bool()>& done);

    /// Quick retries, so a restart test does not wait on a long backoff.
    static native::redis::RedisOptions fastRetries();
    std::unique_ptr<native::redis::RedisConnection> connection(const std::string& url);
    std::unique_ptr<native::redis::RedisConnection> connection() { return connection(server.url()); }
    /// A connection that is up.
    std::unique_ptr<native::redis::RedisConnection> connected(const std::string& url);
    std::unique_ptr<native::redis::RedisConnection> connected() { return connected(server.url()); }
    std::unique_ptr<native::redis::RedisSubscriber> subscriber();

    /// Sends one command and runs the loop until its reply.
    native::redis::RedisReply call(native::redis::RedisConnection& connection, std::vector<std::string> args);

    /// Starts a call that answers a RedisResult<T> and runs the loop until
    /// it did; its value (a failure, and T{}, when it failed).
    template <class T>
    T await(const std::function<void(std::function<void(native::redis::RedisResult<T>)>)>& start) {
        std::optional<native::redis::RedisResult<T>> result;
        start([&](native::redis::RedisResult<T> r) { result.emplace(std::move(r)); });
        EXPECT_TRUE(runUntil([&] { return result.has_value(); }));
        if (!result || !result->ok()) {
            ADD_FAILURE() << (result ? result->error().message : "no answer");
            return T{};
        }
        return result->value();
    }

    RedisServer server;
    asio::io_context io;  // the clients are the tests' locals: gone before it
};

}  // namespace brolostack::test
