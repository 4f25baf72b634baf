// The websocketpp configuration of the plain (non-TLS) server: websocketpp's
// own, except that a finished connection shuts down only its sending side.
//
// websocketpp's plain socket shuts down both directions. Linux answers any
// byte that arrives after a read shutdown with a TCP reset, and a client
// still writing (the rest of a frame past MAX_MESSAGE_BYTES, say) then gets
// the reset, often before it has read the close frame sent just ahead of it:
// it sees ECONNRESET instead of 1009. With only the sending side shut down
// the close frame and FIN go out, and what the client still sends is read
// and discarded by SocketLinger until it closes its side.
//
// websocketpp picks the socket's shutdown through its socket policy, a
// template parameter of the transport: the policy below is its plain one
// with that single call changed.
#pragma once

#include <websocketpp/config/asio_no_tls.hpp>
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

struct PlainConfig : websocketpp::config::asio {
    typedef PlainConfig type;
    typedef websocketpp::config::asio base;

    struct transport_config : base::transport_config {
        typedef half_close::endpoint socket_type;
    };
    typedef websocketpp::transport::asio::endpoint<transport_config> transport_type;
};

}  // namespace brolostack::native
