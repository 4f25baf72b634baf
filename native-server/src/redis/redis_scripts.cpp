#include "redis/redis_scripts.hpp"

namespace brolostack::native::redis {

struct RedisScripts::Call {
    std::vector<std::string> keys;
    std::vector<std::string> args;
    std::shared_ptr<const std::string> source;  // for the EVAL fallback
};

RedisScripts::RedisScripts(RedisConnection& connection) : connection_(connection) {
    // The hook lives in the connection, so the connection is there when it
    // runs; the scripts may not be.
    std::weak_ptr<State> weak = state_;
    connection_.onConnect([&connection, weak] {
        if (auto state = weak.lock())
            for (Id id = 0; id < state->scripts.size(); ++id) load(connection, state, id);
    });
}

RedisScripts::Id RedisScripts::add(std::string source) {
    Id id = state_->scripts.size();
    state_->scripts.push_back(Script{std::make_shared<const std::string>(std::move(source)), {}});
    if (connection_.up()) load(connection_, state_, id);
    return id;
}

void RedisScripts::load(RedisConnection& connection, const std::shared_ptr<State>& state, Id script) {
    std::weak_ptr<State> weak = state;
    connection.command({"SCRIPT", "LOAD", *state->scripts[script].source}, [weak, script](RedisReply reply) {
        // An error (a script that does not compile) leaves the SHA unknown:
        // its calls then go out as EVAL and get the compile error.
        if (auto state = weak.lock(); state && reply.isString()) state->scripts[script].sha = reply.string();
    });
}

void RedisScripts::run(Id script, std::vector<std::string> keys, std::vector<std::string> args,
                       RedisConnection::ReplyHandler onReply) {
    if (script >= state_->scripts.size()) {
        onReply(RedisReply::ofError(RedisError::Kind::Unexpected, "unknown script " + std::to_string(script)));
        return;
    }
    const Script& s = state_->scripts[script];
    auto call = std::make_shared<Call>(Call{std::move(keys), std::move(args), s.source});
    if (s.sha.empty()) return send(connection_, "EVAL", *s.source, call, std::move(onReply));

    std::weak_ptr<State> weak = state_;
    RedisConnection* connection = &connection_;  // the callback runs only while the connection exists
    send(connection_, "EVALSHA", s.sha, call, [connection, weak, call, onReply](RedisReply reply) mutable {
        bool noScript = reply.isError() && reply.error().kind == RedisError::Kind::Reply &&
                        reply.error().message.compare(0, 8, "NOSCRIPT") == 0;
        if (!noScript) return onReply(std::move(reply));
        if (auto state = weak.lock()) ++state->fallbacks;
        send(*connection, "EVAL", *call->source, call, std::move(onReply));  // EVAL also caches it again
    });
}

void RedisScripts::send(RedisConnection& connection, const std::string& verb, const std::string& body,
                        const std::shared_ptr<Call>& call, RedisConnection::ReplyHandler onReply) {
    std::string keyCount = std::to_string(call->keys.size());
    std::vector<std::string_view> argv;
    argv.reserve(3 + call->keys.size() + call->args.size());
    argv.push_back(verb);
    argv.push_back(body);
    argv.push_back(keyCount);
    argv.insert(argv.end(), call->keys.begin(), call->keys.end());
    argv.insert(argv.end(), call->args.begin(), call->args.end());
    connection.command(argv, std::move(onReply));
}

}  // namespace brolostack::native::redis
