#include "redis/redis_reply.hpp"

#include <hiredis/hiredis.h>

namespace brolostack::native::redis {

RedisReply RedisReply::fromHiredis(const redisReply& reply) {
    switch (reply.type) {
        case REDIS_REPLY_INTEGER:
            return ofInteger(reply.integer);
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
            return ofString(std::string(reply.str, reply.len));
        case REDIS_REPLY_ERROR:
            return ofError(RedisError::Kind::Reply, std::string(reply.str, reply.len));
        case REDIS_REPLY_ARRAY: {
            std::vector<RedisReply> elements;
            elements.reserve(reply.elements);
            for (std::size_t i = 0; i < reply.elements; ++i) elements.push_back(fromHiredis(*reply.element[i]));
            return ofArray(std::move(elements));
        }
        case REDIS_REPLY_NIL:
        default:
            return RedisReply();
    }
}

std::int64_t RedisReply::integer() const {
    const auto* value = std::get_if<std::int64_t>(&value_);
    return value ? *value : 0;
}

const std::string& RedisReply::string() const {
    static const std::string empty;
    const auto* value = std::get_if<std::string>(&value_);
    return value ? *value : empty;
}

const std::vector<RedisReply>& RedisReply::array() const {
    static const std::vector<RedisReply> empty;
    const auto* value = std::get_if<std::vector<RedisReply>>(&value_);
    return value ? *value : empty;
}

const RedisError& RedisReply::error() const {
    static const RedisError none{RedisError::Kind::Unexpected, "not an error"};
    const auto* value = std::get_if<RedisError>(&value_);
    return value ? *value : none;
}

std::string RedisReply::describe() const {
    switch (type()) {
        case Type::Nil:
            return "(nil)";
        case Type::Integer:
            return "(integer) " + std::to_string(integer());
        case Type::String:
            return "\"" + string() + "\"";
        case Type::Error:
            return "(error) " + error().message;
        case Type::Array: {
            std::string out = "[";
            for (std::size_t i = 0; i < array().size(); ++i) out += (i ? ", " : "") + array()[i].describe();
            return out + "]";
        }
    }
    return "";
}

}  // namespace brolostack::native::redis
