// Environment profiles (DESIGN.md "Environment profiles"), overrides, fatal
// configurations and warnings (settings.hpp). The environment is a map here,
// never the process environment.
#include "brolostack/config/settings.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

namespace cfg = brolostack::config;
using cfg::Environment;

namespace {

using Vars = std::map<std::string, std::string>;

cfg::LoadResult load(const Vars& vars) {
    return cfg::loadSettings([vars](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    });
}

// Staging and production need TLS unless a proxy ends it, and production
// needs keys: these make either profile start.
Vars startable(const std::string& env) {
    return {{"BROLOSTACK_ENV", env}, {"ENABLE_ENCRYPTION", "false"}, {"API_KEYS", "web=k1"}};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

bool anyContains(const std::vector<std::string>& lines, const std::string& part) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return contains(l, part); });
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
}

std::string lineOf(const std::vector<std::string>& lines, const std::string& key) {
    for (const auto& l : lines)
        if (l.rfind(key + "=", 0) == 0) return l;
    return "(missing " + key + ")";
}

}  // namespace

// ---- profiles: each row of the table ---------------------------------------

TEST(SettingsProfiles, DevelopmentIsTheDefault) {
    auto r = load({});
    ASSERT_FALSE(r.fatal) << *r.fatal;
    EXPECT_EQ(r.settings.environment, Environment::Development);
}

TEST(SettingsProfiles, DevelopmentDefaults) {
    auto r = load({{"BROLOSTACK_ENV", "development"}});
    ASSERT_FALSE(r.fatal) << *r.fatal;
    const auto& s = r.settings;
    EXPECT_FALSE(s.compression);
    EXPECT_EQ(s.heartbeatMs, 30000);
    EXPECT_EQ(s.maxConnections, 100u);
    EXPECT_EQ(s.rateLimitRpm, 0u);  // off
    EXPECT_FALSE(s.authRequired);
    EXPECT_FALSE(s.encryption);
    EXPECT_TRUE(s.anyOrigin);
    EXPECT_TRUE(s.detailedErrors);
    EXPECT_EQ(s.maxAgentsPerSession, 10u);
    EXPECT_EQ(s.taskTimeoutMs, 10 * 60 * 1000);
    EXPECT_TRUE(r.warnings.empty()) << joined(r.warnings);
}

TEST(SettingsProfiles, TestDefaults) {
    auto r = load({{"BROLOSTACK_ENV", "test"}});
    ASSERT_FALSE(r.fatal) << *r.fatal;
    const auto& s = r.settings;
    EXPECT_EQ(s.environment, Environment::Test);
    EXPECT_FALSE(s.compression);
    EXPECT_EQ(s.heartbeatMs, 60000);
    EXPECT_EQ(s.maxConnections, 50u);
    EXPECT_EQ(s.rateLimitRpm, 0u);
    EXPECT_FALSE(s.authRequired);
    EXPECT_FALSE(s.encryption);
    EXPECT_TRUE(s.anyOrigin);
    EXPECT_TRUE(s.detailedErrors);
    EXPECT_EQ(s.maxAgentsPerSession, 10u);
    EXPECT_EQ(s.taskTimeoutMs, 10 * 60 * 1000);
}

TEST(SettingsProfiles, StagingDefaults) {
    auto r = load(startable("staging"));
    ASSERT_FALSE(r.fatal) << *r.fatal;
    const auto& s = r.settings;
    EXPECT_EQ(s.environment, Environment::Staging);
    EXPECT_TRUE(s.compression);
    EXPECT_EQ(s.heartbeatMs, 30000);
    EXPECT_EQ(s.maxConnections, 1000u);
    EXPECT_EQ(s.rateLimitRpm, 10000u);  // "staging 10000/min" (PROTOCOL.md section 4)
    EXPECT_TRUE(s.authRequired);
    EXPECT_FALSE(s.anyOrigin);  // ALLOWED_ORIGINS
    EXPECT_TRUE(s.allowedOrigins.empty());
    EXPECT_FALSE(s.detailedErrors);
    EXPECT_EQ(s.maxAgentsPerSession, 50u);
    EXPECT_EQ(s.taskTimeoutMs, 5 * 60 * 1000);
}

TEST(SettingsProfiles, ProductionDefaults) {
    auto r = load(startable("production"));
    ASSERT_FALSE(r.fatal) << *r.fatal;
    const auto& s = r.settings;
    EXPECT_EQ(s.environment, Environment::Production);
    EXPECT_TRUE(s.compression);
    EXPECT_EQ(s.heartbeatMs, 15000);
    EXPECT_EQ(s.maxConnections, 10000u);
    EXPECT_EQ(s.rateLimitRpm, 1000u);  // "production 1000/min"
    EXPECT_TRUE(s.authRequired);
    EXPECT_FALSE(s.anyOrigin);
    EXPECT_TRUE(s.allowedOrigins.empty());
    EXPECT_FALSE(s.detailedErrors);
    EXPECT_EQ(s.maxAgentsPerSession, 50u);
    EXPECT_EQ(s.taskTimeoutMs, 5 * 60 * 1000);
}

// encryption (TLS): on in staging and production.
TEST(SettingsProfiles, StagingAndProductionTurnEncryptionOn) {
    for (const char* env : {"staging", "production"}) {
        SCOPED_TRACE(env);
        auto r = load({{"BROLOSTACK_ENV", env}, {"API_KEYS", "k"}});
        EXPECT_TRUE(r.settings.encryption);
    }
}

TEST(SettingsProfiles, EnvironmentNamesRoundTrip) {
    for (auto env : {Environment::Development, Environment::Test, Environment::Staging, Environment::Production}) {
        EXPECT_EQ(cfg::parseEnvironment(cfg::environmentName(env)), env);
    }
    EXPECT_EQ(cfg::environmentName(Environment::Production), "production");
    EXPECT_FALSE(cfg::parseEnvironment("Production"));
    EXPECT_FALSE(cfg::parseEnvironment("prod"));
    EXPECT_FALSE(cfg::parseEnvironment(""));
}

// ---- choosing the environment ------------------------------------------------

TEST(SettingsEnvironment, NodeEnvIsTheFallback) {
    EXPECT_EQ(load({{"NODE_ENV", "test"}}).settings.environment, Environment::Test);
    auto prod = load({{"NODE_ENV", "production"}, {"API_KEYS", "k"}, {"ENABLE_ENCRYPTION", "false"}});
    ASSERT_FALSE(prod.fatal) << *prod.fatal;
    EXPECT_EQ(prod.settings.environment, Environment::Production);
}

TEST(SettingsEnvironment, BrolostackEnvTakesPrecedenceOverNodeEnv) {
    auto r = load({{"BROLOSTACK_ENV", "test"}, {"NODE_ENV", "production"}});
    ASSERT_FALSE(r.fatal) << *r.fatal;
    EXPECT_EQ(r.settings.environment, Environment::Test);
    EXPECT_EQ(r.settings.heartbeatMs, 60000);
}

TEST(SettingsEnvironment, EmptyBrolostackEnvFallsBackToNodeEnv) {
    EXPECT_EQ(load({{"BROLOSTACK_ENV", ""}, {"NODE_ENV", "test"}}).settings.environment, Environment::Test);
}

TEST(SettingsEnvironment, UnknownEnvironmentIsFatalAndSaysWhatToSet) {
    auto r = load({{"BROLOSTACK_ENV", "prod"}});
    ASSERT_TRUE(r.fatal);
    EXPECT_TRUE(contains(*r.fatal, "prod")) << *r.fatal;
    EXPECT_TRUE(contains(*r.fatal, "BROLOSTACK_ENV")) << *r.fatal;
    EXPECT_TRUE(contains(*r.fatal, "production")) << *r.fatal;
}

TEST(SettingsEnvironment, UnknownNodeEnvIsFatalToo) {
    auto r = load({{"NODE_ENV", "dev"}});
    ASSERT_TRUE(r.fatal);
    EXPECT_TRUE(contains(*r.fatal, "NODE_ENV")) << *r.fatal;
}

// ---- overrides ----------------------------------------------------------------

TEST(SettingsOverrides, EveryProfileRowCanBeOverridden) {
    Vars vars = startable("production");
    vars.insert({{"ENABLE_COMPRESSION", "false"},
                 {"HEARTBEAT_MS", "5000"},
                 {"MAX_CONNECTIONS", "7"},
                 {"RATE_LIMIT_RPM", "60"},
                 {"API_KEY_REQUIRED", "false"},
                 {"DETAILED_ERRORS", "true"},
                 {"MAX_AGENTS_PER_SESSION", "3"},
                 {"TASK_TIMEOUT_MS", "1234"},
                 {"LOG_LEVEL", "info"},
                 {"ALLOWED_ORIGINS", "https://app.example.com"}});
    auto r = load(vars);
    ASSERT_FALSE(r.fatal) << *r.fatal;
    const auto& s = r.settings;
    EXPECT_FALSE(s.compression);
    EXPECT_EQ(s.heartbeatMs, 5000);
    EXPECT_EQ(s.maxConnections, 7u);
    EXPECT_EQ(s.rateLimitRpm, 60u);
    EXPECT_FALSE(s.authRequired);
    EXPECT_FALSE(s.encryption);
    EXPECT_TRUE(s.detailedErrors);
    EXPECT_EQ(s.maxAgentsPerSession, 3u);
    EXPECT_EQ(s.taskTimeoutMs, 1234);
    EXPECT_EQ(s.logLevel, "info");
    EXPECT_EQ(s.allowedOrigins, (std::vector<std::string>{"https://app.example.com"}));
}

TEST(SettingsOverrides, DevelopmentCanTurnFeaturesOn) {
    auto r = load({{"ENABLE_COMPRESSION", "true"}, {"RATE_LIMIT_RPM", "600"}, {"API_KEY_REQUIRED", "yes"},
                   {"DETAILED_ERRORS", "off"}, {"API_KEYS", "k"}});
    ASSERT_FALSE(r.fatal) << *r.fatal;
    EXPECT_TRUE(r.settings.compression);
    EXPECT_EQ(r.settings.rateLimitRpm, 600u);
    EXPECT_TRUE(r.settings.authRequired);
    EXPECT_FALSE(r.settings.detailedErrors);
}

TEST(SettingsOverrides, RateLimitZeroTurnsItOff) {
    Vars vars = startable("production");
    vars["RATE_LIMIT_RPM"] = "0";
    auto r = load(vars);
    ASSERT_FALSE(r.fatal) << *r.fatal;
    EXPECT_EQ(r.settings.rateLimitRpm, 0u);
}

TEST(SettingsOverrides, PeerLimitsAndListeningOverrides) {
    auto r = load({{"PORT", "8080"}, {"HOST", "127.0.0.1"}, {"WS_PATH", "/socket"}, {"MAX_MESSAGE_BYTES", "4096"},
                   {"MAX_JSON_DEPTH", "8"}, {"HISTORY_SIZE", "0"}, {"MID_TTL_MS", "1000"}});
    ASSERT_FALSE(r.fatal) << *r.fatal;
    EXPECT_EQ(r.settings.port, 8080);
    EXPECT_EQ(r.settings.host, "127.0.0.1");
    EXPECT_EQ(r.settings.wsPath, "/socket");
    EXPECT_EQ(r.settings.maxMessageBytes, 4096u);
    EXPECT_EQ(r.settings.maxJsonDepth, 8u);
    EXPECT_EQ(r.settings.historySize, 0u);
    EXPECT_EQ(r.settings.midTtlMs, 1000);
}

TEST(SettingsOverrides, PeerLimitDefaults) {
    const auto& s = load({}).settings;
    EXPECT_EQ(s.port, 3001);
    EXPECT_EQ(s.wsPath, "/ws");
    EXPECT_EQ(s.maxMessageBytes, 1024u * 1024u);
    EXPECT_EQ(s.maxJsonDepth, 32u);
    EXPECT_EQ(s.helloTimeoutMs, 10000);    // section 2: helloTimeoutMs default 10000
    EXPECT_EQ(s.protocolErrorLimit, 20u);  // more than 20 bad frames...
    EXPECT_EQ(s.protocolErrorWindowMs, 60000);
    EXPECT_GE(s.midTtlMs, 10 * 60 * 1000);  // "at least 10 minutes"
}

TEST(SettingsOverrides, EmptyValuesAreIgnored) {
    auto r = load({{"HEARTBEAT_MS", ""}, {"ENABLE_COMPRESSION", ""}});
    ASSERT_FALSE(r.fatal) << *r.fatal;
    EXPECT_EQ(r.settings.heartbeatMs, 30000);
}

// ---- fatal configurations: exit 78 with a message that says what to set -----

TEST(SettingsFatal, BadIntegersAreFatalAndNameTheVariable) {
    const std::pair<const char*, const char*> bad[] = {
        {"HEARTBEAT_MS", "abc"},    {"HEARTBEAT_MS", "15s"},          {"HEARTBEAT_MS", "1.5"},
        {"HEARTBEAT_MS", "999"},    {"MAX_CONNECTIONS", "0"},         {"MAX_CONNECTIONS", "-5"},
        {"PORT", "70000"},          {"RATE_LIMIT_RPM", "-1"},         {"TASK_TIMEOUT_MS", "99999999999999999999"},
        {"MAX_JSON_DEPTH", "1"},    {"MAX_AGENTS_PER_SESSION", "0"},  {"PORT", "80 "},
    };
    for (const auto& [name, value] : bad) {
        SCOPED_TRACE(std::string(name) + "=" + value);
        auto r = load({{name, value}});
        ASSERT_TRUE(r.fatal);
        EXPECT_TRUE(contains(*r.fatal, name)) << *r.fatal;
        EXPECT_TRUE(contains(*r.fatal, value)) << *r.fatal;
    }
}

TEST(SettingsFatal, BadBooleansAreFatalAndNameTheVariable) {
    auto r = load({{"ENABLE_COMPRESSION", "maybe"}});
    ASSERT_TRUE(r.fatal);
    EXPECT_TRUE(contains(*r.fatal, "ENABLE_COMPRESSION")) << *r.fatal;
    EXPECT_TRUE(contains(*r.fatal, "true or false")) << *r.fatal;
}

TEST(SettingsFatal, ProductionWithoutApiKeysIsFatalAndSaysSetApiKeys) {
    auto r = load({{"BROLOSTACK_ENV", "production"}, {"ENABLE_ENCRYPTION", "false"}});
    ASSERT_TRUE(r.fatal);
    EXPECT_TRUE(contains(*r.fatal, "API_KEYS")) << *r.fatal;
}

// "production without keys or a JWT secret" refuses to start (DESIGN.md):
// a JWT secret alone is enough.
TEST(SettingsFatal, ProductionWithAJwtSecretAndNoApiKeysStarts) {
    auto r = load({{"BROLOSTACK_ENV", "production"}, {"ENABLE_ENCRYPTION", "false"}, {"JWT_SECRET", "s3cret"}});
    ASSERT_FALSE(r.fatal) << *r.fatal;
    EXPECT_EQ(r.settings.jwtAlgorithm, "HS256");
}

TEST(SettingsFatal, ProductionCredentialsMessageNamesEveryWayToFixIt) {
    auto r = load({{"BROLOSTACK_ENV", "production"}, {"ENABLE_ENCRYPTION", "false"}});
    ASSERT_TRUE(r.fatal);
    EXPECT_TRUE(contains(*r.fatal, "JWT_SECRET")) << *r.fatal;
}

TEST(SettingsFatal, JwtSecretAndPublicKeyTogetherAreFatal) {
    auto r = load({{"JWT_SECRET", "s"}, {"JWT_PUBLIC_KEY", "/etc/jwt.pem"}});
    ASSERT_TRUE(r.fatal);
    EXPECT_TRUE(contains(*r.fatal, "JWT_SECRET")) << *r.fatal;
    EXPECT_TRUE(contains(*r.fatal, "JWT_PUBLIC_KEY")) << *r.fatal;
}

// `alg` must be the configured one; `none` is always rejected (section 4).
TEST(SettingsFatal, JwtAlgorithmMustBeSupportedAndMatchTheKey) {
    auto none = load({{"JWT_SECRET", "s"}, {"JWT_ALGORITHM", "none"}});
    ASSERT_TRUE(none.fatal);
    EXPECT_TRUE(contains(*none.fatal, "JWT_ALGORITHM")) << *none.fatal;
    auto mismatch = load({{"JWT_SECRET", "s"}, {"JWT_ALGORITHM", "RS256"}});
    ASSERT_TRUE(mismatch.fatal);
    EXPECT_TRUE(contains(*mismatch.fatal, "JWT_PUBLIC_KEY")) << *mismatch.fatal;
    auto rs = load({{"JWT_PUBLIC_KEY", "/etc/jwt.pem"}});
    ASSERT_FALSE(rs.fatal) << *rs.fatal;
    EXPECT_EQ(rs.settings.jwtAlgorithm, "RS256");
}

TEST(SettingsFatal, UnknownLogLevelIsFatal) {
    auto r = load({{"LOG_LEVEL", "loud"}});
    ASSERT_TRUE(r.fatal);
    EXPECT_TRUE(contains(*r.fatal, "LOG_LEVEL")) << *r.fatal;
}

TEST(SettingsFatal, StagingWithoutApiKeysStartsWithAWarning) {
    auto r = load({{"BROLOSTACK_ENV", "staging"}, {"ENABLE_ENCRYPTION", "false"}});
    ASSERT_FALSE(r.fatal) << *r.fatal;
    EXPECT_TRUE(anyContains(r.warnings, "API_KEYS")) << joined(r.warnings);
}

TEST(SettingsFatal, StagingAndProductionWithEncryptionButNoCertAreFatal) {
    for (const char* env : {"staging", "production"}) {
        SCOPED_TRACE(env);
        auto r = load({{"BROLOSTACK_ENV", env}, {"API_KEYS", "k"}});
        ASSERT_TRUE(r.fatal);
        EXPECT_TRUE(contains(*r.fatal, "TLS_CERT")) << *r.fatal;
        EXPECT_TRUE(contains(*r.fatal, "TLS_KEY")) << *r.fatal;
        EXPECT_TRUE(contains(*r.fatal, "ENABLE_ENCRYPTION=false")) << *r.fatal;
    }
}

TEST(SettingsFatal, ProductionWithCertificateAndKeyIsNotFatal) {
    auto r = load({{"BROLOSTACK_ENV", "production"}, {"API_KEYS", "k"}, {"TLS_CERT", "/etc/brolostack/cert.pem"},
                   {"TLS_KEY", "/etc/brolostack/key.pem"}});
    EXPECT_FALSE(r.fatal) << r.fatal.value_or("");
    EXPECT_TRUE(r.settings.encryption);
    EXPECT_EQ(r.settings.tlsCert, "/etc/brolostack/cert.pem");
}

TEST(SettingsFatal, EncryptionTurnedOnInDevelopmentWithoutCertIsFatal) {
    auto r = load({{"ENABLE_ENCRYPTION", "true"}});
    ASSERT_TRUE(r.fatal);
    EXPECT_TRUE(contains(*r.fatal, "TLS_CERT")) << *r.fatal;
}

TEST(SettingsFatal, WsPathMustStartWithASlash) {
    auto r = load({{"WS_PATH", "ws"}});
    ASSERT_TRUE(r.fatal);
    EXPECT_TRUE(contains(*r.fatal, "WS_PATH")) << *r.fatal;
}

// ---- warnings -------------------------------------------------------------

// "an explicit ENABLE_ENCRYPTION=false is honoured with a warning" (DESIGN.md).
TEST(SettingsWarnings, EncryptionOffInStagingWarns) {
    auto r = load(startable("staging"));
    ASSERT_FALSE(r.fatal) << *r.fatal;
    EXPECT_FALSE(r.settings.encryption);
    EXPECT_TRUE(anyContains(r.warnings, "ENABLE_ENCRYPTION=false")) << joined(r.warnings);
}

TEST(SettingsWarnings, EncryptionOffInProductionWarns) {
    auto r = load(startable("production"));
    ASSERT_FALSE(r.fatal) << *r.fatal;
    EXPECT_TRUE(anyContains(r.warnings, "ENABLE_ENCRYPTION=false")) << joined(r.warnings);
}

TEST(SettingsWarnings, EncryptionOffInDevelopmentIsNotWorthAWarning) {
    auto r = load({{"ENABLE_ENCRYPTION", "false"}});
    ASSERT_FALSE(r.fatal) << *r.fatal;
    EXPECT_FALSE(anyContains(r.warnings, "ENABLE_ENCRYPTION")) << joined(r.warnings);
}

// "With ALLOWED_ORIGINS unset in staging or production ... the server warns
// at start" (PROTOCOL.md section 4).
TEST(SettingsWarnings, UnsetAllowedOriginsWarnsInStagingAndProduction) {
    for (const char* env : {"staging", "production"}) {
        SCOPED_TRACE(env);
        auto r = load(startable(env));
        EXPECT_TRUE(anyContains(r.warnings, "ALLOWED_ORIGINS")) << joined(r.warnings);
        Vars withOrigins = startable(env);
        withOrigins["ALLOWED_ORIGINS"] = "https://app.example.com";
        EXPECT_FALSE(anyContains(load(withOrigins).warnings, "ALLOWED_ORIGINS"));
    }
}

// ---- API_KEYS and ALLOWED_ORIGINS parsing --------------------------------------

namespace {

using KeyPairs = std::vector<std::pair<std::string, std::string>>;

/// API_KEYS as loaded, as (name, secret) pairs in order.
KeyPairs apiKeysOf(const std::string& value) {
    KeyPairs keys;
    for (const auto& key : load({{"API_KEYS", value}}).settings.apiKeys) keys.emplace_back(key.name, key.secret);
    return keys;
}

}  // namespace

// "API_KEYS=web=k1,ops=k2" (PROTOCOL.md section 4).
TEST(SettingsApiKeys, NamedKeysKeepTheirNames) {
    EXPECT_EQ(apiKeysOf("web=k1,ops=k2"), (KeyPairs{{"web", "k1"}, {"ops", "k2"}}));
}

// "unnamed keys: key:1, key:2, ... by position".
TEST(SettingsApiKeys, UnnamedKeysAreNamedByPosition) {
    EXPECT_EQ(apiKeysOf("k1,k2"), (KeyPairs{{"1", "k1"}, {"2", "k2"}}));
}

TEST(SettingsApiKeys, MixedKeysAndWhitespace) {
    EXPECT_EQ(apiKeysOf(" web=k1 , k2,, ops=k3 "), (KeyPairs{{"web", "k1"}, {"2", "k2"}, {"ops", "k3"}}));
}

TEST(SettingsOrigins, ListIsSplitAndTrimmed) {
    auto r = load({{"ALLOWED_ORIGINS", "https://a.example.com, http://localhost:5173 ,"}});
    EXPECT_FALSE(r.settings.anyOrigin);
    EXPECT_EQ(r.settings.allowedOrigins,
              (std::vector<std::string>{"https://a.example.com", "http://localhost:5173"}));
}

TEST(SettingsOrigins, StarAllowsAnyOrigin) {
    auto r = load({{"BROLOSTACK_ENV", "staging"}, {"ENABLE_ENCRYPTION", "false"}, {"API_KEYS", "k"},
                   {"ALLOWED_ORIGINS", "*"}});
    ASSERT_FALSE(r.fatal) << *r.fatal;
    EXPECT_TRUE(r.settings.anyOrigin);
    EXPECT_FALSE(anyContains(r.warnings, "ALLOWED_ORIGINS"));
}

TEST(SettingsOrigins, GivingOriginsInDevelopmentRestrictsThem) {
    auto r = load({{"ALLOWED_ORIGINS", "https://a.example.com"}});
    EXPECT_FALSE(r.settings.anyOrigin);
    EXPECT_EQ(r.settings.allowedOrigins, (std::vector<std::string>{"https://a.example.com"}));
}

// ---- describe(): the effective configuration, secrets masked ------------------

TEST(SettingsDescribe, MasksSecrets) {
    Vars vars = startable("production");
    vars["API_KEYS"] = "web=super-secret-1,hunter2";
    vars["JWT_SECRET"] = "jwt-secret-value";
    vars["TLS_KEY"] = "/etc/tls/private-key.pem";
    vars["BROKER"] = "redis://app:redis-pass@cache:6379/1";
    auto r = load(vars);
    auto lines = cfg::describe(r.settings);
    std::string all = joined(lines);
    EXPECT_FALSE(contains(all, "super-secret-1")) << all;
    EXPECT_FALSE(contains(all, "hunter2")) << all;
    EXPECT_FALSE(contains(all, "jwt-secret-value")) << all;
    EXPECT_FALSE(contains(all, "private-key")) << all;
    EXPECT_EQ(lineOf(lines, "API_KEYS"), "API_KEYS=web=****,2=****");
    EXPECT_EQ(lineOf(lines, "JWT_SECRET"), "JWT_SECRET=****");
    EXPECT_EQ(lineOf(lines, "TLS_KEY"), "TLS_KEY=****");
    EXPECT_EQ(lineOf(lines, "BROKER"), "BROKER=redis://app:****@cache:6379/1");
    EXPECT_EQ(cfg::withoutPassword("redis://:p@ss@host"), "redis://:****@host");
    EXPECT_EQ(cfg::withoutPassword("redis://host:6379"), "redis://host:6379");
    EXPECT_EQ(cfg::withoutPassword("local"), "local");
}

TEST(SettingsDescribe, ShowsTheEffectiveValues) {
    auto lines = cfg::describe(load(startable("production")).settings);
    EXPECT_EQ(lineOf(lines, "BROLOSTACK_ENV"), "BROLOSTACK_ENV=production");
    EXPECT_EQ(lineOf(lines, "HEARTBEAT_MS"), "HEARTBEAT_MS=15000");
    EXPECT_EQ(lineOf(lines, "RATE_LIMIT_RPM"), "RATE_LIMIT_RPM=1000");
    EXPECT_EQ(lineOf(lines, "ENABLE_ENCRYPTION"), "ENABLE_ENCRYPTION=false");
    EXPECT_EQ(lineOf(lines, "JWT_SECRET"), "JWT_SECRET=");
    EXPECT_EQ(lineOf(cfg::describe(load({}).settings), "ALLOWED_ORIGINS"), "ALLOWED_ORIGINS=*");
}

TEST(SettingsCatalog, ListsEveryVariableDescribeShows) {
    const auto& catalog = cfg::settingCatalog();
    for (const auto& line : cfg::describe(load({}).settings)) {
        std::string key = line.substr(0, line.find('='));
        bool listed = std::any_of(catalog.begin(), catalog.end(),
                                  [&](const cfg::SettingInfo& info) { return key == info.env; });
        EXPECT_TRUE(listed) << key;
    }
}

// ---- SHARDS: event loops of one server -----------------------------------------

TEST(SettingsShards, OneByDefaultAutoOrACount) {
    EXPECT_EQ(load({}).settings.shards, 1u);
    EXPECT_EQ(load({{"SHARDS", "auto"}}).settings.shards, 0u);
    EXPECT_EQ(load({{"SHARDS", "4"}}).settings.shards, 4u);
    EXPECT_EQ(lineOf(cfg::describe(load({{"SHARDS", "auto"}}).settings), "SHARDS"), "SHARDS=auto");
}

TEST(SettingsShards, RefusesWhatIsNotACountOrAuto) {
    for (const char* bad : {"0", "257", "two", "-1", "Auto"}) {
        auto r = load({{"SHARDS", bad}});
        ASSERT_TRUE(r.fatal) << bad;
        EXPECT_TRUE(contains(*r.fatal, "SHARDS must be auto or an integer from 1 to 256")) << *r.fatal;
    }
}
