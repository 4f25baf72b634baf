#include "net.hpp"

#include "clock.hpp"
#include "ws_frame.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace loadgen {

namespace {
constexpr std::size_t kMaxEvents = 1024;
constexpr std::size_t kMaxUpgradeResponse = 16384;
constexpr std::size_t kMinReadSpace = 4096;
}  // namespace

Net::Net(const Options& options, Dialect& dialect, Sink& sink, Errors& errors, std::size_t maxConnections)
    : options_(options), dialect_(dialect), sink_(sink), errors_(errors) {
    path_ = options.path.empty() ? dialect.defaultPath() : options.path.c_str();
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
    // Reserved once: connections never move, so references stay valid.
    conns_.reserve(maxConnections);
    dirty_.reserve(maxConnections);
    events_.resize(kMaxEvents);
}

Net::~Net() {
    for (auto& c : conns_)
        if (c.fd >= 0) ::close(c.fd);
    if (epoll_ >= 0) ::close(epoll_);
}

std::uint32_t Net::open(int count, std::uint8_t role, std::size_t outCapacity,
                        const std::vector<std::uint16_t>& ports) {
    if (conns_.size() + static_cast<std::size_t>(count) > conns_.capacity())
        throw std::runtime_error("more connections than reserved");
    auto first = static_cast<std::uint32_t>(conns_.size());
    for (int i = 0; i < count; ++i) {
        conns_.emplace_back();
        Connection& c = conns_.back();
        c.index = static_cast<std::uint32_t>(conns_.size() - 1);
        c.role = role;
        c.outCapacity = outCapacity;
        c.port = ports.empty() ? options_.port : ports[static_cast<std::size_t>(i) % ports.size()];
        c.target = ports.empty() ? 0 : static_cast<std::uint8_t>(static_cast<std::size_t>(i) % ports.size());
        c.mask = 0x9E3779B9u ^ (c.index * 2654435761u) ^ 0x5bd1e995u;
        if (c.mask == 0) c.mask = 1;
    }
    pumpConnects();
    return first;
}

void Net::pumpConnects() {
    while (handshaking_ < options_.connectBatch && started_ < static_cast<int>(conns_.size())) {
        startConnect(conns_[started_++]);
    }
}

void Net::startConnect(Connection& c) {
    ++handshaking_;
    c.state = ConnState::Connecting;
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
        if (errors_.firstError.empty()) errors_.firstError = std::string("socket: ") + std::strerror(errno);
        fail(c, Failure::Connect);
        return;
    }
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (options_.sourceAddresses > 1) {
        // Several source addresses lift the limit of one address's ephemeral
        // ports; the port is chosen at connect time, per 4-tuple.
        setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        sockaddr_in src{};
        src.sin_family = AF_INET;
        src.sin_addr.s_addr = htonl(0x7F000001u + c.index % static_cast<unsigned>(options_.sourceAddresses));
        if (::bind(c.fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
            if (errors_.firstError.empty()) errors_.firstError = std::string("bind: ") + std::strerror(errno);
            fail(c, Failure::Connect);
            return;
        }
    }
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(c.port);
    inet_pton(AF_INET, options_.host.c_str(), &dst.sin_addr);
    if (::connect(c.fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0 && errno != EINPROGRESS) {
        if (errors_.firstError.empty()) errors_.firstError = std::string("connect: ") + std::strerror(errno);
        fail(c, Failure::Connect);
        return;
    }
    c.in.init(options_.inBuffer);
    c.out.init(c.outCapacity);
    makeUpgradeKey((static_cast<std::uint64_t>(c.index) << 20) ^ static_cast<std::uint64_t>(nowNs()), c.key);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u32 = c.index;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
}

void Net::poll(std::int64_t timeoutNs) {
    timespec ts{static_cast<time_t>(timeoutNs / kNsPerSecond), static_cast<long>(timeoutNs % kNsPerSecond)};
    if (timeoutNs < 0) ts = {0, 0};
    int n = epoll_pwait2(epoll_, events_.data(), static_cast<int>(events_.size()), &ts, nullptr);
    for (int i = 0; i < n; ++i) {
        Connection& c = conns_[events_[i].data.u32];
        if (c.state != ConnState::Closed) onEvent(c, events_[i].events);
    }
    flushDirty();
    pumpConnects();
}

void Net::onEvent(Connection& c, std::uint32_t events) {
    if (c.state == ConnState::Connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
            if (errors_.firstError.empty()) errors_.firstError = std::string("connect: ") + std::strerror(err);
            fail(c, Failure::Connect);
            return;
        }
        if (!(events & EPOLLOUT)) return;
        std::size_t n = writeUpgradeRequest(c.out.space(), c.out.spaceLeft(), options_.host.c_str(), c.port,
                                            path_, c.key.key, dialect_.subprotocol());
        c.out.produce(n);
        c.state = ConnState::Upgrading;
        flush(c);
        if (c.state == ConnState::Closed) return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readAll(c);
    if (c.state != ConnState::Closed && (events & EPOLLOUT)) onWritable(c);
}

void Net::onWritable(Connection& c) {
    if (!c.out.empty()) flush(c);
}

void Net::readAll(Connection& c) {
    for (;;) {
        std::size_t want = c.need > c.in.size() ? c.need - c.in.size() : kMinReadSpace;
        if (c.in.spaceLeft() < want && !c.in.ensure(want, options_.maxFrame)) {
            ++errors_.protocol;
            fail(c, Failure::Protocol);
            return;
        }
        std::size_t room = c.in.spaceLeft();
        ssize_t r = ::read(c.fd, c.in.space(), room);
        if (r > 0) {
            readAt_ = nowNs();
            c.in.produce(static_cast<std::size_t>(r));
            bytesIn_ += static_cast<std::size_t>(r);
            if (!process(c)) return;
            // Less than asked for: the socket was empty at that moment, and
            // with edge triggering any later byte raises a new event.
            if (static_cast<std::size_t>(r) < room) break;
            continue;
        }
        if (r == 0) {
            fail(c, Failure::Disconnect);
            return;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        fail(c, Failure::Disconnect);
        return;
    }
    if (c.in.empty()) c.in.shrinkIfEmpty(options_.inBuffer);
}

bool Net::process(Connection& c) {
    if (c.state == ConnState::Upgrading) {
        std::size_t headerLength = 0;
        int status = 0;
        switch (checkUpgradeResponse(c.in.data(), c.in.size(), c.key.accept, headerLength, status)) {
        case UpgradeResult::Incomplete:
            if (c.in.size() > kMaxUpgradeResponse) {
                fail(c, Failure::Upgrade);
                return false;
            }
            return true;
        case UpgradeResult::Refused:
            errors_.httpStatus.add(status);
            fail(c, Failure::Upgrade);
            return false;
        case UpgradeResult::Invalid:
            if (errors_.firstError.empty()) errors_.firstError = "invalid upgrade response (accept key or status line)";
            fail(c, Failure::Upgrade);
            return false;
        case UpgradeResult::Ok:
            break;
        }
        c.in.consume(headerLength);
        c.state = ConnState::Open;
        dialect_.onUpgraded(c, *this);
        if (c.state == ConnState::Closed) return false;
    }
    for (;;) {
        FrameView f;
        std::size_t consumed = 0, need = 0;
        Parse p = parseServerFrame(c.in.data(), c.in.size(), f, consumed, need);
        if (p == Parse::NeedMore) {
            c.need = need;
            return true;
        }
        if (p == Parse::Invalid) {
            ++errors_.protocol;
            fail(c, Failure::Protocol);
            return false;
        }
        c.need = 0;
        dispatch(c, f.opcode, f.payload, f.length);
        if (c.state == ConnState::Closed) return false;
        c.in.consume(consumed);
    }
}

void Net::dispatch(Connection& c, std::uint8_t opcode, const char* payload, std::size_t n) {
    ++framesIn_;
    switch (opcode) {
    case kText:
        dialect_.onText(c, payload, n, *this, sink_);
        break;
    case kBinary:
        sink_.onOther(c, payload, n);
        break;
    case kPing:
        sendFrame(c, kPong, payload, n);
        break;
    case kPong:
        break;
    case kClose: {
        int code = n >= 2 ? ((static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]))
                          : 1005;
        errors_.closeCodes.add(code);
        if (errors_.firstError.empty() && n > 2)
            errors_.firstError = "close " + std::to_string(code) + ": " + std::string(payload + 2, n - 2);
        fail(c, Failure::ServerClosed);
        break;
    }
    default:
        // Fragmented messages: none of the servers measured sends them for
        // frames this small. Counted, not reassembled.
        ++errors_.protocol;
        break;
    }
}

bool Net::sendText(Connection& c, const char* text, std::size_t n) {
    if (c.state != ConnState::Open) return false;
    sendFrame(c, kText, text, n);
    return c.state == ConnState::Open;
}

void Net::sendFrame(Connection& c, std::uint8_t opcode, const char* payload, std::size_t n) {
    std::size_t size = clientFrameSize(n);
    if (c.out.spaceLeft() < size) {
        flush(c);
        if (c.state == ConnState::Closed) return;
        if (!c.out.ensure(size, 64u << 20)) {
            ++errors_.protocol;
            fail(c, Failure::Protocol);
            return;
        }
    }
    c.mask ^= c.mask << 13;
    c.mask ^= c.mask >> 17;
    c.mask ^= c.mask << 5;
    c.out.produce(writeClientFrame(c.out.space(), opcode, payload, n, c.mask));
    markDirty(c);
}

void Net::markDirty(Connection& c) {
    if (c.dirty) return;
    c.dirty = true;
    dirty_.push_back(c.index);
}

void Net::flushDirty() {
    // Indices only: flush() never adds to the list.
    for (std::uint32_t i : dirty_) {
        Connection& c = conns_[i];
        c.dirty = false;
        if (c.state == ConnState::Open || c.state == ConnState::Upgrading) flush(c);
    }
    dirty_.clear();
}

void Net::flush(Connection& c) {
    while (!c.out.empty()) {
        ssize_t w = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
        if (w > 0) {
            c.out.consume(static_cast<std::size_t>(w));
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // EPOLLOUT comes back
        fail(c, Failure::Disconnect);
        return;
    }
}

void Net::markReady(Connection& c) {
    if (c.ready) return;
    c.ready = true;
    ++ready_;
    --handshaking_;
    sink_.onReady(c);
}

void Net::fail(Connection& c, Failure why) {
    if (c.state == ConnState::Closed) return;
    bool wasReady = c.ready;
    if (!wasReady) {
        --handshaking_;
        ++failed_;
    } else {
        ++closed_;
    }
    switch (why) {
    case Failure::Connect: ++errors_.connect; break;
    case Failure::Upgrade: ++errors_.upgrade; break;
    case Failure::Disconnect:
    case Failure::ServerClosed: ++errors_.disconnects; break;
    case Failure::Protocol:
    case Failure::Error: break;  // counted by the caller
    }
    if (c.fd >= 0) ::close(c.fd);  // also leaves the epoll set
    c.fd = -1;
    c.state = ConnState::Closed;
    sink_.onClosed(c);
}

void Net::noteErrorFrame(const char* text, std::size_t n) {
    ++errors_.errorFrames;
    if (errors_.firstError.empty()) errors_.firstError.assign(text, n < 300 ? n : 300);
}

unsigned Net::bufferGrowths() const {
    unsigned n = 0;
    for (const auto& c : conns_) n += c.in.growths + c.out.growths;
    return n;
}

}  // namespace loadgen
