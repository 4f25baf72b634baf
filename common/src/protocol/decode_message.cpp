// A `message` frame read straight into its MessageFrame while it is parsed:
// no document is built and, unless asked for, `data` is not written out
// again. Every value is checked as decodeServerFrame checks it (the same
// strict parse, the first of duplicate keys, null read as absent); on
// anything it would refuse, or any other op, this path declines and the
// caller asks decodeServerFrame, which says why.
#include "brolostack/json.hpp"
#include "brolostack/protocol/codec.hpp"
#include "brolostack/protocol/identifiers.hpp"

#include "../json_strict.hpp"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace brolostack::protocol {
namespace {

/// The SAX target: every event of the frame, in order. An event returning
/// false stops the parse (the frame is declined).
class MessageSink {
public:
    MessageSink(MessageFrame& frame, bool withData) : f_(frame), withData_(withData) {}

    /// After a parse without error: true when the frame is a valid message.
    bool complete() {
        if (!op_ || !room_ || !event_ || !offset_ || !epoch_ || !ts_) return false;
        if (!isValidRoomId(f_.room)) return false;
        if (!withData_) f_.dataJson.clear();
        else if (dataWritten_) f_.dataJson.assign(buffer_.GetString(), buffer_.GetSize());
        return true;
    }

    bool Null() {
        if (capturing()) return capture([&] { return writer_.Null(); });
        return scalar(Value::Null, nullptr, 0);
    }
    bool Bool(bool b) {
        if (capturing()) return capture([&] { return writer_.Bool(b); });
        return scalar(Value::Other, nullptr, 0);
    }
    bool Int(int i) {
        if (capturing()) return capture([&] { return writer_.Int(i); });
        return integer(i >= 0, static_cast<std::uint64_t>(i), true, i);
    }
    bool Uint(unsigned u) {
        if (capturing()) return capture([&] { return writer_.Uint(u); });
        return integer(true, u, true, u);
    }
    bool Int64(std::int64_t i) {
        if (capturing()) return capture([&] { return writer_.Int64(i); });
        return integer(i >= 0, static_cast<std::uint64_t>(i), true, i);
    }
    bool Uint64(std::uint64_t u) {
        if (capturing()) return capture([&] { return writer_.Uint64(u); });
        return integer(true, u, u <= static_cast<std::uint64_t>(INT64_MAX), static_cast<std::int64_t>(u));
    }
    bool Double(double d) {
        if (capturing()) return capture([&] { return writer_.Double(d); });
        return scalar(Value::Other, nullptr, 0);
    }
    bool String(const char* s, rapidjson::SizeType n, bool) {
        if (capturing()) return capture([&] { return writer_.String(s, n); });
        return scalar(Value::String, s, n);
    }
    bool Key(const char* s, rapidjson::SizeType n, bool) {
        if (capturing()) return !withData_ || writer_.Key(s, n);
        if (depth_ == 1) {
            field_ = topField(s, n);
            if (field_ == Field::Data) {
                // The next value is `data`: captured until it ends (back at depth 1).
                dataDepth_ = 2;
                dataWritten_ = true;
            }
        } else if (depth_ == 2 && inFrom_) {
            field_ = Field::Other;
            if (is(s, n, "sid")) field_ = first(sid_, Field::Sid);
            else if (is(s, n, "user")) field_ = first(user_, Field::User);
        }
        return true;
    }
    bool StartObject() { return open(true); }
    bool EndObject(rapidjson::SizeType n) { return close(true, n); }
    bool StartArray() { return open(false); }
    bool EndArray(rapidjson::SizeType n) { return close(false, n); }

private:
    enum class Field : std::uint8_t { Other, Op, Room, Event, Data, From, Offset, Epoch, Ts, Mid, Sid, User };
    enum class Value : std::uint8_t { Null, String, Integer, Other };

    template <std::size_t N>
    static bool is(const char* s, rapidjson::SizeType n, const char (&name)[N]) {
        return n == N - 1 && std::memcmp(s, name, N - 1) == 0;
    }

    /// The field a key of the frame names (by length first: one comparison per key).
    Field topField(const char* s, rapidjson::SizeType n) {
        switch (n) {
            case 2:
                if (is(s, n, "op")) return first(op_, Field::Op);
                if (is(s, n, "ts")) return first(ts_, Field::Ts);
                break;
            case 3:
                if (is(s, n, "mid")) return first(mid_, Field::Mid);
                break;
            case 4:
                if (is(s, n, "room")) return first(room_, Field::Room);
                if (is(s, n, "data")) return first(data_, Field::Data);
                if (is(s, n, "from")) return first(from_, Field::From);
                break;
            case 5:
                if (is(s, n, "event")) return first(event_, Field::Event);
                if (is(s, n, "epoch")) return first(epoch_, Field::Epoch);
                break;
            case 6:
                if (is(s, n, "offset")) return first(offset_, Field::Offset);
                break;
            default:
                break;
        }
        return Field::Other;
    }

    /// `field` for a key's first appearance (the member FindMember finds), Other after.
    static Field first(bool& seen, Field field) {
        if (seen) return Field::Other;
        seen = true;
        return field;
    }

    bool capturing() const { return dataDepth_ != 0; }

    /// A scalar inside `data` (or `data` itself): written out when asked for.
    template <class Write>
    bool capture(Write write) {
        if (withData_ && !write()) return false;
        if (depth_ + 1 == dataDepth_) dataDepth_ = 0;  // `data` was this scalar
        return true;
    }

    bool open(bool object) {
        if (capturing()) {
            ++depth_;
            return !withData_ || (object ? writer_.StartObject() : writer_.StartArray());
        }
        if (depth_ == 0) {
            if (!object) return false;  // a frame is an object
            depth_ = 1;
            return true;
        }
        if (depth_ == 1) {
            if (field_ == Field::From) {
                if (!object) return false;  // 'from' must be an object
                inFrom_ = true;
                ++depth_;
                return true;
            }
            if (field_ != Field::Other) return false;  // a container where text or a number belongs
        } else if (depth_ == 2 && inFrom_ && field_ != Field::Other) {
            return false;  // from.sid or from.user as a container
        }
        ++depth_;
        return true;
    }

    bool close(bool object, rapidjson::SizeType n) {
        --depth_;
        if (capturing()) {
            if (withData_ && !(object ? writer_.EndObject(n) : writer_.EndArray(n))) return false;
            if (depth_ + 1 == dataDepth_) dataDepth_ = 0;
            return true;
        }
        if (depth_ == 1) inFrom_ = false;
        return true;
    }

    bool integer(bool nonNegative, std::uint64_t asUint, bool fitsInt64, std::int64_t asInt) {
        if (depth_ == 1 && field_ == Field::Offset) {
            if (!nonNegative || asUint > kMaxSafeInteger) return false;
            f_.offset = asUint;
            return true;
        }
        if (depth_ == 1 && field_ == Field::Ts) {
            if (!fitsInt64) return false;
            f_.ts = asInt;
            return true;
        }
        return scalar(Value::Integer, nullptr, 0);
    }

    /// A scalar value (integers of offset and ts are taken by integer()).
    bool scalar(Value value, const char* s, rapidjson::SizeType n) {
        if (depth_ == 0) return false;  // not an object
        if (depth_ == 2 && inFrom_) return fromField(value, s, n);
        if (depth_ != 1) return true;
        if (value == Value::Null) {
            // Read as absent: fine where optional, missing where required.
            switch (field_) {
                case Field::Op: op_ = false; return false;
                case Field::Room: case Field::Event: case Field::Offset: case Field::Epoch: case Field::Ts:
                    return false;
                default: return true;  // from, mid, and unknown fields
            }
        }
        switch (field_) {
            case Field::Other: return true;
            case Field::From: return false;  // must be an object
            case Field::Offset: case Field::Ts: return false;  // not an integer in range
            default: break;
        }
        if (value != Value::String) return false;
        std::string_view text(s, n);
        switch (field_) {
            case Field::Op: return text == "message";
            case Field::Room: return fits(text, 1, kMaxRoomIdBytes, f_.room);
            case Field::Event: return fits(text, 1, 64, f_.event);
            case Field::Epoch: return fits(text, 0, 64, f_.epoch);
            case Field::Mid: {
                std::string mid;
                if (!fits(text, 1, 64, mid)) return false;
                f_.mid = std::move(mid);
                return true;
            }
            default: return false;
        }
    }

    bool fromField(Value value, const char* s, rapidjson::SizeType n) {
        if (field_ == Field::Other || value == Value::Null) return true;
        if (value != Value::String) return false;
        std::string text;
        if (!fits(std::string_view(s, n), field_ == Field::Sid ? 1 : 0, field_ == Field::Sid ? 128 : 1024, text))
            return false;
        (field_ == Field::Sid ? f_.from.sid : f_.from.user) = std::move(text);
        return true;
    }

    static bool fits(std::string_view text, std::size_t minBytes, std::size_t maxBytes, std::string& out) {
        if (text.size() < minBytes || text.size() > maxBytes) return false;
        out.assign(text.data(), text.size());
        return true;
    }

    MessageFrame& f_;
    bool withData_;
    unsigned depth_ = 0;      // containers open around the next event
    unsigned dataDepth_ = 0;  // while `data` is being read: one more than the depth it was found at
    Field field_ = Field::Other;
    bool inFrom_ = false;
    bool dataWritten_ = false;
    bool op_ = false, room_ = false, event_ = false, data_ = false, from_ = false, offset_ = false, epoch_ = false,
         ts_ = false, mid_ = false, sid_ = false, user_ = false;
    rapidjson::StringBuffer buffer_;
    json::Writer writer_{buffer_};
};

/// JSON as servers write it, read in one pass over the bytes: strings
/// without escapes or control characters, integers, literals, objects and
/// arrays. The events go to `handler` exactly as RapidJSON's reader (with
/// the strict flags) sends them for such a text. Anything else (an escape,
/// a fraction or exponent, a syntax error, bytes above 0x7F in text not
/// known to be UTF-8) is NotPlain: RapidJSON reads it instead.
/// Written here rather than taken from a library because RapidJSON's
/// reader, built for size in the browser core, was the largest cost left
/// on the client's message path (with this scanner the Chromium path went
/// from 0.23 to 0.29 of a plain JSON.parse + emitter); it covers only the
/// subset above, and the server-frame fuzz target checks that it decodes
/// exactly what the general decoder does.
template <class Handler>
class PlainJsonScanner {
public:
    enum class Outcome { Read, Refused, NotPlain };

    PlainJsonScanner(std::string_view text, Handler& handler, bool knownUtf8)
        : p_(text.data()), end_(text.data() + text.size()), handler_(handler), knownUtf8_(knownUtf8) {}

    Outcome run() {
        skipSpace();
        bool ok = value();
        if (ok) {
            skipSpace();
            if (p_ == end_) return Outcome::Read;
        }
        return refused_ ? Outcome::Refused : Outcome::NotPlain;
    }

private:
    /// An event the handler refused: the parse ends there, as RapidJSON's would.
    bool deliver(bool accepted) {
        if (!accepted) refused_ = true;
        return accepted;
    }

    void skipSpace() {
        while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
    }

    bool value() {
        if (p_ == end_) return false;
        switch (*p_) {
            case '{': return object();
            case '[': return array();
            case '"': {
                const char* s = nullptr;
                rapidjson::SizeType n = 0;
                return string(s, n) && deliver(handler_.String(s, n, true));
            }
            case 't': return literal("true", 4) && deliver(handler_.Bool(true));
            case 'f': return literal("false", 5) && deliver(handler_.Bool(false));
            case 'n': return literal("null", 4) && deliver(handler_.Null());
            default: return number();
        }
    }

    bool literal(const char* word, std::size_t n) {
        if (static_cast<std::size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) return false;
        p_ += n;
        return true;
    }

    /// -?(0|[1-9][0-9]*) not followed by a fraction, an exponent or a digit.
    bool number() {
        const char* start = p_;
        if (p_ != end_ && *p_ == '-') ++p_;
        if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
        if (*p_ == '0') {
            ++p_;
        } else {
            while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
        }
        if (p_ != end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E' || (*p_ >= '0' && *p_ <= '9'))) return false;
        return deliver(handler_.RawNumber(start, static_cast<rapidjson::SizeType>(p_ - start), true));
    }

    /// The bytes between the quotes; p_ at the opening one.
    bool string(const char*& s, rapidjson::SizeType& n) {
        s = ++p_;
        while (p_ != end_) {
            auto c = static_cast<unsigned char>(*p_);
            if (c == '"') {
                n = static_cast<rapidjson::SizeType>(p_ - s);
                ++p_;
                return true;
            }
            if (c == '\\' || c < 0x20 || (c >= 0x80 && !knownUtf8_)) return false;
            ++p_;
        }
        return false;
    }

    bool object() {
        ++p_;
        if (!deliver(handler_.StartObject())) return false;
        skipSpace();
        rapidjson::SizeType members = 0;
        if (p_ != end_ && *p_ == '}') {
            ++p_;
            return deliver(handler_.EndObject(0));
        }
        for (;;) {
            if (p_ == end_ || *p_ != '"') return false;
            const char* s = nullptr;
            rapidjson::SizeType n = 0;
            if (!string(s, n) || !deliver(handler_.Key(s, n, true))) return false;
            skipSpace();
            if (p_ == end_ || *p_ != ':') return false;
            ++p_;
            skipSpace();
            if (!value()) return false;
            ++members;
            skipSpace();
            if (p_ != end_ && *p_ == ',') {
                ++p_;
                skipSpace();
                continue;
            }
            if (p_ != end_ && *p_ == '}') {
                ++p_;
                return deliver(handler_.EndObject(members));
            }
            return false;
        }
    }

    bool array() {
        ++p_;
        if (!deliver(handler_.StartArray())) return false;
        skipSpace();
        rapidjson::SizeType elements = 0;
        if (p_ != end_ && *p_ == ']') {
            ++p_;
            return deliver(handler_.EndArray(0));
        }
        for (;;) {
            if (!value()) return false;
            ++elements;
            skipSpace();
            if (p_ != end_ && *p_ == ',') {
                ++p_;
                skipSpace();
                continue;
            }
            if (p_ != end_ && *p_ == ']') {
                ++p_;
                return deliver(handler_.EndArray(elements));
            }
            return false;
        }
    }

    const char* p_;
    const char* end_;
    Handler& handler_;
    bool knownUtf8_;
    bool refused_ = false;
};

}  // namespace

std::optional<MessageFrame> decodeMessageFrame(std::string_view text, const DecodeLimits& limits, bool withData) {
    if (text.size() > limits.maxMessageBytes) return std::nullopt;
    {
        MessageFrame frame;
        MessageSink sink(frame, withData);
        json::detail::StrictHandler<MessageSink> handler(sink, limits.maxJsonDepth);
        PlainJsonScanner<json::detail::StrictHandler<MessageSink>> scanner(text, handler, limits.knownUtf8);
        switch (scanner.run()) {
            case PlainJsonScanner<json::detail::StrictHandler<MessageSink>>::Outcome::Read:
                if (!sink.complete()) return std::nullopt;
                return frame;
            case PlainJsonScanner<json::detail::StrictHandler<MessageSink>>::Outcome::Refused:
                return std::nullopt;  // RapidJSON would hand the sink the same events
            case PlainJsonScanner<json::detail::StrictHandler<MessageSink>>::Outcome::NotPlain:
                break;
        }
    }
    MessageFrame frame;
    MessageSink sink(frame, withData);
    json::detail::StrictHandler<MessageSink> handler(sink, limits.maxJsonDepth);
    rapidjson::MemoryStream stream(text.data(), text.size());
    thread_local rapidjson::Reader reader;
    if (!json::detail::readStrict<json::detail::kStrictRecursiveParseFlags>(reader, stream, handler, limits.knownUtf8))
        return std::nullopt;
    if (stream.Tell() != text.size()) return std::nullopt;  // RapidJSON stops at a NUL byte
    if (!sink.complete()) return std::nullopt;
    return frame;
}

}  // namespace brolostack::protocol
