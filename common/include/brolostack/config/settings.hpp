// Server settings: the environment profiles of DESIGN.md, overridden by
// environment variables (or flags, which main() feeds through the same
// lookup). Every limit a peer can push against lives here, with its default.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace brolostack::config {

enum class Environment { Development, Test, Staging, Production };

std::optional<Environment> parseEnvironment(std::string_view name);
std::string_view environmentName(Environment env);

/// A named API key; unnamed keys are named "1", "2", ... by position.
struct ApiKey {
    std::string name;
    std::string secret;
};

/// The BROKER of each shard of brolostack-server (SHARDS > 1) when the
/// server's BROKER is local: the shards meet through one broker in the
/// process. Not a value users give.
inline constexpr const char* kInProcessBroker = "in-process";

struct Settings {
    Environment environment = Environment::Development;

    // Listening
    std::string host = "0.0.0.0";
    std::uint16_t port = 3001;
    std::string wsPath = "/ws";
    std::string staticDir;  // served at "/" when set
    std::string store = "sqlite";  // where what survives a restart lives: sqlite | memory
    std::string dataDir = "./data";  // the sqlite store's folder
    /// Where rooms fan out: local | redis://host[:port][/db] (cluster mode);
    /// brolostack-server's shards without Redis get kInProcessBroker.
    std::string broker = "local";
    /// Event loops of the server, each a shard with its own connections
    /// (DESIGN.md, "Concurrency"); 0 (SHARDS=auto): one per core.
    std::size_t shards = 1;

    // Profile rows (DESIGN.md)
    bool compression = false;
    std::int64_t heartbeatMs = 30000;
    std::size_t maxConnections = 100;
    std::uint32_t connectionRatePerIp = 0;  // new connections per IP per minute, 0 = off
    std::uint32_t rateLimitRpm = 0;  // 0 = off
    std::size_t inboundBytesPerSecond = 0;  // per connection; past it reads pause (0 = off)
    bool authRequired = false;
    bool encryption = false;
    std::string tlsCert;
    std::string tlsKey;
    bool anyOrigin = true;  // "*"
    std::vector<std::string> allowedOrigins;
    std::vector<std::string> trustedProxies;  // CIDRs whose X-Forwarded-For names the client
    std::string logLevel = "debug";
    std::string logFormat = "text";  // json | text (stderr)
    bool detailedErrors = true;
    std::size_t maxAgentsPerSession = 10;
    std::int64_t taskTimeoutMs = 10 * 60 * 1000;
    std::int64_t assignTimeoutMs = 30000;            // a ready task stage waits this long for an agent
    std::int64_t collaborationTimeoutMs = 60000;     // unanswered collaboration requests time out
    std::int64_t sessionIdleTimeoutMs = 30 * 60 * 1000;  // idle ARGS sessions are closed

    // Backend webhook (PROTOCOL.md section 9)
    std::string backendUrl;                    // unhandled `send` events go to BACKEND_URL/brolostack/events
    std::string webhookSecret;                 // HMAC-SHA256 key of X-Brolostack-Signature
    std::int64_t webhookTimeoutMs = 5000;
    std::size_t maxPendingWebhooks = 1000;     // calls in flight, server-wide; more are `unavailable`

    // Credentials
    std::vector<ApiKey> apiKeys;
    std::string jwtSecret;     // HS256 shared secret
    std::string jwtPublicKey;  // PEM file for RS256 / ES256
    std::string jwtAlgorithm;  // HS256 with a secret, RS256 (or ES256) with a public key
    std::string jwtAudience;   // checked against `aud` when set
    std::string jwtIssuer;     // checked against `iss` when set
    bool jwtEnabled() const { return !jwtSecret.empty() || !jwtPublicKey.empty(); }

    // Peer-controlled limits
    std::size_t maxMessageBytes = 1024 * 1024;      // larger frames close with 1009
    unsigned maxJsonDepth = 32;                      // deeper JSON is bad_request
    std::size_t maxRoomsPerConnection = 100;         // more joins are limit_exceeded
    std::size_t maxRooms = 100000;                   // rooms held server-wide; joining or publishing to a new one past it is limit_exceeded
    std::size_t maxSessions = 10000;                 // ARGS sessions server-wide; starting another past it is limit_exceeded
    std::size_t maxTasksPerSession = 100000;         // tasks kept per session; finished ones make room, unfinished ones past it are limit_exceeded
    std::int64_t taskRetentionMs = 3600000;          // completed and canceled tasks are forgotten this long after
    std::int64_t deadLetterRetentionMs = 7LL * 24 * 3600 * 1000;  // failed tasks (dead letters) this long after
    std::size_t historySize = 1000;                  // messages kept per room
    std::int64_t historyTtlMs = 10 * 60 * 1000;      // and for how long
    std::int64_t emptyRoomTtlMs = 30 * 1000;         // a room never published to goes this long after its last member
    std::size_t historyMaxBytes = 4 * 1024 * 1024;   // and at most these frame bytes per room
    std::size_t memoryLimitBytes = 256 * 1024 * 1024;  // history of all rooms together: past it the largest give way
    std::uint32_t maxHistoryLimit = 1000;            // largest `limit` a history call gets
    std::int64_t midTtlMs = 10 * 60 * 1000;          // mid dedupe window
    std::size_t maxRememberedMids = 1000000;         // dedupe memory bound (whole server)
    std::int64_t helloTimeoutMs = 10000;             // no hello by then closes with 4008
    unsigned protocolErrorLimit = 20;                // more bad frames than this...
    std::int64_t protocolErrorWindowMs = 60000;      // ...within this closes with 4000
    std::size_t maxBufferedBytes = 8 * 1024 * 1024;  // outgoing backlog that closes with 4090
    std::int64_t drainTimeoutMs = 5000;              // shutdown waits this long for closes
};

/// What loadSettings found: settings, warnings to log, or a fatal problem
/// (the server exits with status 78 and prints it).
struct LoadResult {
    Settings settings;
    std::vector<std::string> warnings;
    std::optional<std::string> fatal;
};

/// Looks a variable up (environment, or a flag given under the same name).
using Lookup = std::function<std::optional<std::string>(const std::string& name)>;

LoadResult loadSettings(const Lookup& lookup);

/// One configurable variable, for --help and the operations docs.
struct SettingInfo {
    const char* env;
    const char* help;
};
const std::vector<SettingInfo>& settingCatalog();

/// The effective configuration as `KEY=value` lines, secrets masked.
std::vector<std::string> describe(const Settings& s);

/// A URL with the password of its credentials (`scheme://user:password@...`)
/// shown as `****`, for logs and messages; any other text as it is.
std::string withoutPassword(std::string_view url);

}  // namespace brolostack::config
