// The websocketpp configurations of the server, plain and TLS: websocketpp's
// own, with three changes.
//
// 1. permessage-deflate is ours (deflate_extension.hpp).
// 2. On plain TCP a finished connection shuts down only its sending side.
//    websocketpp's plain socket shuts down both, and Linux answers any byte
//    that arrives after a read shutdown with a TCP reset: a client still
//    writing (the rest of a frame past MAX_MESSAGE_BYTES, say) then gets the
//    reset, often before it has read the close frame sent just ahead of it,
//    and sees ECONNRESET instead of 1009. With only the sending side shut
//    down, the close frame and FIN go out, and what the client still sends
//    is read and discarded by SocketLinger until it closes its side.
//    websocketpp picks the shutdown through its socket policy, a template
//    parameter of the transport: the policy below is its plain one with that
//    single call changed. (TLS ends with close_notify and no read shutdown.)
// 3. A 1 KiB read buffer instead of 16 KiB. websocketpp keeps it inside each
//    connection object, between fields that are written on every connection;
//    with 16 KiB the object spans six pages of which only the untouched middle
//    of the buffer costs nothing, so an idle connection paid about 8.5 KiB
//    for it. At 1 KiB the whole object is about 5.7 KiB. Reads return at
//    most this much; the frame parser takes a frame in as many reads as it
//    needs, so larger messages cost more read calls, not a limit.
// 4. No locks and no strands: one thread runs the loop and is the only one
//    that touches websocketpp (other threads hand work over with post()),
//    so the mutex websocketpp takes around every send, state read and
//    buffered-amount read, and the strand it wraps every handler in, only
//    cost time on each delivery.
#pragma once

#include "deflate_extension.hpp"

#include <websocketpp/config/asio.hpp>
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/concurrency/none.hpp>
#include <websocketpp/transport/asio/security/none.hpp>

namespace brolostack::native::half_close {

class connection : public websocketpp::transport::asio::basic_socket::connection {
public:
    typedef connection type;
    typedef websocketpp::lib::shared_ptr<type> ptr;

    void async_shutdown(websocketpp::transport::asio::socket::shutdown_handler done) {
        websocketpp::lib::asio::error_code ec;
        get_socket().shutdown(websocketpp::lib::asio::ip::tcp::socket::shutdown_send, ec);
        done(ec);
    }
};

class endpoint : public websocketpp::transport::asio::basic_socket::endpoint {
public:
    typedef endpoint type;
    typedef connection socket_con_type;
    typedef socket_con_type::ptr socket_con_ptr;
};

}  // namespace brolostack::native::half_close

namespace brolostack::native {

/// Bytes read from a socket at a time, held inside each connection: small, so
/// an idle connection costs little (a busy publisher's frames are batched by
/// the flush, direct_writer.hpp).
constexpr std::size_t kReadBufferBytes = 1024;

struct PlainConfig : websocketpp::config::asio {
    typedef PlainConfig type;
    typedef websocketpp::config::asio base;
    typedef websocketpp::concurrency::none concurrency_type;
    static bool const enable_multithreading = false;

    struct transport_config : base::transport_config {
        typedef websocketpp::concurrency::none concurrency_type;
        static bool const enable_multithreading = false;
        typedef half_close::endpoint socket_type;
    };
    typedef websocketpp::transport::asio::endpoint<transport_config> transport_type;
    typedef BoundedDeflateExtension permessage_deflate_type;
    static const std::size_t connection_read_buffer_size = kReadBufferBytes;
};

struct TlsConfig : websocketpp::config::asio_tls {
    typedef TlsConfig type;
    typedef websocketpp::config::asio_tls base;
    typedef websocketpp::concurrency::none concurrency_type;
    static bool const enable_multithreading = false;

    struct transport_config : base::transport_config {
        typedef websocketpp::concurrency::none concurrency_type;
        static bool const enable_multithreading = false;
    };
    typedef websocketpp::transport::asio::endpoint<transport_config> transport_type;
    typedef BoundedDeflateExtension permessage_deflate_type;
    static const std::size_t connection_read_buffer_size = kReadBufferBytes;
};

}  // namespace brolostack::native
