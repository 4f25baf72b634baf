// The server's log on stderr: JSON lines (LOG_FORMAT=json, the default
// outside development) or text. spdlog writes it; the formatters here make
// each line one JSON object whose message is escaped, so anything a client
// puts into a logged value stays inside its string.
#pragma once

#include <spdlog/spdlog.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace brolostack::native {

/// A field of a structured line: a string or a number.
struct LogField {
    const char* name;
    std::variant<std::string, std::int64_t> value;
};

/// The logger named `name` writing to stderr as `format` ("json" or "text")
/// at `level`; replaces one of that name.
std::shared_ptr<spdlog::logger> makeServerLogger(const std::string& name, const std::string& format,
                                                 const std::string& level);

/// `message` with fields: members of the JSON line, or name=value after the text.
void logEvent(spdlog::logger& log, spdlog::level::level_enum level, std::string_view message,
              std::initializer_list<LogField> fields = {});

/// A line printed whatever LOG_LEVEL is (start, configuration, ready, drain,
/// stop): operators see these even with the log turned down.
void logAlways(spdlog::logger& log, std::string_view message, std::initializer_list<LogField> fields = {});

}  // namespace brolostack::native
