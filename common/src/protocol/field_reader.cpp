#include "field_reader.hpp"

#include "brolostack/protocol/codec.hpp"
#include "brolostack/protocol/identifiers.hpp"

namespace brolostack::protocol::detail {

void FieldReader::fail(ErrorCode code, const std::string& field, const std::string& message) {
    if (error_) return;
    Error e;
    e.code = code;
    e.message = message;
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    json::writeKey(w, "field");
    json::writeString(w, field);
    w.EndObject();
    e.detailsJson.assign(buffer.GetString(), buffer.GetSize());
    error_ = std::move(e);
}

const json::Value* FieldReader::find(const char* name) const {
    auto it = object_.FindMember(name);
    if (it == object_.MemberEnd() || it->value.IsNull()) return nullptr;
    return &it->value;
}

bool FieldReader::requiredString(const char* name, std::string& out, std::size_t minBytes, std::size_t maxBytes) {
    if (failed()) return false;
    const json::Value* v = find(name);
    if (!v) {
        fail(ErrorCode::BadRequest, name, std::string("field '") + name + "' is required");
        return false;
    }
    return readString(name, *v, out, minBytes, maxBytes);
}

bool FieldReader::optionalString(const char* name, std::optional<std::string>& out, std::size_t minBytes,
                                 std::size_t maxBytes) {
    if (failed()) return false;
    const json::Value* v = find(name);
    if (!v) return true;
    std::string value;
    if (!readString(name, *v, value, minBytes, maxBytes)) return false;
    out = std::move(value);
    return true;
}

bool FieldReader::readString(const char* name, const json::Value& v, std::string& out, std::size_t minBytes,
                             std::size_t maxBytes) {
    if (!v.IsString()) {
        fail(ErrorCode::BadRequest, name, std::string("field '") + name + "' must be a string");
        return false;
    }
    std::size_t n = v.GetStringLength();
    if (n < minBytes || n > maxBytes) {
        fail(ErrorCode::BadRequest, name,
             std::string("field '") + name + "' must be " + std::to_string(minBytes) + "-" +
                 std::to_string(maxBytes) + " bytes");
        return false;
    }
    out.assign(v.GetString(), n);
    return true;
}

bool FieldReader::optionalRef(std::uint64_t& out) {
    std::optional<std::uint64_t> ref;
    if (!optionalUint("ref", ref, 1, kMaxSafeInteger)) return false;
    out = ref.value_or(0);
    return true;
}

bool FieldReader::requiredUint(const char* name, std::uint64_t& out, std::uint64_t maxValue) {
    if (failed()) return false;
    const json::Value* v = find(name);
    if (!v) {
        fail(ErrorCode::BadRequest, name, std::string("field '") + name + "' is required");
        return false;
    }
    return readUint(name, *v, out, 0, maxValue);
}

bool FieldReader::optionalUint(const char* name, std::optional<std::uint64_t>& out, std::uint64_t minValue,
                               std::uint64_t maxValue) {
    if (failed()) return false;
    const json::Value* v = find(name);
    if (!v) return true;
    std::uint64_t value = 0;
    if (!readUint(name, *v, value, minValue, maxValue)) return false;
    out = value;
    return true;
}

bool FieldReader::readUint(const char* name, const json::Value& v, std::uint64_t& out, std::uint64_t minValue,
                           std::uint64_t maxValue) {
    if (!v.IsUint64() || v.GetUint64() < minValue || v.GetUint64() > maxValue) {
        fail(ErrorCode::BadRequest, name,
             std::string("field '") + name + "' must be an integer from " + std::to_string(minValue) + " to " +
                 std::to_string(maxValue));
        return false;
    }
    out = v.GetUint64();
    return true;
}

bool FieldReader::requiredInt64(const char* name, std::int64_t& out) {
    if (failed()) return false;
    const json::Value* v = find(name);
    if (!v || !v->IsInt64()) {
        fail(ErrorCode::BadRequest, name, std::string("field '") + name + "' must be an integer");
        return false;
    }
    out = v->GetInt64();
    return true;
}

bool FieldReader::optionalBool(const char* name, bool& out) {
    if (failed()) return false;
    const json::Value* v = find(name);
    if (!v) return true;
    if (!v->IsBool()) {
        fail(ErrorCode::BadRequest, name, std::string("field '") + name + "' must be true or false");
        return false;
    }
    out = v->GetBool();
    return true;
}

void FieldReader::anyJson(const char* name, std::string& out, const char* fallback) {
    if (failed()) return;
    const json::Value* v = find(name);
    out = v ? json::toString(*v) : std::string(fallback);
}

bool FieldReader::optionalAnyJson(const char* name, std::optional<std::string>& out) {
    if (failed()) return false;
    if (const json::Value* v = find(name)) out = json::toString(*v);
    return true;
}

bool FieldReader::optionalObjectJson(const char* name, std::optional<std::string>& out) {
    if (failed()) return false;
    const json::Value* v = find(name);
    if (!v) return true;
    if (!v->IsObject()) {
        fail(ErrorCode::BadRequest, name, std::string("field '") + name + "' must be an object");
        return false;
    }
    out = json::toString(*v);
    return true;
}

bool FieldReader::requiredObjectJson(const char* name, std::string& out) {
    if (failed()) return false;
    std::optional<std::string> value;
    if (!optionalObjectJson(name, value)) return false;
    if (!value) {
        fail(ErrorCode::BadRequest, name, std::string("field '") + name + "' is required");
        return false;
    }
    out = std::move(*value);
    return true;
}

bool FieldReader::requiredRoom(const char* name, std::string& out) {
    if (!requiredString(name, out, 1, kMaxRoomIdBytes)) return false;
    if (!isValidRoomId(out)) {
        fail(ErrorCode::BadRequest, name,
             std::string("field '") + name + "' must be 1-128 bytes of A-Z a-z 0-9 _ . : @ -");
        return false;
    }
    return true;
}

bool FieldReader::position(const json::Value& value, const std::string& field, StreamPosition& out) {
    if (failed()) return false;
    if (!value.IsObject()) {
        fail(ErrorCode::BadRequest, field, "field '" + field + "' must be an object {epoch, offset}");
        return false;
    }
    auto epoch = value.FindMember("epoch");
    auto offset = value.FindMember("offset");
    if (epoch == value.MemberEnd() || !epoch->value.IsString() || epoch->value.GetStringLength() > 64) {
        fail(ErrorCode::BadRequest, field + ".epoch", "field '" + field + ".epoch' must be a string of at most 64 bytes");
        return false;
    }
    if (offset == value.MemberEnd() || !offset->value.IsUint64() || offset->value.GetUint64() > kMaxSafeInteger) {
        fail(ErrorCode::BadRequest, field + ".offset", "field '" + field + ".offset' must be a non-negative integer");
        return false;
    }
    out.epoch.assign(epoch->value.GetString(), epoch->value.GetStringLength());
    out.offset = offset->value.GetUint64();
    return true;
}

bool FieldReader::optionalPosition(const char* name, std::optional<StreamPosition>& out) {
    if (failed()) return false;
    const json::Value* v = find(name);
    if (!v) return true;
    StreamPosition p;
    if (!position(*v, name, p)) return false;
    out = std::move(p);
    return true;
}

bool FieldReader::optionalNumberJson(const char* name, std::optional<std::string>& out) {
    if (failed()) return false;
    const json::Value* v = find(name);
    if (!v) return true;
    if (!v->IsNumber()) {
        fail(ErrorCode::BadRequest, name, std::string("field '") + name + "' must be a number");
        return false;
    }
    out = json::toString(*v);
    return true;
}

bool FieldReader::requiredError(const char* name, Error& out) {
    if (failed()) return false;
    const json::Value* v = find(name);
    if (!v || !v->IsObject()) {
        fail(ErrorCode::BadRequest, name, std::string("field '") + name + "' must be an error object");
        return false;
    }
    FieldReader er(*v);
    std::string code;
    er.requiredString("code", code, 1, 64);
    er.requiredString("message", out.message, 0, 1 << 20);
    std::optional<std::string> details;
    er.optionalObjectJson("details", details);
    if (er.failed()) {
        fail(ErrorCode::BadRequest, name, std::string("field '") + name + "' must be {code, message, details}");
        return false;
    }
    // A code from a newer server is still an error; keep it as internal.
    out.code = errorCodeFromName(code).value_or(ErrorCode::Internal);
    out.detailsJson = details.value_or("{}");
    return true;
}

bool FieldReader::requiredMember(const char* name, MemberView& out) {
    if (failed()) return false;
    const json::Value* v = find(name);
    if (!v || !memberFrom(*v, out)) {
        fail(ErrorCode::BadRequest, name, std::string("field '") + name + "' must be a member object {sid, user, info}");
        return false;
    }
    return true;
}

bool FieldReader::memberFrom(const json::Value& value, MemberView& out) {
    if (!value.IsObject()) return false;
    FieldReader mr(value);
    mr.requiredString("sid", out.sid, 1, 128);
    mr.optionalString("user", out.user, 0, 1024);
    mr.anyJson("info", out.infoJson, "{}");
    return !mr.failed();
}

}  // namespace brolostack::protocol::detail
