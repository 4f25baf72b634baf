// The direct write path (direct_writer.hpp) over a real socket pair and a
// stand-in for websocketpp's connection: frames of a turn go out whole and in
// order; what a full socket leaves unwritten goes to websocketpp's queue, and
// nothing is written past it until websocketpp has written it.
#include "direct_writer.hpp"

#include <websocketpp/message_buffer/alloc.hpp>
#include <websocketpp/message_buffer/message.hpp>

#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <system_error>

namespace brolostack::native {
namespace {

using Message = websocketpp::message_buffer::message<websocketpp::message_buffer::alloc::con_msg_manager>;
using State = websocketpp::session::state::value;

/// What DirectWriter uses of a websocketpp connection; its queue stands for
/// websocketpp's send queue (written by `drain`).
struct FakeConnection {
    struct Socket {
        int fd = -1;
        int native_handle() const { return fd; }
    };
    State state = websocketpp::session::state::open;
    Socket socket;
    std::vector<std::shared_ptr<Message>> queue;

    State get_state() const { return state; }
    Socket& get_raw_socket() { return socket; }
    std::size_t get_buffered_amount() const {
        std::size_t n = 0;
        for (const auto& m : queue) n += m->get_payload().size();
        return n;
    }
    std::error_code send(std::shared_ptr<Message> msg) {
        if (state != websocketpp::session::state::open) return std::make_error_code(std::errc::not_connected);
        queue.push_back(std::move(msg));
        return {};
    }
    /// websocketpp writes its queue.
    void drain(std::string& wire) {
        for (const auto& m : queue) wire += m->get_header() + m->get_payload();
        queue.clear();
    }
};

using Writer = DirectWriter<std::shared_ptr<FakeConnection>, Message>;

std::string wire(const std::string& payload) {
    // Unmasked text frames: 0x81, then the length (7 bits, or 126 + 16 bits).
    std::string h(1, '\x81');
    if (payload.size() < 126) {
        h += static_cast<char>(payload.size());
    } else {
        h += static_cast<char>(126);
        h += static_cast<char>(payload.size() >> 8);
        h += static_cast<char>(payload.size() & 0xff);
    }
    return h + payload;
}

server::SharedFrame frame(const std::string& text) { return std::make_shared<const std::string>(text); }

struct DirectWriterTest : ::testing::Test {
    asio::io_context io;
    Writer writer{io};
    int peer = -1;
    std::shared_ptr<FakeConnection> con = std::make_shared<FakeConnection>();

    void SetUp() override {
        int fds[2];
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
        con->socket.fd = fds[0];
        peer = fds[1];
        ::fcntl(peer, F_SETFL, O_NONBLOCK);
        writer.adopt(1, con);
    }
    void TearDown() override {
        ::close(con->socket.fd);
        ::close(peer);
    }
    void shrinkSendBuffer() {
        int small = 4096;
        ::setsockopt(con->socket.fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    }
    /// Everything the peer can read now.
    std::string readAll() {
        std::string got;
        char buf[65536];
        for (;;) {
            ssize_t n = ::read(peer, buf, sizeof buf);
            if (n <= 0) break;
            got.append(buf, static_cast<std::size_t>(n));
        }
        return got;
    }
    /// The loop turn ends: the posted flush runs.
    void endTurn() {
        io.restart();
        io.poll();
    }
    void send(server::ConnId id, const server::SharedFrame& f) {
        Writer::Conn* c = writer.find(id);
        ASSERT_NE(c, nullptr);
        writer.queue(*c, writer.prepare(f, false));
    }
};

TEST_F(DirectWriterTest, FramesOfATurnGoOutAtItsEndInOrder) {
    auto a = frame(R"({"op":"message","n":1})");
    auto b = frame(std::string(300, 'b'));
    send(1, a);
    send(1, b);
    send(1, a);
    EXPECT_EQ(readAll(), "") << "nothing is written before the end of the turn";
    EXPECT_EQ(Writer::buffered(*writer.find(1)), 2 * wire(*a).size() + wire(*b).size());
    endTurn();
    EXPECT_EQ(readAll(), wire(*a) + wire(*b) + wire(*a));
    EXPECT_EQ(Writer::buffered(*writer.find(1)), 0u);
    EXPECT_TRUE(con->queue.empty());
}

TEST_F(DirectWriterTest, AFrameIsPreparedOncePerTurnForAllItsReceivers) {
    auto a = frame("shared");
    const WireFrame& first = writer.prepare(a, false);
    writer.prepare(frame("other"), false);
    EXPECT_EQ(&writer.prepare(a, false), &first);
    EXPECT_EQ(first.bytes, wire("shared"));
}

TEST_F(DirectWriterTest, WhatAFullSocketLeavesGoesToWebsocketppAndLaterFramesQueueBehindIt) {
    shrinkSendBuffer();
    std::string expected;
    for (int i = 0; i < 200; ++i) {
        auto f = frame(std::to_string(i) + ":" + std::string(1000, 'x'));
        expected += wire(*f);
        send(1, f);
    }
    endTurn();
    std::string got = readAll();
    ASSERT_LT(got.size(), expected.size()) << "the socket took everything: the test needs a smaller buffer";
    ASSERT_EQ(con->queue.size(), 1u) << "the rest, as one message";
    EXPECT_EQ(Writer::buffered(*writer.find(1)), expected.size() - got.size());

    // websocketpp still holds the rest: the next turn's frames queue behind it,
    // even with room in the socket again.
    auto later = frame("later");
    expected += wire(*later);
    send(1, later);
    endTurn();
    EXPECT_EQ(readAll(), "");
    ASSERT_EQ(con->queue.size(), 2u);

    // Once websocketpp wrote its queue, frames are written directly again.
    con->drain(got);
    auto last = frame("last");
    expected += wire(*last);
    send(1, last);
    endTurn();
    got += readAll();
    EXPECT_TRUE(con->queue.empty());
    EXPECT_EQ(got, expected);
}

TEST_F(DirectWriterTest, ControlFramesOfWebsocketppGoAfterWhatWasQueuedAndBeforeWhatFollows) {
    auto before = frame("before");
    send(1, before);
    writer.yieldTo(1);  // websocketpp is about to write a pong
    std::string got = readAll();
    EXPECT_EQ(got, wire(*before)) << "the turn's frames went out first";
    auto pong = std::make_shared<Message>(nullptr, websocketpp::frame::opcode::pong, 0);
    pong->set_header(std::string("\x8a\x00", 2));
    con->queue.push_back(pong);
    pong.reset();

    auto after = frame("after");
    send(1, after);
    endTurn();
    EXPECT_EQ(readAll(), "") << "nothing passes websocketpp's pong";
    con->drain(got);
    EXPECT_EQ(got, wire(*before) + std::string("\x8a\x00", 2) + wire(*after));

    auto next = frame("next");
    send(1, next);
    endTurn();
    EXPECT_EQ(readAll(), wire(*next)) << "direct again once websocketpp wrote its frames";
}

TEST_F(DirectWriterTest, NothingIsWrittenOnceTheConnectionIsClosed) {
    send(1, frame("late"));
    con->state = websocketpp::session::state::closed;
    endTurn();
    EXPECT_EQ(readAll(), "");
    EXPECT_TRUE(con->queue.empty());
    EXPECT_EQ(Writer::buffered(*writer.find(1)), 0u);
}

TEST_F(DirectWriterTest, NothingIsWrittenOnceWebsocketppIsClosing) {
    // websocketpp closes while reading (the peer's close, a protocol error):
    // its close frame may be on the wire before the flush runs, and nothing
    // may follow it. (A close the server starts writes the turn first: yieldTo.)
    send(1, frame("reply"));
    con->state = websocketpp::session::state::closing;
    endTurn();
    EXPECT_EQ(readAll(), "");
    EXPECT_TRUE(con->queue.empty());
}

TEST_F(DirectWriterTest, FramesQueuedByHandlersThatRunBeforeTheFlushGoOutInItsWrite) {
    // A publisher's next read is a handler queued behind the flush: the flush
    // lets it run first, so every receiver gets both messages in one write.
    send(1, frame("a"));
    std::string beforeB = "not run";
    asio::post(io, [&] {
        beforeB = readAll();
        send(1, frame("b"));
    });
    endTurn();
    EXPECT_EQ(beforeB, "") << "nothing was written before the handler queued behind the flush ran";
    EXPECT_EQ(readAll(), wire("a") + wire("b"));
}

TEST_F(DirectWriterTest, AFlushStopsWaitingOnceTheConnectionsHoldEnoughFrames) {
    // A handler that queues a frame and posts itself again never goes quiet:
    // the flush still writes once the connection holds a deep write's worth.
    int rounds = 0;
    int firstWrittenAt = 0;
    std::string seen;
    std::function<void()> chatty = [&] {
        ++rounds;
        seen += readAll();
        if (!seen.empty() && firstWrittenAt == 0) firstWrittenAt = rounds;
        send(1, frame("x"));
        if (rounds < 100) asio::post(io, chatty);
    };
    asio::post(io, chatty);
    endTurn();
    seen += readAll();
    EXPECT_GT(firstWrittenAt, 1) << "the first flush waited for more";
    EXPECT_LE(firstWrittenAt, 40) << "but only until about 32 frames were queued";
    EXPECT_EQ(seen.size(), 100 * wire("x").size()) << "every frame once, none lost";
}

TEST_F(DirectWriterTest, AFlushWaitsForABoundedNumberOfRounds) {
    // One frame per round spread over many connections never makes a deep
    // write: the rounds bound the wait instead.
    constexpr int kConns = 8;
    std::vector<std::array<int, 2>> pairs(kConns);
    for (int i = 0; i < kConns; ++i) {
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i].data()), 0);
        ::fcntl(pairs[i][1], F_SETFL, O_NONBLOCK);
        auto con = std::make_shared<FakeConnection>();
        con->socket.fd = pairs[i][0];
        writer.adopt(100 + i, con);
    }
    auto anyWritten = [&] {
        char buf[4096];
        bool any = false;
        for (auto& p : pairs) any = ::read(p[1], buf, sizeof buf) > 0 || any;
        return any;
    };
    int rounds = 0;
    int firstWrittenAt = 0;
    std::function<void()> chatty = [&] {
        ++rounds;
        if (firstWrittenAt == 0 && anyWritten()) firstWrittenAt = rounds;
        send(static_cast<server::ConnId>(100 + rounds % kConns), frame("x"));
        if (rounds < 200) asio::post(io, chatty);
    };
    asio::post(io, chatty);
    endTurn();
    EXPECT_GT(firstWrittenAt, 40) << "shallow writes wait longer than deep ones";
    EXPECT_LE(firstWrittenAt, 70) << "but not for ever";
    for (auto& p : pairs) {
        ::close(p[0]);
        ::close(p[1]);
    }
}

TEST_F(DirectWriterTest, AForgottenConnectionIsSkipped) {
    send(1, frame("gone"));
    writer.forget(1);
    endTurn();
    EXPECT_EQ(readAll(), "");
    EXPECT_FALSE(writer.adopted(1));
}

TEST_F(DirectWriterTest, ForgettingOneConnectionLeavesTheOthersFramesOfTheTurn) {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
    auto other = std::make_shared<FakeConnection>();
    other->socket.fd = fds[0];
    writer.adopt(2, other);
    auto f = frame("to both");
    send(1, f);
    send(2, f);
    writer.forget(1);
    endTurn();
    EXPECT_EQ(readAll(), "");
    char buf[256];
    ssize_t n = ::read(fds[1], buf, sizeof buf);
    EXPECT_EQ(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0), wire("to both"));
    ::close(fds[0]);
    ::close(fds[1]);
}

}  // namespace
}  // namespace brolostack::native
