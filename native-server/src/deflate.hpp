// permessage-deflate (RFC 7692) as this server speaks it: no context
// takeover in either direction, so a message is compressed once and the
// same bytes go to every member of its room (one compressor per server
// loop instead of one per connection), and a client's message is inflated
// only up to MAX_MESSAGE_BYTES: a small compressed frame can expand a
// thousandfold, and the frame's own length says nothing about that.
//
// zlib does the compressing; this file decides parameters and bounds.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace brolostack::native {

/// What the server agrees to for one permessage-deflate offer.
struct DeflateAgreement {
    std::string response;     // the Sec-WebSocket-Extensions value
    int clientWindowBits = 15;  // the window the client compresses with
};

/// The answer to one offer (its parameters, as name and value), or nullopt
/// to decline it: unknown or malformed parameters, or a server_max_window_bits
/// the shared compressor cannot honour.
std::optional<DeflateAgreement> negotiateDeflate(const std::vector<std::pair<std::string, std::string>>& offer);

/// Compresses whole messages, each on its own (no context takeover).
class MessageDeflater {
public:
    MessageDeflater();
    ~MessageDeflater();
    MessageDeflater(const MessageDeflater&) = delete;
    MessageDeflater& operator=(const MessageDeflater&) = delete;

    /// `payload` as one compressed message (without the 00 00 ff ff tail the
    /// receiver adds back), or nullopt when that would not be smaller.
    std::optional<std::string> deflate(std::string_view payload);

private:
    z_stream stream_{};
    bool ready_ = false;
};

/// Inflates one connection's compressed messages, within a size limit.
class MessageInflater {
public:
    enum class Result { Ok, TooLarge, Corrupt };

    explicit MessageInflater(int windowBits);
    ~MessageInflater();
    MessageInflater(const MessageInflater&) = delete;
    MessageInflater& operator=(const MessageInflater&) = delete;

    /// Appends what `data` inflates to onto `out`; TooLarge as soon as `out`
    /// would pass `limit` bytes (nothing past it is produced). The end of a
    /// message is the 00 00 ff ff its sender left out, given like any input.
    Result inflate(const std::uint8_t* data, std::size_t size, std::string& out, std::size_t limit);

private:
    z_stream stream_{};
    bool ready_ = false;
    bool afterStreamEnd_ = false;  // the sender ended its stream with a final block
};

/// What permessage-deflate may do on the current server loop's thread.
struct DeflatePolicy {
    bool enabled = false;
    std::size_t maxMessageBytes = 0;
};
/// The policy of the server whose loop runs on this thread (none: declined).
const DeflatePolicy* deflatePolicyOfThisThread();
/// Set by a server loop for its thread while it runs.
void setDeflatePolicyOfThisThread(const DeflatePolicy* policy);

}  // namespace brolostack::native
