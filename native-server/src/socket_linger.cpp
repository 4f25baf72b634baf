#include "socket_linger.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace brolostack::native {

struct SocketLinger::Lingering {
    Lingering(asio::io_context& io, int fd) : socket(io, fd), deadline(io) {}
    asio::posix::stream_descriptor socket;  // closes the duplicate when destroyed
    asio::steady_timer deadline;
};

SocketLinger::SocketLinger(asio::io_context& io, std::chrono::milliseconds linger, std::size_t maxSockets)
    : io_(io), linger_(linger), maxSockets_(maxSockets) {}

SocketLinger::~SocketLinger() { closeAll(); }

void SocketLinger::adopt(int fd) {
    if (fd < 0 || sockets_.size() >= maxSockets_) return;
    int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) return;  // out of descriptors: the connection's own close resets, as it would have
    const std::uint64_t id = ++nextId_;
    auto lingering = std::make_unique<Lingering>(io_, copy);
    lingering->deadline.expires_after(linger_);
    lingering->deadline.async_wait([this, id](const std::error_code& ec) {
        if (!ec) finish(id);
    });
    sockets_.emplace(id, std::move(lingering));
    awaitInput(id);
}

void SocketLinger::awaitInput(std::uint64_t id) {
    auto it = sockets_.find(id);
    if (it == sockets_.end()) return;
    it->second->socket.async_wait(asio::posix::stream_descriptor::wait_read, [this, id](const std::error_code& ec) {
        if (ec) return;  // canceled: finished already
        auto it = sockets_.find(id);
        if (it == sockets_.end()) return;
        // One buffer for every lingering socket: what it reads is thrown away.
        static char discard[65536];
        for (;;) {
            ssize_t n = ::recv(it->second->socket.native_handle(), discard, sizeof discard, MSG_DONTWAIT);
            if (n > 0) continue;
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            finish(id);  // the peer closed its side (0), or the socket failed
            return;
        }
        awaitInput(id);
    });
}

void SocketLinger::finish(std::uint64_t id) {
    auto it = sockets_.find(id);
    if (it == sockets_.end()) return;
    std::error_code ignored;
    it->second->deadline.cancel();
    it->second->socket.cancel(ignored);
    // Handlers still queued find the id gone; the descriptor closes with the entry.
    sockets_.erase(it);
}

void SocketLinger::closeAll() {
    while (!sockets_.empty()) finish(sockets_.begin()->first);
}

}  // namespace brolostack::native
