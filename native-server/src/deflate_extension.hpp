// permessage-deflate for websocketpp's processor, in place of websocketpp's
// own extension, whose inflate has no output bound (a 1 MiB frame can
// expand to gigabytes before any size check) and which keeps a deflate and
// an inflate context per connection (hundreds of KiB each).
//
// This one negotiates no context takeover both ways (deflate.hpp), never
// compresses per connection (the transport sends each room message
// compressed once, shared by every member that negotiated it), and inflates
// a client's message only up to MAX_MESSAGE_BYTES, answering 1009 past it
// and 1007 for data that does not inflate.
#pragma once

#include "deflate.hpp"

#include <websocketpp/common/system_error.hpp>
#include <websocketpp/error.hpp>
#include <websocketpp/extensions/extension.hpp>
#include <websocketpp/http/constants.hpp>
#include <websocketpp/processors/base.hpp>

#include <memory>

namespace brolostack::native {

class BoundedDeflateExtension {
public:
    bool is_implemented() const { return true; }
    bool is_enabled() const { return enabled_; }
    /// What a client would offer; this extension serves servers only.
    std::string generate_offer() const { return ""; }

    /// One offer from the client's Sec-WebSocket-Extensions: accepted when
    /// the server loop's policy allows compression and the offer fits.
    websocketpp::err_str_pair negotiate(const websocketpp::http::attribute_list& offer) {
        namespace ext = websocketpp::extensions::error;
        const DeflatePolicy* policy = deflatePolicyOfThisThread();
        if (!policy || !policy->enabled) return {ext::make_error_code(ext::disabled), ""};
        auto agreement = negotiateDeflate({offer.begin(), offer.end()});
        if (!agreement) return {ext::make_error_code(ext::general), ""};
        enabled_ = true;
        windowBits_ = agreement->clientWindowBits;
        maxMessageBytes_ = policy->maxMessageBytes;
        return {websocketpp::lib::error_code(), agreement->response};
    }

    websocketpp::lib::error_code init(bool /*isServer*/) { return {}; }

    /// Never used: messages are compressed by the transport, once for all
    /// their receivers, and handed to websocketpp already framed.
    websocketpp::lib::error_code compress(const std::string&, std::string&) {
        namespace ext = websocketpp::extensions::error;
        return ext::make_error_code(ext::general);
    }

    /// Part of a compressed message (or the tail the processor appends at
    /// its end), inflated onto `out` within MAX_MESSAGE_BYTES.
    websocketpp::lib::error_code decompress(const std::uint8_t* data, std::size_t size, std::string& out) {
        namespace proc = websocketpp::processor::error;
        // Made on the first compressed message: clients that never compress
        // keep no inflate state.
        if (!inflater_) inflater_ = std::make_unique<MessageInflater>(windowBits_);
        switch (inflater_->inflate(data, size, out, maxMessageBytes_)) {
            case MessageInflater::Result::Ok:
                return {};
            case MessageInflater::Result::TooLarge:
                return proc::make_error_code(proc::message_too_big);
            case MessageInflater::Result::Corrupt:
                break;
        }
        return proc::make_error_code(proc::invalid_payload);
    }

private:
    bool enabled_ = false;
    int windowBits_ = 15;
    std::size_t maxMessageBytes_ = 0;
    std::unique_ptr<MessageInflater> inflater_;
};

}  // namespace brolostack::native
