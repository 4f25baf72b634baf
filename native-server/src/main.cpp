// brolostack-server: settings from flags and environment, then the
// embedding API's server.
#include "brolostack/config/settings.hpp"
#include "file_limit.hpp"
#include "jwt_verifier.hpp"
#include "server_log.hpp"
#include "shard_group.hpp"
#include "trusted_proxies.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace {

constexpr int kExitConfig = 78;       // EX_CONFIG: the configuration (or the store at start) is not usable
constexpr int kExitStoreFailed = 74;  // EX_IOERR: the store failed while serving
constexpr const char* kVersion = BROLOSTACK_VERSION;
constexpr std::uint64_t kSpareFiles = 64;  // descriptors besides connections: store, listener, logs, lingering sockets

/// "HEARTBEAT_MS" -> "--heartbeat-ms"
std::string flagName(const std::string& env) {
    std::string flag = "--";
    for (char c : env) flag.push_back(c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    return flag;
}

/// CLI11's TOML/INI reader, with keys written either as the flag
/// (`heartbeat-ms = 30000`) or as the environment variable (`HEARTBEAT_MS = 30000`).
class SettingsFile : public CLI::ConfigTOML {
public:
    std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
        auto items = CLI::ConfigTOML::from_config(input);
        for (auto& item : items) {
            for (const auto& info : brolostack::config::settingCatalog())
                if (item.name == info.env) item.name = flagName(info.env).substr(2);
        }
        return items;
    }
};

/// Reads the settings file into `fromFile` (environment variable name ->
/// value); an error message when it cannot be read or names unknown settings.
std::optional<std::string> readSettingsFile(const std::string& path, std::map<std::string, std::string>& fromFile) {
    CLI::App file;
    for (const auto& info : brolostack::config::settingCatalog()) file.add_option(flagName(info.env), fromFile[info.env]);
    file.config_formatter(std::make_shared<SettingsFile>());
    file.allow_config_extras(CLI::config_extras_mode::error);  // a misspelt setting is an error, not ignored
    file.set_config("--config", path, "", true);
    try {
        file.parse(std::vector<std::string>{});
    } catch (const CLI::ParseError& e) {
        return "--config " + path + ": " + e.what();
    }
    return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace brolostack;
    CLI::App app{"Brolostack WebSocket server: rooms and ARGS sessions over one protocol.\n"
                 "Every flag can also be given as the environment variable named in brackets."};
    app.set_version_flag("--version", std::string("brolostack-server ") + kVersion);
    std::map<std::string, std::string> flags;
    for (const auto& info : config::settingCatalog()) {
        std::string names = flagName(info.env);
        if (std::string(info.env) == "BROLOSTACK_ENV") names = "--env," + names;
        app.add_option(names, flags[info.env], std::string(info.help) + " [" + info.env + "]");
    }
    std::string settingsFile;
    app.add_option("--config", settingsFile,
                   "Read settings from a TOML or INI file (NAME = value, or flag-name = value); "
                   "flags and environment variables win over it");
    auto* checkConfig = app.add_subcommand(
        "check-config", "Check the configuration (flags, environment, --config file), print the effective settings and exit: "
                        "0 when the server would start with them, 78 when not.");
    checkConfig->fallthrough();  // the flags above work after the subcommand too
    CLI11_PARSE(app, argc, argv);

    std::map<std::string, std::string> fromFile;
    if (!settingsFile.empty()) {
        if (auto error = readSettingsFile(settingsFile, fromFile)) {
            std::fprintf(stderr, "brolostack-server: %s\n", error->c_str());
            return kExitConfig;
        }
    }
    // Precedence: a flag, then the environment, then the settings file, then the profile.
    auto lookup = [&flags, &fromFile](const std::string& name) -> std::optional<std::string> {
        if (auto it = flags.find(name); it != flags.end() && !it->second.empty()) return it->second;
        if (const char* value = std::getenv(name.c_str())) return std::string(value);
        if (auto it = fromFile.find(name); it != fromFile.end() && !it->second.empty()) return it->second;
        return std::nullopt;
    };
    config::LoadResult loaded = config::loadSettings(lookup);
    if (loaded.fatal) {
        std::fprintf(stderr, "brolostack-server: %s\n", loaded.fatal->c_str());
        return kExitConfig;
    }
    const config::Settings& settings = loaded.settings;
    if (checkConfig->parsed()) {
        // What initialize() would refuse besides the settings themselves:
        // JWT keys and the trusted proxies. TLS files and the store are
        // opened only by a starting server (the store is locked by a running one).
        auto jwt = native::makeJwtSetup(settings);
        auto proxies = native::TrustedProxies::parse(settings.trustedProxies);
        for (const std::string* error : {std::get_if<std::string>(&jwt), std::get_if<std::string>(&proxies)}) {
            if (!error) continue;
            std::fprintf(stderr, "brolostack-server: %s\n", error->c_str());
            return kExitConfig;
        }
        for (const auto& line : config::describe(settings)) std::printf("%s\n", line.c_str());
        for (const auto& warning : loaded.warnings) std::fprintf(stderr, "brolostack-server: warning: %s\n", warning.c_str());
        return 0;
    }

    // Start, configuration, ready and stop lines are printed whatever LOG_LEVEL is.
    auto log = native::makeServerLogger("brolostack", settings.logFormat, settings.logLevel);
    native::logAlways(*log, "starting", {{"version", std::string(kVersion)},
                                         {"profile", std::string(config::environmentName(settings.environment))}});
    for (const auto& line : config::describe(settings)) native::logAlways(*log, "setting", {{"value", line}});
    for (const auto& warning : loaded.warnings) native::logEvent(*log, spdlog::level::warn, warning);
    // Every connection is a descriptor; the store, the listener and the
    // lingering sockets of closed connections (socket_linger.hpp) need some too.
    const native::FileLimit files = native::raiseFileLimit();
    native::logEvent(*log, spdlog::level::info, "open files", {{"limit", static_cast<std::int64_t>(std::min<std::uint64_t>(files.soft, INT64_MAX))},
                                           {"hard", static_cast<std::int64_t>(std::min<std::uint64_t>(files.hard, INT64_MAX))}});
    if (files.soft < settings.maxConnections + kSpareFiles)
        native::logEvent(*log, spdlog::level::warn,
                         "the open-file limit is below MAX_CONNECTIONS: connections past it are refused by the kernel; "
                         "raise the hard limit (LimitNOFILE= in the systemd unit, ulimit -Hn; docs/operations.md)",
                         {{"limit", static_cast<std::int64_t>(files.soft)},
                          {"maxConnections", static_cast<std::int64_t>(settings.maxConnections)}});

    native::ShardGroup server(settings);
    if (server.size() > 1) native::logAlways(*log, "shards", {{"count", static_cast<std::int64_t>(server.size())}});
    if (auto error = server.initialize()) {
        std::fprintf(stderr, "brolostack-server: %s\n", error->c_str());
        return kExitConfig;
    }
    if (auto error = server.listen(settings.port, settings.host)) {
        std::fprintf(stderr, "brolostack-server: %s\n", error->c_str());
        return 1;
    }
    // One plain line on stdout, flushed, for scripts and tests that start
    // the server on port 0 and need to know where it went.
    std::printf("listening on %s://%s:%u (WebSocket at %s)\n", settings.encryption ? "https" : "http",
                settings.host.c_str(), server.port(), settings.wsPath.c_str());
    std::fflush(stdout);
    native::logAlways(*log, "ready", {{"address", settings.host}, {"port", std::int64_t{server.port()}}, {"path", settings.wsPath}});
    // Under systemd (Type=notify) the service counts as started from here;
    // elsewhere NOTIFY_SOCKET is unset and this does nothing.
    sd_notifyf(0, "READY=1\nSTATUS=listening on port %u", static_cast<unsigned>(server.port()));
    server.run();
    sd_notify(0, "STOPPING=1");
    if (auto failure = server.failure()) {
        native::logAlways(*log, "stopped: the store failed", {{"error", *failure}});
        return kExitStoreFailed;
    }
    native::logAlways(*log, "stopped");
    return 0;
}
