#include "static_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace brolostack::native {
namespace {

std::string contentTypeOf(const std::filesystem::path& p) {
    const std::string ext = p.extension().string();
    if (ext == ".html") return "text/html; charset=utf-8";
    if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
    if (ext == ".css") return "text/css; charset=utf-8";
    if (ext == ".json") return "application/json";
    if (ext == ".wasm") return "application/wasm";
    if (ext == ".svg") return "image/svg+xml";
    if (ext == ".png") return "image/png";
    if (ext == ".ico") return "image/x-icon";
    return "application/octet-stream";
}

/// Whether `path` is `root` or below it, component by component (a string
/// prefix would let "/srv/site-private" pass for "/srv/site").
bool inside(const std::filesystem::path& root, const std::filesystem::path& path) {
    auto r = root.begin(), p = path.begin();
    for (; r != root.end(); ++r, ++p) {
        if (r->empty() && std::next(r) == root.end()) break;  // a trailing separator
        if (p == path.end() || *r != *p) return false;
    }
    return true;
}

}  // namespace

std::optional<StaticFile> StaticFiles::find(const std::string& urlPath) const {
    namespace fs = std::filesystem;
    if (root_.empty() || urlPath.empty() || urlPath.front() != '/' || urlPath.find('\0') != std::string::npos)
        return std::nullopt;
    fs::path relative = fs::path(urlPath.substr(1)).lexically_normal();
    for (const auto& part : relative)
        if (part == "..") return std::nullopt;
    std::error_code ec;
    fs::path root = fs::canonical(root_, ec);
    if (ec) return std::nullopt;
    fs::path file = root / relative;
    if (urlPath.back() == '/' || fs::is_directory(file, ec)) file /= "index.html";
    fs::path resolved = fs::weakly_canonical(file, ec);
    if (ec || !inside(root, resolved) || !fs::is_regular_file(resolved, ec)) return std::nullopt;
    std::ifstream in(resolved, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream body;
    body << in.rdbuf();
    return StaticFile{contentTypeOf(resolved), body.str()};
}

}  // namespace brolostack::native
