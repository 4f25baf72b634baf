// Serves the files of one folder (the web demo) over HTTP GET.
#pragma once

#include <optional>
#include <string>

namespace brolostack::native {

struct StaticFile {
    std::string contentType;
    std::string body;
};

class StaticFiles {
public:
    explicit StaticFiles(std::string root) : root_(std::move(root)) {}
    /// The file for a decoded URL path ("/" is index.html), or nullopt when
    /// there is none or the path tries to leave the folder.
    std::optional<StaticFile> find(const std::string& urlPath) const;

private:
    std::string root_;
};

}  // namespace brolostack::native
