// Data frames to plain-TCP connections, written by us instead of through
// websocketpp's per-message send queue: each frame is prepared once per loop
// turn (header + payload in one buffer, shared by every receiver), and each
// connection gets its frames of the turn in one gathered sendmsg() at the end
// of the turn (a turn lasts while the handlers it lets run queue more). Per delivery that is a pointer appended to a vector; per
// connection one system call, with no handler, shared_ptr or allocation.
//
// websocketpp keeps the handshake, the reads, control frames and the close,
// and the two never interleave bytes on a socket:
// - What a write leaves unwritten (EAGAIN) goes to websocketpp's queue as one
//   message, so its buffered amount (the slow-consumer mark) sees it, and
//   everything after it, control frames included, queues behind it.
// - While websocketpp holds something of ours (`handedOver` alive), or is
//   about to write a control frame of its own (`yielded`: ping, pong, close),
//   a turn's frames are handed to it too, as one message, never written past it.
// - A frame is only written while the connection is open: a close the
//   server starts writes the turn's frames first (yieldTo), and one the peer
//   starts may already be on the wire when the flush runs.
//
// Used on plain TCP connections without permessage-deflate; TLS and
// compressed connections keep websocketpp's path.
#pragma once

#include "brolostack/server/outbox.hpp"

#include <websocketpp/connection.hpp>  // session::state
#include <websocketpp/frame.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace brolostack::native {

/// One server frame as bytes on the wire (header + payload), made once per
/// loop turn for all its receivers. Holds the shared payload, so its address
/// (the key it was made under) stays taken while the frame is in use.
struct WireFrame {
    server::SharedFrame payload;
    bool binary = false;
    std::string bytes;
};

template <class ConnectionPtr, class Message>
class DirectWriter {
public:
    explicit DirectWriter(asio::io_context& io) : io_(io) {}

    /// Takes a newly open connection onto the direct path.
    void adopt(server::ConnId id, ConnectionPtr con) {
        Conn& c = conns_[id];
        c.fd = con->get_raw_socket().native_handle();
        c.con = std::move(con);
    }
    /// The connection closed: what it still had queued is dropped.
    void forget(server::ConnId id) {
        auto it = conns_.find(id);
        if (it == conns_.end()) return;
        if (it->second.dirty) dirty_.erase(std::find(dirty_.begin(), dirty_.end(), &it->second));
        conns_.erase(it);
    }
    bool adopted(server::ConnId id) const { return conns_.count(id) != 0; }

    /// A connection on the direct path.
    struct Conn {
        ConnectionPtr con;
        int fd = -1;                            // the socket's, kept to spare a look into `con` per write
        std::vector<const WireFrame*> pending;  // this turn's frames, in order
        std::size_t pendingBytes = 0;
        std::weak_ptr<Message> handedOver;      // the last message given to websocketpp's queue
        bool yielded = false;                   // websocketpp writes a frame of its own
        bool dirty = false;                     // in dirty_
    };

    /// The connection's state, or null when it is not on the direct path.
    Conn* find(server::ConnId id) {
        auto it = conns_.find(id);
        return it == conns_.end() ? nullptr : &it->second;
    }

    /// Bytes waiting in the server for the connection: this turn's and
    /// websocketpp's queue (what a partial write left included). websocketpp's
    /// is only read while it holds something: the connection object is
    /// another cache line per delivery.
    static std::size_t buffered(Conn& c) {
        return websocketppWriting(c) ? c.pendingBytes + c.con->get_buffered_amount() : c.pendingBytes;
    }
    static bool open(const Conn& c) { return c.con->get_state() == websocketpp::session::state::open; }

    /// The wire bytes of `payload`, made once per turn however many receive it.
    const WireFrame& prepare(const server::SharedFrame& payload, bool binary) {
        if (last_ && last_->payload == payload && last_->binary == binary) return *last_;
        auto [it, added] = prepared_.try_emplace(payload.get(), nullptr);
        if (added || it->second->binary != binary) {
            frames_.push_back(WireFrame{payload, binary, wireBytes(*payload, binary)});
            it->second = &frames_.back();
        }
        last_ = it->second;
        return *last_;
    }

    /// Queues `frame` for the connection; it goes out at the end of the turn.
    void queue(Conn& c, const WireFrame& frame) {
        c.pending.push_back(&frame);
        c.pendingBytes += frame.bytes.size();
        ++queuedSincePost_;
        ++queuedSinceFlush_;
        markDirty(c);
    }

    /// websocketpp is about to write on the connection (a ping, pong or
    /// close): what this turn queued goes out first, and until websocketpp
    /// has written its frame, ours queue behind it.
    void yieldTo(server::ConnId id) {
        Conn* c = find(id);
        if (!c) return;
        write(*c);
        c->yielded = true;
        markDirty(*c);
    }

    /// Writes every connection's frames of this turn. Posted once per turn;
    /// while the handlers that ran since it was posted queued more frames
    /// (a publisher's reads come 1 KiB at a time, a few messages each; a
    /// storm of joins brings one presence frame per member each), it lets
    /// the handlers queued meanwhile run first: a broadcast then costs each
    /// receiver one write for many messages. It stops waiting once the
    /// connections hold kFramesPerWrite frames each on average (a deeper
    /// write saves little more, and holding frames holds back a publisher
    /// that waits for them), or after kMaxRounds rounds.
    void flush() {
        const bool deep = queuedSinceFlush_ >= kFramesPerWrite * dirty_.size();
        if (queuedSincePost_ > 0 && rounds_ < kMaxRounds && !deep) {
            queuedSincePost_ = 0;
            ++rounds_;
            asio::post(io_, [this] { flush(); });
            return;
        }
        flushPosted_ = false;
        queuedSincePost_ = 0;
        queuedSinceFlush_ = 0;
        rounds_ = 0;
        // A connection closed by a write below (its close handler runs later,
        // from the loop) is still there: nothing here erases from conns_, and
        // forget() takes a connection off dirty_ before erasing it.
        for (Conn* dirty : dirty_) {
            Conn& c = *dirty;
            c.dirty = false;
            write(c);
            if (c.yielded) handOver(c, std::string());  // a marker behind websocketpp's own frame
        }
        dirty_.clear();
        prepared_.clear();
        frames_.clear();
        last_ = nullptr;
    }

private:
    static std::string wireBytes(const std::string& payload, bool binary) {
        namespace frame = websocketpp::frame;
        auto opcode = binary ? frame::opcode::binary : frame::opcode::text;
        frame::basic_header h(opcode, payload.size(), true, false, false);
        frame::extended_header e(payload.size());
        std::string bytes = frame::prepare_header(h, e);
        bytes += payload;
        return bytes;
    }

    void markDirty(Conn& c) {
        if (!c.dirty) {
            c.dirty = true;
            dirty_.push_back(&c);
        }
        if (!flushPosted_) {
            flushPosted_ = true;
            asio::post(io_, [this] { flush(); });
        }
    }

    /// Whether websocketpp holds bytes for the socket that are not written yet.
    /// A message it has written is let go of, so the usual answer (nothing
    /// handed over) reads nothing but `c`.
    static bool websocketppWriting(Conn& c) {
        if (c.yielded) return true;
        if (!c.handedOver.expired()) return true;
        c.handedOver.reset();
        return false;
    }

    /// The connection's pending frames onto the socket, or to websocketpp's queue.
    void write(Conn& c) {
        if (c.pending.empty()) return;
        const auto state = c.con->get_state();
        if (state == websocketpp::session::state::open && websocketppWriting(c)) {
            handOver(c, gather(c, 0));
        } else if (state == websocketpp::session::state::open) {
            std::size_t written = send(c);
            if (written < c.pendingBytes) handOver(c, gather(c, written));
        }
        // Closing or closed: a close the server starts writes this turn's
        // frames first (yieldTo); one the peer or websocketpp started may
        // already be on the wire, so nothing more goes out after it.
        c.pending.clear();
        if (c.pending.capacity() > kKeptCapacity) std::vector<const WireFrame*>().swap(c.pending);
        c.pendingBytes = 0;
    }

    /// One gathered write of the pending frames; returns the bytes written.
    static std::size_t send(Conn& c) {
        const int fd = c.fd;
        std::size_t total = 0;
        std::size_t next = 0;
        iovec iov[kMaxIov];
        while (next < c.pending.size()) {
            std::size_t count = 0;
            std::size_t batch = 0;
            for (std::size_t i = next; i < c.pending.size() && count < kMaxIov; ++i, ++count) {
                iov[count].iov_base = const_cast<char*>(c.pending[i]->bytes.data());
                iov[count].iov_len = c.pending[i]->bytes.size();
                batch += c.pending[i]->bytes.size();
            }
            msghdr msg{};
            msg.msg_iov = iov;
            msg.msg_iovlen = count;
            ssize_t n;
            do n = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
            while (n < 0 && errno == EINTR);
            if (n < 0) {
                // Full (EAGAIN): the caller hands the rest over. Broken: the
                // read side sees it and closes; nothing more can go out.
                return errno == EAGAIN || errno == EWOULDBLOCK ? total : c.pendingBytes;
            }
            total += static_cast<std::size_t>(n);
            if (static_cast<std::size_t>(n) < batch) return total;
            next += count;
        }
        return total;
    }

    /// The pending bytes from `offset` on, in one buffer.
    static std::string gather(const Conn& c, std::size_t offset) {
        std::string rest;
        rest.reserve(c.pendingBytes - offset);
        for (const WireFrame* f : c.pending) {
            if (offset >= f->bytes.size()) {
                offset -= f->bytes.size();
                continue;
            }
            rest.append(f->bytes, offset, std::string::npos);
            offset = 0;
        }
        return rest;
    }

    /// `bytes` (whole frames, or the rest of a partly written one and whole
    /// frames) to websocketpp's queue, as one prepared message: its buffered
    /// amount counts them, and whatever it writes later goes after them.
    void handOver(Conn& c, std::string bytes) {
        c.yielded = false;
        auto msg = std::make_shared<Message>(nullptr, websocketpp::frame::opcode::binary, 0);
        msg->set_header(std::string());
        msg->set_payload(std::move(bytes));
        msg->set_prepared(true);
        if (!c.con->send(msg)) c.handedOver = msg;
    }

    static constexpr std::size_t kMaxIov = IOV_MAX < 1024 ? IOV_MAX : 1024;
    static constexpr std::size_t kKeptCapacity = 64;  // an idle connection keeps no large vector
    static constexpr int kMaxRounds = 64;             // handler rounds a flush waits for more frames
    static constexpr std::size_t kFramesPerWrite = 32;  // ... unless the connections hold this many each

    asio::io_context& io_;
    std::unordered_map<server::ConnId, Conn> conns_;
    std::vector<Conn*> dirty_;  // unordered_map nodes: their addresses hold until erased
    bool flushPosted_ = false;
    std::size_t queuedSincePost_ = 0;  // deliveries queued since the flush was (re)posted
    std::size_t queuedSinceFlush_ = 0; // deliveries queued since the last flush wrote
    int rounds_ = 0;                   // times the posted flush let other handlers run first
    std::deque<WireFrame> frames_;  // this turn's; a deque so the pointers stay valid
    std::unordered_map<const std::string*, WireFrame*> prepared_;
    const WireFrame* last_ = nullptr;
};

}  // namespace brolostack::native
