#include "brolostack/config/settings.hpp"

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <cstdlib>
#include <limits>
#include <sstream>

namespace brolostack::config {
namespace {

struct Profile {
    bool compression;
    std::int64_t heartbeatMs;
    std::size_t maxConnections;
    std::uint32_t connectionRatePerIp;
    std::uint32_t rateLimitRpm;
    std::size_t inboundBytesPerSecond;
    bool authRequired;
    bool encryption;
    const char* logLevel;
    bool detailedErrors;
    std::size_t maxAgentsPerSession;
    std::int64_t taskTimeoutMs;
};

// The table of DESIGN.md, one row per environment.
Profile profileOf(Environment env) {
    switch (env) {
        case Environment::Development: return {false, 30000, 100, 0, 0, 0, false, false, "debug", true, 10, 600000};
        case Environment::Test: return {false, 60000, 50, 0, 0, 0, false, false, "warn", true, 10, 600000};
        case Environment::Staging: return {true, 30000, 1000, 600, 10000, 4 << 20, true, true, "debug", false, 50, 300000};
        case Environment::Production: return {true, 15000, 10000, 600, 1000, 1 << 20, true, true, "warn", false, 50, 300000};
    }
    return profileOf(Environment::Development);
}

class Reader {
public:
    Reader(const Lookup& lookup, LoadResult& result) : lookup_(lookup), result_(result) {}

    std::optional<std::string> raw(const char* name) {
        auto v = lookup_(name);
        if (v && v->empty()) return std::nullopt;
        return v;
    }

    void text(const char* name, std::string& out) {
        if (auto v = raw(name)) out = *v;
    }

    template <class Int>
    void integer(const char* name, Int& out, long long minValue, long long maxValue) {
        auto v = raw(name);
        if (!v) return;
        errno = 0;
        char* end = nullptr;
        long long parsed = std::strtoll(v->c_str(), &end, 10);
        if (errno != 0 || end == v->c_str() || *end != '\0' || parsed < minValue || parsed > maxValue) {
            fail(std::string(name) + " must be an integer from " + std::to_string(minValue) + " to " +
                 std::to_string(maxValue) + " (got '" + *v + "')");
            return;
        }
        out = static_cast<Int>(parsed);
    }

    /// Returns whether the variable was given at all.
    bool boolean(const char* name, bool& out) {
        auto v = raw(name);
        if (!v) return false;
        if (*v == "true" || *v == "1" || *v == "yes" || *v == "on") out = true;
        else if (*v == "false" || *v == "0" || *v == "no" || *v == "off") out = false;
        else fail(std::string(name) + " must be true or false (got '" + *v + "')");
        return true;
    }

    /// Every problem is reported, so one start tells the user all to fix.
    void fail(std::string message) {
        result_.fatal = result_.fatal ? *result_.fatal + "; " + message : std::move(message);
    }

private:
    const Lookup& lookup_;
    LoadResult& result_;
};

std::vector<std::string> splitList(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        auto first = item.find_first_not_of(" \t");
        auto last = item.find_last_not_of(" \t");
        if (first != std::string::npos) out.push_back(item.substr(first, last - first + 1));
    }
    return out;
}

std::vector<ApiKey> parseApiKeys(const std::string& text) {
    std::vector<ApiKey> keys;
    for (const auto& item : splitList(text)) {
        auto eq = item.find('=');
        if (eq == std::string::npos || eq == 0) keys.push_back({std::to_string(keys.size() + 1), item});
        else keys.push_back({item.substr(0, eq), item.substr(eq + 1)});
    }
    return keys;
}

void applyProfile(Settings& s, const Profile& p) {
    s.compression = p.compression;
    s.heartbeatMs = p.heartbeatMs;
    s.maxConnections = p.maxConnections;
    s.connectionRatePerIp = p.connectionRatePerIp;
    s.rateLimitRpm = p.rateLimitRpm;
    s.inboundBytesPerSecond = p.inboundBytesPerSecond;
    s.authRequired = p.authRequired;
    s.encryption = p.encryption;
    s.logLevel = p.logLevel;
    s.detailedErrors = p.detailedErrors;
    s.maxAgentsPerSession = p.maxAgentsPerSession;
    s.taskTimeoutMs = p.taskTimeoutMs;
}

constexpr long long kMaxMs = 7LL * 24 * 3600 * 1000;

void readOverrides(Reader& r, Settings& s) {
    r.text("HOST", s.host);
    r.integer("PORT", s.port, 0, 65535);
    r.text("WS_PATH", s.wsPath);
    r.text("STATIC_DIR", s.staticDir);
    r.text("STORE", s.store);
    r.text("DATA_DIR", s.dataDir);
    r.text("BROKER", s.broker);
    if (auto shards = r.raw("SHARDS")) {
        char* end = nullptr;
        errno = 0;
        long long count = std::strtoll(shards->c_str(), &end, 10);
        if (*shards == "auto") s.shards = 0;
        else if (errno == 0 && end != shards->c_str() && *end == '\0' && count >= 1 && count <= 256)
            s.shards = static_cast<std::size_t>(count);
        else r.fail("SHARDS must be auto or an integer from 1 to 256 (got '" + *shards + "')");
    }
    r.boolean("ENABLE_COMPRESSION", s.compression);
    r.integer("HEARTBEAT_MS", s.heartbeatMs, 1000, kMaxMs);
    r.integer("MAX_CONNECTIONS", s.maxConnections, 1, 10000000);
    r.integer("CONNECTION_RATE_PER_IP", s.connectionRatePerIp, 0, 100000000);
    r.integer("RATE_LIMIT_RPM", s.rateLimitRpm, 0, 100000000);
    r.integer("INBOUND_BYTES_PER_SECOND", s.inboundBytesPerSecond, 0, 1LL << 40);
    r.boolean("API_KEY_REQUIRED", s.authRequired);
    r.text("TLS_CERT", s.tlsCert);
    r.text("TLS_KEY", s.tlsKey);
    r.text("LOG_LEVEL", s.logLevel);
    r.text("LOG_FORMAT", s.logFormat);
    r.boolean("DETAILED_ERRORS", s.detailedErrors);
    r.integer("MAX_AGENTS_PER_SESSION", s.maxAgentsPerSession, 1, 1000000);
    r.integer("TASK_TIMEOUT_MS", s.taskTimeoutMs, 1, kMaxMs);
    r.integer("ASSIGN_TIMEOUT_MS", s.assignTimeoutMs, 1, kMaxMs);
    r.integer("COLLABORATION_TIMEOUT_MS", s.collaborationTimeoutMs, 1, kMaxMs);
    r.integer("SESSION_IDLE_TIMEOUT_MS", s.sessionIdleTimeoutMs, 1000, kMaxMs);
    r.text("BACKEND_URL", s.backendUrl);
    r.text("WEBHOOK_SECRET", s.webhookSecret);
    r.integer("WEBHOOK_TIMEOUT_MS", s.webhookTimeoutMs, 1, 600000);
    r.integer("MAX_PENDING_WEBHOOKS", s.maxPendingWebhooks, 1, 1000000);
    r.text("JWT_SECRET", s.jwtSecret);
    r.text("JWT_PUBLIC_KEY", s.jwtPublicKey);
    r.text("JWT_ALGORITHM", s.jwtAlgorithm);
    r.text("JWT_AUDIENCE", s.jwtAudience);
    r.text("JWT_ISSUER", s.jwtIssuer);
    if (auto keys = r.raw("API_KEYS")) s.apiKeys = parseApiKeys(*keys);
    r.integer("MAX_MESSAGE_BYTES", s.maxMessageBytes, 1024, 64LL * 1024 * 1024);
    r.integer("MAX_JSON_DEPTH", s.maxJsonDepth, 2, 256);
    r.integer("MAX_ROOMS_PER_CONNECTION", s.maxRoomsPerConnection, 1, 100000);
    r.integer("MAX_ROOMS", s.maxRooms, 1, 100000000);
    r.integer("MAX_SESSIONS", s.maxSessions, 1, 10000000);
    r.integer("MAX_TASKS_PER_SESSION", s.maxTasksPerSession, 1, 100000000);
    r.integer("TASK_RETENTION_MS", s.taskRetentionMs, 0, 365LL * 24 * 3600 * 1000);
    r.integer("DEAD_LETTER_RETENTION_MS", s.deadLetterRetentionMs, 0, 365LL * 24 * 3600 * 1000);
    r.integer("HISTORY_SIZE", s.historySize, 0, 10000000);
    r.integer("HISTORY_TTL_MS", s.historyTtlMs, 1, kMaxMs);
    r.integer("EMPTY_ROOM_TTL_MS", s.emptyRoomTtlMs, 0, kMaxMs);
    r.integer("HISTORY_MAX_BYTES", s.historyMaxBytes, 0, 1LL << 40);
    r.integer("MEMORY_LIMIT_BYTES", s.memoryLimitBytes, 1024 * 1024, 1LL << 44);
    r.integer("MAX_HISTORY_LIMIT", s.maxHistoryLimit, 1, 100000);
    r.integer("MID_TTL_MS", s.midTtlMs, 1, kMaxMs);
    r.integer("MAX_REMEMBERED_MIDS", s.maxRememberedMids, 1, 100000000);
    r.integer("HELLO_TIMEOUT_MS", s.helloTimeoutMs, 1, kMaxMs);
    r.integer("PROTOCOL_ERROR_LIMIT", s.protocolErrorLimit, 1, 1000000);
    r.integer("MAX_BUFFERED_BYTES", s.maxBufferedBytes, 1024, 1LL << 34);
    r.integer("DRAIN_TIMEOUT_MS", s.drainTimeoutMs, 0, 600000);
}

void checkRequirements(Reader& r, LoadResult& result, bool encryptionGiven) {
    Settings& s = result.settings;
    bool strict = s.environment == Environment::Staging || s.environment == Environment::Production;
    static const char* const kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    if (std::find(std::begin(kLevels), std::end(kLevels), s.logLevel) == std::end(kLevels))
        r.fail("LOG_LEVEL must be one of trace, debug, info, warn, error, critical, off (got '" + s.logLevel + "')");
    if (s.logFormat != "json" && s.logFormat != "text")
        r.fail("LOG_FORMAT must be json or text (got '" + s.logFormat + "')");
    if (s.store != "sqlite" && s.store != "memory")
        r.fail("STORE must be sqlite or memory (got '" + s.store + "')");
    if (s.broker != "local" && s.broker.rfind("redis://", 0) != 0)
        r.fail("BROKER must be local or redis://[[user]:password@]host[:port][/db] (got '" + withoutPassword(s.broker) +
               "')");
    if (s.store == "sqlite" && s.dataDir.empty()) r.fail("DATA_DIR must name a folder for the sqlite store");
    if (s.wsPath.empty() || s.wsPath.front() != '/') r.fail("WS_PATH must start with '/' (got '" + s.wsPath + "')");
    if (s.encryption) {
        if (s.tlsCert.empty() || s.tlsKey.empty())
            r.fail(std::string(environmentName(s.environment)) +
                   " requires TLS: set TLS_CERT and TLS_KEY (PEM files), or set ENABLE_ENCRYPTION=false when a "
                   "proxy in front of the server ends TLS");
    } else if (strict && encryptionGiven) {
        result.warnings.push_back("ENABLE_ENCRYPTION=false in " + std::string(environmentName(s.environment)) +
                                  ": traffic must be encrypted by a proxy in front of this server");
    }
    if (!s.backendUrl.empty() && s.backendUrl.rfind("http://", 0) != 0 && s.backendUrl.rfind("https://", 0) != 0)
        r.fail("BACKEND_URL must start with http:// or https:// (got '" + s.backendUrl + "')");
    if (!s.backendUrl.empty() && s.webhookSecret.empty())
        result.warnings.push_back("BACKEND_URL without WEBHOOK_SECRET: the backend cannot verify that events come from here");
    if (!s.jwtSecret.empty() && !s.jwtPublicKey.empty())
        r.fail("set JWT_SECRET (HS256) or JWT_PUBLIC_KEY (RS256/ES256), not both");
    if (s.jwtAlgorithm.empty()) s.jwtAlgorithm = s.jwtPublicKey.empty() ? "HS256" : "RS256";
    if (s.jwtAlgorithm != "HS256" && s.jwtAlgorithm != "RS256" && s.jwtAlgorithm != "ES256")
        r.fail("JWT_ALGORITHM must be HS256, RS256 or ES256 (got '" + s.jwtAlgorithm + "')");
    else if (s.jwtEnabled() && (s.jwtAlgorithm == "HS256") != !s.jwtSecret.empty())
        r.fail("JWT_ALGORITHM " + s.jwtAlgorithm + " needs " +
               (s.jwtAlgorithm == "HS256" ? "JWT_SECRET" : "JWT_PUBLIC_KEY (a PEM file)"));
    if (strict && s.authRequired && s.apiKeys.empty() && !s.jwtEnabled()) {
        if (s.environment == Environment::Production)
            r.fail("production requires credentials: set API_KEYS (e.g. API_KEYS=web=<secret>), JWT_SECRET or "
                   "JWT_PUBLIC_KEY");
        else
            result.warnings.push_back("staging without API_KEYS or JWT settings: every connection will be refused");
    }
    if (strict && s.allowedOrigins.empty() && !s.anyOrigin)
        result.warnings.push_back("ALLOWED_ORIGINS is unset: browser connections (with an Origin header) are refused");
}

}  // namespace

std::optional<Environment> parseEnvironment(std::string_view name) {
    if (name == "development") return Environment::Development;
    if (name == "test") return Environment::Test;
    if (name == "staging") return Environment::Staging;
    if (name == "production") return Environment::Production;
    return std::nullopt;
}

std::string_view environmentName(Environment env) {
    switch (env) {
        case Environment::Development: return "development";
        case Environment::Test: return "test";
        case Environment::Staging: return "staging";
        case Environment::Production: return "production";
    }
    return "development";
}

LoadResult loadSettings(const Lookup& lookup) {
    LoadResult result;
    Reader r(lookup, result);
    Settings& s = result.settings;

    auto envName = r.raw("BROLOSTACK_ENV");
    if (!envName) envName = r.raw("NODE_ENV");
    if (envName) {
        auto env = parseEnvironment(*envName);
        if (!env) {
            r.fail("unknown environment '" + *envName +
                   "' in BROLOSTACK_ENV/NODE_ENV: use development, test, staging or production");
            return result;
        }
        s.environment = *env;
    }
    applyProfile(s, profileOf(s.environment));
    // JSON lines wherever a machine reads the log; text on a developer's terminal.
    s.logFormat = s.environment == Environment::Development ? "text" : "json";
    bool strict = s.environment == Environment::Staging || s.environment == Environment::Production;
    s.anyOrigin = !strict;
    if (auto origins = r.raw("ALLOWED_ORIGINS")) {
        s.allowedOrigins = splitList(*origins);
        s.anyOrigin = false;
        for (const auto& o : s.allowedOrigins)
            if (o == "*") s.anyOrigin = true;
    }
    if (auto proxies = r.raw("TRUSTED_PROXIES")) s.trustedProxies = splitList(*proxies);
    readOverrides(r, s);
    bool encryptionGiven = r.boolean("ENABLE_ENCRYPTION", s.encryption);
    checkRequirements(r, result, encryptionGiven);
    return result;
}

const std::vector<SettingInfo>& settingCatalog() {
    static const std::vector<SettingInfo> catalog{
        {"BROLOSTACK_ENV", "environment profile: development, test, staging, production (else NODE_ENV)"},
        {"HOST", "address to listen on (default 0.0.0.0)"},
        {"PORT", "port to listen on (default 3001)"},
        {"WS_PATH", "WebSocket endpoint path (default /ws)"},
        {"STATIC_DIR", "folder served at / (the web demo)"},
        {"STORE", "where rooms, history, dedupe and resume grants survive restarts: sqlite (default) or memory"},
        {"DATA_DIR", "folder of the sqlite store (default ./data)"},
        {"BROKER", "where rooms fan out: local (default) or redis://host[:port][/db] for cluster mode"},
        {"SHARDS", "event loops, each serving its share of the connections on the same port: 1 (default), 2-256, "
                   "or auto (one per core)"},
        {"ENABLE_COMPRESSION", "permessage-deflate (profile; not yet available, logged when on)"},
        {"HEARTBEAT_MS", "WebSocket ping interval; silent peers close after twice this (profile)"},
        {"MAX_CONNECTIONS", "open connections at most; more get HTTP 503 (profile)"},
        {"CONNECTION_RATE_PER_IP", "new connections per minute from one IP, 0 = off; more get HTTP 429 (profile)"},
        {"RATE_LIMIT_RPM", "frames per minute per connection, 0 = off (profile)"},
        {"INBOUND_BYTES_PER_SECOND", "bytes per second one connection may send; past it the server reads from it more slowly, 0 = off (profile)"},
        {"API_KEY_REQUIRED", "refuse anonymous connections (profile)"},
        {"API_KEYS", "accepted API keys: name=secret or secret, comma-separated"},
        {"BACKEND_URL", "backend base URL; unhandled send events are POSTed to BACKEND_URL/brolostack/events"},
        {"WEBHOOK_SECRET", "HMAC-SHA256 key for X-Brolostack-Signature on webhook calls"},
        {"WEBHOOK_TIMEOUT_MS", "webhook call timeout (default 5000)"},
        {"MAX_PENDING_WEBHOOKS", "webhook calls in flight at most; more answer unavailable (default 1000)"},
        {"JWT_SECRET", "HS256 secret for JWTs"},
        {"JWT_PUBLIC_KEY", "PEM public key file for RS256 or ES256 JWTs"},
        {"JWT_ALGORITHM", "the one JWT alg accepted: HS256 (default with a secret), RS256, ES256"},
        {"JWT_AUDIENCE", "required aud claim of JWTs"},
        {"JWT_ISSUER", "required iss claim of JWTs"},
        {"ENABLE_ENCRYPTION", "require TLS (profile)"},
        {"TLS_CERT", "TLS certificate file"},
        {"TLS_KEY", "TLS private key file"},
        {"ALLOWED_ORIGINS", "allowed browser origins, comma-separated, * = any (profile)"},
        {"TRUSTED_PROXIES", "proxies (CIDRs, comma-separated) whose X-Forwarded-For gives the client address (default none)"},
        {"LOG_LEVEL", "trace, debug, info, warn, error, off (profile)"},
        {"LOG_FORMAT", "json or text, on stderr (text in development, json otherwise)"},
        {"DETAILED_ERRORS", "error messages with details (profile)"},
        {"MAX_AGENTS_PER_SESSION", "agents per ARGS session (profile)"},
        {"TASK_TIMEOUT_MS", "default ARGS task stage timeout (profile)"},
        {"ASSIGN_TIMEOUT_MS", "how long a ready task stage waits for an agent (default 30000)"},
        {"COLLABORATION_TIMEOUT_MS", "how long a collaboration request waits for an answer (default 60000)"},
        {"SESSION_IDLE_TIMEOUT_MS", "idle ARGS sessions are closed after this (default 1800000)"},
        {"MAX_MESSAGE_BYTES", "largest frame; larger closes with 1009 (default 1048576)"},
        {"MAX_JSON_DEPTH", "deepest JSON nesting accepted (default 32)"},
        {"MAX_ROOMS_PER_CONNECTION", "rooms one connection may join (default 100)"},
        {"MAX_ROOMS", "rooms held server-wide; a new one past it is limit_exceeded (default 100000)"},
        {"MAX_SESSIONS", "ARGS sessions held server-wide; a new one past it is limit_exceeded (default 10000)"},
        {"MAX_TASKS_PER_SESSION", "tasks kept per ARGS session; finished ones make room, past it a new task is limit_exceeded (default 100000)"},
        {"TASK_RETENTION_MS", "completed and canceled tasks are forgotten this long after they finish (default 3600000)"},
        {"DEAD_LETTER_RETENTION_MS", "failed tasks (dead letters) are forgotten this long after they fail (default 604800000)"},
        {"HISTORY_SIZE", "messages kept per room (default 1000)"},
        {"HISTORY_TTL_MS", "how long room messages are kept (default 600000)"},
        {"EMPTY_ROOM_TTL_MS", "a room nothing was published to is forgotten this long after its last member left (default 30000)"},
        {"HISTORY_MAX_BYTES", "message bytes kept per room (default 4194304)"},
        {"MEMORY_LIMIT_BYTES", "message bytes kept in all rooms' history; past it the largest give way (default 268435456)"},
        {"MAX_HISTORY_LIMIT", "most messages one history call returns (default 1000)"},
        {"MID_TTL_MS", "how long message ids are remembered for dedupe (default 600000)"},
        {"MAX_REMEMBERED_MIDS", "message ids remembered at most, server-wide (default 1000000)"},
        {"HELLO_TIMEOUT_MS", "time allowed for the hello frame (default 10000)"},
        {"PROTOCOL_ERROR_LIMIT", "bad frames per minute before close 4000 (default 20)"},
        {"MAX_BUFFERED_BYTES", "outgoing backlog per connection before close 4090 (default 8388608)"},
        {"DRAIN_TIMEOUT_MS", "how long shutdown waits for clients to close (default 5000)"},
    };
    return catalog;
}

std::vector<std::string> describe(const Settings& s) {
    auto b = [](bool v) { return std::string(v ? "true" : "false"); };
    std::string origins = s.anyOrigin ? "*" : "";
    for (const auto& o : s.allowedOrigins)
        if (o != "*") origins += (origins.empty() ? "" : ",") + o;
    std::string proxies;
    for (const auto& p : s.trustedProxies) proxies += (proxies.empty() ? "" : ",") + p;
    std::string keys;
    for (const auto& k : s.apiKeys) keys += (keys.empty() ? "" : ",") + k.name + "=****";
    return {
        "BROLOSTACK_ENV=" + std::string(environmentName(s.environment)),
        "HOST=" + s.host,
        "PORT=" + std::to_string(s.port),
        "WS_PATH=" + s.wsPath,
        "STATIC_DIR=" + s.staticDir,
        "STORE=" + s.store,
        "DATA_DIR=" + s.dataDir,
        "BROKER=" + withoutPassword(s.broker),
        "SHARDS=" + (s.shards == 0 ? std::string("auto") : std::to_string(s.shards)),
        "ENABLE_COMPRESSION=" + b(s.compression),
        "HEARTBEAT_MS=" + std::to_string(s.heartbeatMs),
        "MAX_CONNECTIONS=" + std::to_string(s.maxConnections),
        "CONNECTION_RATE_PER_IP=" + std::to_string(s.connectionRatePerIp),
        "RATE_LIMIT_RPM=" + std::to_string(s.rateLimitRpm),
        "INBOUND_BYTES_PER_SECOND=" + std::to_string(s.inboundBytesPerSecond),
        "API_KEY_REQUIRED=" + b(s.authRequired),
        "API_KEYS=" + keys,
        "BACKEND_URL=" + s.backendUrl,
        "WEBHOOK_SECRET=" + std::string(s.webhookSecret.empty() ? "" : "****"),
        "WEBHOOK_TIMEOUT_MS=" + std::to_string(s.webhookTimeoutMs),
        "MAX_PENDING_WEBHOOKS=" + std::to_string(s.maxPendingWebhooks),
        "JWT_SECRET=" + std::string(s.jwtSecret.empty() ? "" : "****"),
        "JWT_PUBLIC_KEY=" + s.jwtPublicKey,
        "JWT_ALGORITHM=" + std::string(s.jwtEnabled() ? s.jwtAlgorithm : ""),
        "JWT_AUDIENCE=" + s.jwtAudience,
        "JWT_ISSUER=" + s.jwtIssuer,
        "ENABLE_ENCRYPTION=" + b(s.encryption),
        "TLS_CERT=" + s.tlsCert,
        "TLS_KEY=" + std::string(s.tlsKey.empty() ? "" : "****"),
        "ALLOWED_ORIGINS=" + origins,
        "TRUSTED_PROXIES=" + proxies,
        "LOG_LEVEL=" + s.logLevel,
        "LOG_FORMAT=" + s.logFormat,
        "DETAILED_ERRORS=" + b(s.detailedErrors),
        "MAX_AGENTS_PER_SESSION=" + std::to_string(s.maxAgentsPerSession),
        "TASK_TIMEOUT_MS=" + std::to_string(s.taskTimeoutMs),
        "ASSIGN_TIMEOUT_MS=" + std::to_string(s.assignTimeoutMs),
        "COLLABORATION_TIMEOUT_MS=" + std::to_string(s.collaborationTimeoutMs),
        "SESSION_IDLE_TIMEOUT_MS=" + std::to_string(s.sessionIdleTimeoutMs),
        "MAX_MESSAGE_BYTES=" + std::to_string(s.maxMessageBytes),
        "MAX_JSON_DEPTH=" + std::to_string(s.maxJsonDepth),
        "MAX_ROOMS_PER_CONNECTION=" + std::to_string(s.maxRoomsPerConnection),
        "MAX_ROOMS=" + std::to_string(s.maxRooms),
        "MAX_SESSIONS=" + std::to_string(s.maxSessions),
        "MAX_TASKS_PER_SESSION=" + std::to_string(s.maxTasksPerSession),
        "TASK_RETENTION_MS=" + std::to_string(s.taskRetentionMs),
        "DEAD_LETTER_RETENTION_MS=" + std::to_string(s.deadLetterRetentionMs),
        "HISTORY_SIZE=" + std::to_string(s.historySize),
        "HISTORY_TTL_MS=" + std::to_string(s.historyTtlMs),
        "EMPTY_ROOM_TTL_MS=" + std::to_string(s.emptyRoomTtlMs),
        "HISTORY_MAX_BYTES=" + std::to_string(s.historyMaxBytes),
        "MEMORY_LIMIT_BYTES=" + std::to_string(s.memoryLimitBytes),
        "MAX_HISTORY_LIMIT=" + std::to_string(s.maxHistoryLimit),
        "MID_TTL_MS=" + std::to_string(s.midTtlMs),
        "MAX_REMEMBERED_MIDS=" + std::to_string(s.maxRememberedMids),
        "HELLO_TIMEOUT_MS=" + std::to_string(s.helloTimeoutMs),
        "PROTOCOL_ERROR_LIMIT=" + std::to_string(s.protocolErrorLimit),
        "MAX_BUFFERED_BYTES=" + std::to_string(s.maxBufferedBytes),
        "DRAIN_TIMEOUT_MS=" + std::to_string(s.drainTimeoutMs),
    };
}

std::string withoutPassword(std::string_view url) {
    auto start = url.find("://");
    if (start == std::string_view::npos) return std::string(url);
    auto at = url.find_last_of('@');
    auto colon = url.find(':', start + 3);
    if (at == std::string_view::npos || colon == std::string_view::npos || colon > at) return std::string(url);
    return std::string(url.substr(0, colon + 1)) + "****" + std::string(url.substr(at));
}

}  // namespace brolostack::config
