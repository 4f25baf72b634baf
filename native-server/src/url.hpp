// Splitting and decoding of request targets ("/path?a=1&b=2").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace brolostack::native {

struct Target {
    std::string path;                          // percent-decoded
    std::map<std::string, std::string> query;  // percent-decoded, last one wins
};

/// nullopt when a percent escape is malformed.
std::optional<std::string> percentDecode(std::string_view text, bool plusIsSpace);
std::optional<Target> parseTarget(std::string_view target);

}  // namespace brolostack::native
