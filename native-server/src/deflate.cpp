#include "deflate.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace brolostack::native {
namespace {

// Messages shorter than this go uncompressed: the few bytes saved are not
// worth a compression per message (RFC 7692 lets each message choose).
constexpr std::size_t kMinDeflateBytes = 128;
// The window the server asks a client to compress with when the client lets
// it choose: client messages are small, and each connection that sends
// compressed messages keeps an inflate window of this size.
constexpr int kPreferredClientWindowBits = 12;
constexpr int kMaxWindowBits = 15;
constexpr int kMinWindowBits = 8;
constexpr char kTail[4] = {0x00, 0x00, static_cast<char>(0xff), static_cast<char>(0xff)};

std::optional<int> windowBits(const std::string& value) {
    int bits = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), bits);
    if (ec != std::errc() || end != value.data() + value.size() || value.size() > 2) return std::nullopt;
    if (bits < kMinWindowBits || bits > kMaxWindowBits) return std::nullopt;
    return bits;
}

thread_local const DeflatePolicy* threadPolicy = nullptr;

}  // namespace

std::optional<DeflateAgreement> negotiateDeflate(const std::vector<std::pair<std::string, std::string>>& offer) {
    bool offeredClientWindow = false;
    int clientWindow = kMaxWindowBits;
    std::vector<std::string> seen;
    for (const auto& [name, value] : offer) {
        if (std::find(seen.begin(), seen.end(), name) != seen.end()) return std::nullopt;  // RFC 7692 7.1: each at most once
        seen.push_back(name);
        if (name == "server_no_context_takeover" || name == "client_no_context_takeover") {
            if (!value.empty()) return std::nullopt;
        } else if (name == "client_max_window_bits") {
            offeredClientWindow = true;
            if (!value.empty()) {
                auto bits = windowBits(value);
                if (!bits) return std::nullopt;
                clientWindow = *bits;
            }
        } else if (name == "server_max_window_bits") {
            // The shared compressor uses the full window: an offer that limits
            // it is declined (the client may have made another one).
            auto bits = windowBits(value);
            if (!bits || *bits < kMaxWindowBits) return std::nullopt;
        } else {
            return std::nullopt;
        }
    }
    DeflateAgreement agreement;
    // Both directions without context takeover: the server's messages are
    // compressed once for every member, and a client's need no window kept
    // between messages. A server may impose client_no_context_takeover.
    agreement.response = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
    if (offeredClientWindow) {
        agreement.clientWindowBits = std::min(clientWindow, kPreferredClientWindowBits);
        agreement.response += "; client_max_window_bits=" + std::to_string(agreement.clientWindowBits);
    }
    return agreement;
}

MessageDeflater::MessageDeflater() {
    // Raw deflate (negative window bits), fastest level: one compression per
    // room message is shared by all members, but it still runs per message.
    ready_ = deflateInit2(&stream_, Z_BEST_SPEED, Z_DEFLATED, -kMaxWindowBits, 8, Z_DEFAULT_STRATEGY) == Z_OK;
}

MessageDeflater::~MessageDeflater() {
    if (ready_) deflateEnd(&stream_);
}

std::optional<std::string> MessageDeflater::deflate(std::string_view payload) {
    if (!ready_ || payload.size() < kMinDeflateBytes) return std::nullopt;
    if (deflateReset(&stream_) != Z_OK) return std::nullopt;
    std::string out;
    // deflateBound covers the whole stream; a sync flush adds its few bytes.
    out.resize(deflateBound(&stream_, static_cast<uLong>(payload.size())) + 16);
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(payload.data()));
    stream_.avail_in = static_cast<uInt>(payload.size());
    stream_.next_out = reinterpret_cast<Bytef*>(out.data());
    stream_.avail_out = static_cast<uInt>(out.size());
    if (::deflate(&stream_, Z_SYNC_FLUSH) != Z_OK || stream_.avail_in != 0 || stream_.avail_out == 0) return std::nullopt;
    out.resize(out.size() - stream_.avail_out);
    // A sync flush ends with an empty stored block, 00 00 ff ff, which
    // RFC 7692 section 7.2.1 has the sender remove.
    if (out.size() < 4 || std::char_traits<char>::compare(out.data() + out.size() - 4, kTail, 4) != 0) return std::nullopt;
    out.resize(out.size() - 4);
    if (out.size() >= payload.size()) return std::nullopt;
    return out;
}

MessageInflater::MessageInflater(int windowBits) {
    ready_ = inflateInit2(&stream_, -windowBits) == Z_OK;
}

MessageInflater::~MessageInflater() {
    if (ready_) inflateEnd(&stream_);
}

MessageInflater::Result MessageInflater::inflate(const std::uint8_t* data, std::size_t size, std::string& out,
                                                 std::size_t limit) {
    if (!ready_) return Result::Corrupt;
    if (afterStreamEnd_) {
        afterStreamEnd_ = false;
        // The tail the receiver appends lies past the end of a stream that
        // ended with a final block: DEFLATE ignores it, and so does this.
        if (size == 4 && std::char_traits<char>::compare(reinterpret_cast<const char*>(data), kTail, 4) == 0)
            return Result::Ok;
    }
    stream_.next_in = const_cast<Bytef*>(data);
    stream_.avail_in = static_cast<uInt>(size);
    unsigned char chunk[16384];
    for (;;) {
        // Never more output than the limit leaves room for, plus one byte to
        // learn that there is more.
        std::size_t room = limit >= out.size() ? limit - out.size() + 1 : 1;
        stream_.next_out = chunk;
        stream_.avail_out = static_cast<uInt>(std::min(room, sizeof chunk));
        const uInt offered = stream_.avail_out;
        int rc = ::inflate(&stream_, Z_SYNC_FLUSH);
        const std::size_t produced = offered - stream_.avail_out;
        out.append(reinterpret_cast<const char*>(chunk), produced);
        if (out.size() > limit) {
            out.resize(limit);
            return Result::TooLarge;
        }
        if (rc == Z_STREAM_END) {
            // The sender ended its stream (a final block): what follows, if
            // anything, starts a new one.
            if (inflateReset(&stream_) != Z_OK) return Result::Corrupt;
            if (stream_.avail_in == 0) {
                afterStreamEnd_ = true;
                return Result::Ok;
            }
            continue;
        }
        if (rc == Z_BUF_ERROR) return Result::Ok;  // no progress possible: all input used
        if (rc != Z_OK) return Result::Corrupt;
        if (stream_.avail_in == 0 && stream_.avail_out != 0) return Result::Ok;
    }
}

const DeflatePolicy* deflatePolicyOfThisThread() { return threadPolicy; }
void setDeflatePolicyOfThisThread(const DeflatePolicy* policy) { threadPolicy = policy; }

}  // namespace brolostack::native
