#include "server_log.hpp"

#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace brolostack::native {
namespace {

// Fields travel inside the message after this separator, already written as
// JSON members; each formatter renders them its own way. A client cannot put
// the separator into a logged value: values are escaped before they get there.
constexpr char kFieldsMark = '\x1f';

void appendJsonString(std::string& out, std::string_view s) {
    out.push_back('"');
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
    }
    out.push_back('"');
}

std::string_view levelName(spdlog::level::level_enum level) {
    auto name = spdlog::level::to_string_view(level);
    return {name.data(), name.size()};
}

std::string utcTime(spdlog::log_clock::time_point when) {
    using namespace std::chrono;
    auto ms = duration_cast<milliseconds>(when.time_since_epoch()).count();
    std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
    return buf;
}

/// {"time":"…Z","level":"info","msg":"…",<fields>}
class JsonFormatter final : public spdlog::formatter {
public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        std::string_view payload(msg.payload.data(), msg.payload.size());
        std::string_view text = payload.substr(0, payload.find(kFieldsMark));
        std::string line = "{\"time\":\"" + utcTime(msg.time) + "\",\"level\":\"" + std::string(levelName(msg.level)) +
                           "\",\"msg\":";
        appendJsonString(line, text);
        if (text.size() < payload.size()) line.append(payload.substr(text.size() + 1));
        line += "}\n";
        dest.append(line.data(), line.data() + line.size());
    }
    std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

/// [time] [level] message name=value …
class TextFormatter final : public spdlog::formatter {
public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        std::string_view payload(msg.payload.data(), msg.payload.size());
        std::string_view text = payload.substr(0, payload.find(kFieldsMark));
        std::string line = "[" + utcTime(msg.time) + "] [" + std::string(levelName(msg.level)) + "] " + std::string(text);
        if (text.size() < payload.size()) {
            // ,"name":value,… as name=value …
            std::string_view fields = payload.substr(text.size() + 1);
            bool inString = false;
            for (std::size_t i = 0; i < fields.size(); ++i) {
                char c = fields[i];
                if (inString) {
                    if (c == '\\' && i + 1 < fields.size()) line.push_back(fields[++i]);
                    else if (c == '"') inString = false;
                    else line.push_back(c);
                } else if (c == ',') {
                    line.push_back(' ');
                } else if (c == ':') {
                    line.push_back('=');
                } else if (c == '"') {
                    inString = true;
                } else {
                    line.push_back(c);
                }
            }
        }
        line.push_back('\n');
        dest.append(line.data(), line.data() + line.size());
    }
    std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<TextFormatter>(); }
};

std::string withFields(std::string_view message, std::initializer_list<LogField> fields) {
    std::string out(message);
    for (char& c : out)
        if (c == kFieldsMark) c = ' ';  // the mark starts the fields, never a message's own
    if (fields.size() == 0) return out;
    out.push_back(kFieldsMark);
    for (const auto& field : fields) {
        out.push_back(',');
        appendJsonString(out, field.name);
        out.push_back(':');
        if (const auto* text = std::get_if<std::string>(&field.value)) appendJsonString(out, *text);
        else out += std::to_string(std::get<std::int64_t>(field.value));
    }
    return out;
}

}  // namespace

std::shared_ptr<spdlog::logger> makeServerLogger(const std::string& name, const std::string& format,
                                                 const std::string& level) {
    spdlog::drop(name);
    auto log = spdlog::stderr_logger_mt(name);
    if (format == "json") log->set_formatter(std::make_unique<JsonFormatter>());
    else log->set_formatter(std::make_unique<TextFormatter>());
    log->set_level(spdlog::level::from_str(level));
    return log;
}

void logEvent(spdlog::logger& log, spdlog::level::level_enum level, std::string_view message,
              std::initializer_list<LogField> fields) {
    if (!log.should_log(level)) return;
    log.log(level, "{}", withFields(message, fields));
}

void logAlways(spdlog::logger& log, std::string_view message, std::initializer_list<LogField> fields) {
    std::string text = withFields(message, fields);
    // Straight to the sinks: the logger's level does not apply.
    spdlog::details::log_msg msg(log.name(), spdlog::level::info, text);
    for (auto& sink : log.sinks()) {
        sink->log(msg);
        sink->flush();
    }
}

}  // namespace brolostack::native
