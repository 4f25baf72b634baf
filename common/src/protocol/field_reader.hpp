// Typed, strict access to the fields of one JSON object. The first failing
// check is kept as the Error to answer with; later reads become no-ops, so
// decoders read every field in order and look at error() once.
#pragma once

#include "brolostack/json.hpp"
#include "brolostack/protocol/codes.hpp"
#include "brolostack/protocol/frames.hpp"

#include <optional>
#include <string>

namespace brolostack::protocol::detail {

class FieldReader {
public:
    explicit FieldReader(const json::Value& object) : object_(object) {}

    const std::optional<Error>& error() const { return error_; }
    bool failed() const { return error_.has_value(); }
    void fail(ErrorCode code, const std::string& field, const std::string& message);

    /// The member `name` unless it is absent or null.
    const json::Value* find(const char* name) const;

    bool requiredString(const char* name, std::string& out, std::size_t minBytes, std::size_t maxBytes);
    bool optionalString(const char* name, std::optional<std::string>& out, std::size_t minBytes,
                        std::size_t maxBytes);
    /// A positive integer no larger than JavaScript's safe integer.
    bool optionalRef(std::uint64_t& out);
    bool requiredUint(const char* name, std::uint64_t& out, std::uint64_t maxValue);
    bool optionalUint(const char* name, std::optional<std::uint64_t>& out, std::uint64_t minValue,
                      std::uint64_t maxValue);
    bool requiredInt64(const char* name, std::int64_t& out);
    bool optionalBool(const char* name, bool& out);
    /// Any JSON value, kept as compact text; `fallback` when absent.
    void anyJson(const char* name, std::string& out, const char* fallback);
    bool optionalAnyJson(const char* name, std::optional<std::string>& out);
    bool optionalObjectJson(const char* name, std::optional<std::string>& out);
    bool requiredObjectJson(const char* name, std::string& out);
    /// A room id (section 5 syntax).
    bool requiredRoom(const char* name, std::string& out);
    bool optionalPosition(const char* name, std::optional<StreamPosition>& out);
    bool position(const json::Value& value, const std::string& field, StreamPosition& out);
    bool optionalNumberJson(const char* name, std::optional<std::string>& out);
    /// {code, message, details}; a code from a newer server becomes internal.
    bool requiredError(const char* name, Error& out);
    /// {sid, user, info}
    bool requiredMember(const char* name, MemberView& out);
    /// A member object given as a value (an element of `members`).
    static bool memberFrom(const json::Value& value, MemberView& out);

private:
    bool readString(const char* name, const json::Value& v, std::string& out, std::size_t minBytes, std::size_t maxBytes);
    bool readUint(const char* name, const json::Value& v, std::uint64_t& out, std::uint64_t minValue,
                  std::uint64_t maxValue);

    const json::Value& object_;
    std::optional<Error> error_;
};

}  // namespace brolostack::protocol::detail
