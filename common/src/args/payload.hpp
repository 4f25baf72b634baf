// What the coordinator's files share to read ARGS payloads.
#pragma once

#include "brolostack/args/message.hpp"
#include "brolostack/args/types.hpp"
#include "brolostack/json.hpp"

#include <optional>
#include <string>
#include <variant>

namespace brolostack::args {

/// The payload as a parsed object, or a bad_request.
inline std::variant<json::Document, protocol::Error> payloadObject(const Message& msg) {
    constexpr unsigned kPayloadDepth = 32;
    json::Document doc;
    if (!json::parseStrict(msg.payloadJson, doc, msg.payloadJson.size() + 1, kPayloadDepth, true).ok())
        return payloadError("", std::string(messageTypeName(msg.type)) + " payload must be an object");
    return doc;
}

/// A member that is a string of 1-128 bytes (an id), if there is one.
inline std::optional<std::string> stringMember(const json::Value& obj, const char* name) {
    auto it = obj.FindMember(name);
    if (it == obj.MemberEnd() || !it->value.IsString() || it->value.GetStringLength() == 0 ||
        it->value.GetStringLength() > 128)
        return std::nullopt;
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace brolostack::args
