#include "redis/asio_adapter.hpp"

#include <hiredis/async.h>

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>

#include <csignal>
#include <ctime>
#include <memory>
#include <pthread.h>

namespace brolostack::native::redis {
namespace {

/// hiredis 0.14 writes with write(2), not send(MSG_NOSIGNAL): writing to a
/// connection Redis has closed raises SIGPIPE, whose default action ends
/// the process. Rather than change the process's signal disposition from a
/// library, the write is done with SIGPIPE blocked on this thread, and a
/// SIGPIPE it raised is taken off the pending set before unblocking (the
/// write itself fails with EPIPE, which hiredis handles as a disconnect).
class SigpipeSuppressed {
public:
    SigpipeSuppressed() {
        struct sigaction current {};
        if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) return;  // nothing to do
        active_ = true;
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        sigset_t pending;
        sigemptyset(&pending);
        sigpending(&pending);
        wasPending_ = sigismember(&pending, SIGPIPE) == 1;  // not ours: leave it for its owner
        pthread_sigmask(SIG_BLOCK, &pipe_, &saved_);
    }
    ~SigpipeSuppressed() {
        if (!active_) return;
        if (!wasPending_) {
            sigset_t pending;
            sigemptyset(&pending);
            sigpending(&pending);
            if (sigismember(&pending, SIGPIPE) == 1) {
                timespec now{0, 0};
                sigtimedwait(&pipe_, nullptr, &now);
            }
        }
        pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
    }
    SigpipeSuppressed(const SigpipeSuppressed&) = delete;
    SigpipeSuppressed& operator=(const SigpipeSuppressed&) = delete;

private:
    bool active_ = false;
    bool wasPending_ = false;
    sigset_t pipe_{};
    sigset_t saved_{};
};

/// The events of one context. hiredis holds a raw pointer to it (ev.data)
/// until its cleanup hook; pending waits hold shared pointers, so a wait
/// that completes after the cleanup finds `context` null and does nothing.
struct Watcher : std::enable_shared_from_this<Watcher> {
    explicit Watcher(asio::io_context& io) : socket(io) {}

    redisAsyncContext* context = nullptr;
    asio::posix::stream_descriptor socket;
    bool wantRead = false, wantWrite = false;
    bool readArmed = false, writeArmed = false;  // a wait is outstanding
    std::shared_ptr<Watcher> self;               // keeps it alive for hiredis until cleanup

    // asio's epoll reactor re-arms the descriptor (EPOLL_CTL_MOD) for each
    // new wait, so a socket still readable after hiredis read one chunk
    // fires again: each wait behaves as level-triggered.
    void armRead() {
        if (readArmed || !context) return;
        readArmed = true;
        socket.async_wait(asio::posix::stream_descriptor::wait_read,
                          [w = shared_from_this()](const asio::error_code& ec) {
                              w->readArmed = false;
                              if (ec || !w->context || !w->wantRead) return;
                              redisAsyncHandleRead(w->context);  // may free the context (cleanup below)
                              if (w->context && w->wantRead) w->armRead();
                          });
    }
    void armWrite() {
        if (writeArmed || !context) return;
        writeArmed = true;
        socket.async_wait(asio::posix::stream_descriptor::wait_write,
                          [w = shared_from_this()](const asio::error_code& ec) {
                              w->writeArmed = false;
                              if (ec || !w->context || !w->wantWrite) return;
                              {
                                  SigpipeSuppressed quiet;
                                  redisAsyncHandleWrite(w->context);  // the first one completes the connect
                              }
                              if (w->context && w->wantWrite) w->armWrite();
                          });
    }

    static Watcher& of(void* data) { return *static_cast<Watcher*>(data); }
    static void addRead(void* data) {
        Watcher& w = of(data);
        w.wantRead = true;
        w.armRead();
    }
    static void delRead(void* data) { of(data).wantRead = false; }
    static void addWrite(void* data) {
        Watcher& w = of(data);
        w.wantWrite = true;
        w.armWrite();
    }
    static void delWrite(void* data) { of(data).wantWrite = false; }
    static void cleanup(void* data) {
        Watcher& w = of(data);
        std::shared_ptr<Watcher> keep = std::move(w.self);  // freed when this returns, unless a wait holds it
        w.context->ev.data = nullptr;
        w.context = nullptr;
        w.wantRead = w.wantWrite = false;
        asio::error_code ignored;
        w.socket.cancel(ignored);
        w.socket.release();  // hiredis closes the descriptor itself (redisFree)
    }
};

}  // namespace

bool attachToAsio(redisAsyncContext* context, asio::io_context& io) {
    if (context->ev.data != nullptr) return false;
    auto watcher = std::make_shared<Watcher>(io);
    asio::error_code ec;
    watcher->socket.assign(context->c.fd, ec);
    if (ec) {
        watcher->socket.release();
        return false;
    }
    watcher->context = context;
    watcher->self = watcher;
    context->ev.data = watcher.get();
    context->ev.addRead = &Watcher::addRead;
    context->ev.delRead = &Watcher::delRead;
    context->ev.addWrite = &Watcher::addWrite;
    context->ev.delWrite = &Watcher::delWrite;
    context->ev.cleanup = &Watcher::cleanup;
    return true;
}

}  // namespace brolostack::native::redis
