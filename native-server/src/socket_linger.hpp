// Sockets of finished connections, kept open a little longer: what the peer
// still sends is read and discarded until it closes its side or the linger
// time is up, and only then is the socket closed.
//
// Closing a socket with unread input makes the kernel send a TCP reset, which
// can reach the peer before the close frame it was sent (a client writing a
// frame past MAX_MESSAGE_BYTES, or backed up with its own data, would see
// ECONNRESET instead of 1009 or 4090). RFC 6455 section 7.1.1 asks the same:
// the TCP connection ends after the peer's close, not before.
#pragma once

#include <asio.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>

namespace brolostack::native {

class SocketLinger {
public:
    /// Up to `maxSockets` sockets linger at once, each for at most `linger`;
    /// past that many, a socket is closed at once.
    SocketLinger(asio::io_context& io, std::chrono::milliseconds linger, std::size_t maxSockets);
    ~SocketLinger();

    /// Keeps the socket behind `fd` (still owned by its connection) open on
    /// a duplicate of its own until the peer closes or the time is up.
    void adopt(int fd);
    /// Closes every lingering socket now (the server is stopping).
    void closeAll();
    std::size_t size() const { return sockets_.size(); }

private:
    struct Lingering;
    void awaitInput(std::uint64_t id);
    void finish(std::uint64_t id);

    asio::io_context& io_;
    std::chrono::milliseconds linger_;
    std::size_t maxSockets_;
    std::uint64_t nextId_ = 0;
    std::map<std::uint64_t, std::unique_ptr<Lingering>> sockets_;
};

}  // namespace brolostack::native
