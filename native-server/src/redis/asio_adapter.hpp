// Drives a hiredis async context from an Asio event loop. hiredis ships
// adapters for libev, libevent, libuv, glib, Qt... but none for Asio, which
// is our loop (websocketpp's). hiredis asks for events through five hooks
// (addRead, delRead, addWrite, delWrite, cleanup); each add becomes an
// async_wait on the socket, and readiness calls redisAsyncHandleRead/Write,
// which do non-blocking I/O only. The TCP connect is non-blocking too:
// hiredis detects its end on the first writable event.
#pragma once

struct redisAsyncContext;

namespace asio {
class io_context;
}

namespace brolostack::native::redis {

/// Hooks `context` (fresh from redisAsyncConnect, no adapter yet) into
/// `io`. False when its socket cannot be watched; the context is then left
/// as it was, for the caller to free. From then on hiredis's cleanup hook
/// (called when hiredis frees the context) detaches it again; the socket
/// stays hiredis's to close.
bool attachToAsio(redisAsyncContext* context, asio::io_context& io);

}  // namespace brolostack::native::redis
