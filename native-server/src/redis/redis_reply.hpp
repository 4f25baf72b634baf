// What a Redis command answered, as an owned value: copyable, kept after
// the hiredis callback returns, and free of hiredis types (hiredis frees
// its redisReply as soon as the callback returns, so no pointer into it may
// escape).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

struct redisReply;

namespace brolostack::native::redis {

/// Why a command got no usable answer.
struct RedisError {
    enum class Kind {
        Reply,       // Redis answered with an error (WRONGTYPE, NOSCRIPT, a script's error, ...)
        NotSent,     // not connected: the command was not sent, so it did not run
        Lost,        // the connection dropped before the reply: the command may or may not have run
        Unexpected,  // an answer of a shape the caller cannot use (a bug, or a key someone else wrote)
    };
    Kind kind = Kind::Reply;
    std::string message;

    /// Redis could not be reached: callers answer `unavailable` (and may
    /// retry), where a refused command is the caller's own error.
    bool unavailable() const { return kind == Kind::NotSent || kind == Kind::Lost; }
};

class RedisReply {
public:
    /// Status replies (+OK) come as strings: nothing here needs to tell them
    /// from bulk strings.
    enum class Type { Nil, Integer, String, Array, Error };

    RedisReply() = default;  // nil
    static RedisReply ofInteger(std::int64_t value) { return RedisReply(value); }
    static RedisReply ofString(std::string value) { return RedisReply(std::move(value)); }
    static RedisReply ofArray(std::vector<RedisReply> elements) { return RedisReply(std::move(elements)); }
    static RedisReply ofError(RedisError error) { return RedisReply(std::move(error)); }
    static RedisReply ofError(RedisError::Kind kind, std::string message) {
        return RedisReply(RedisError{kind, std::move(message)});
    }
    /// A deep copy of what hiredis parsed.
    static RedisReply fromHiredis(const redisReply& reply);

    Type type() const { return static_cast<Type>(value_.index()); }
    bool isNil() const { return type() == Type::Nil; }
    bool isInteger() const { return type() == Type::Integer; }
    bool isString() const { return type() == Type::String; }
    bool isArray() const { return type() == Type::Array; }
    bool isError() const { return type() == Type::Error; }

    // Of another type, these give 0, "" or an empty array rather than
    // throwing: they run inside hiredis callbacks, where an exception must
    // not travel through C frames.
    std::int64_t integer() const;
    const std::string& string() const;
    const std::vector<RedisReply>& array() const;
    const RedisError& error() const;

    /// Human-readable, for logs and test failures.
    std::string describe() const;

private:
    using Value = std::variant<std::monostate, std::int64_t, std::string, std::vector<RedisReply>, RedisError>;
    explicit RedisReply(std::int64_t value) : value_(value) {}
    explicit RedisReply(std::string value) : value_(std::move(value)) {}
    explicit RedisReply(std::vector<RedisReply> value) : value_(std::move(value)) {}
    explicit RedisReply(RedisError value) : value_(std::move(value)) {}

    Value value_;
};

/// A value or the reason there is none (what the typed calls above the
/// raw commands hand back).
template <typename T>
class RedisResult {
public:
    RedisResult(T value) : value_(std::move(value)) {}
    RedisResult(RedisError error) : value_(std::move(error)) {}

    bool ok() const { return value_.index() == 0; }
    const T& value() const { return std::get<0>(value_); }
    T& value() { return std::get<0>(value_); }
    const RedisError& error() const { return std::get<1>(value_); }

private:
    std::variant<T, RedisError> value_;
};

}  // namespace brolostack::native::redis
