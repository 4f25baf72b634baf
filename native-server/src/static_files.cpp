#include "static_files.hpp"

#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <regex>
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
    if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
    if (ext == ".webp") return "image/webp";
    if (ext == ".woff2") return "font/woff2";
    if (ext == ".txt") return "text/plain; charset=utf-8";
    if (ext == ".map") return "application/json";
    return "application/octet-stream";
}

/// A strong validator: the first 16 bytes of the content's SHA-256, quoted.
std::string etagOf(const std::string& body) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(body.data(), body.size(), digest, &length, EVP_sha256(), nullptr);
    static const char* hex = "0123456789abcdef";
    std::string tag = "\"";
    for (unsigned int i = 0; i < 16 && i < length; ++i) {
        tag.push_back(hex[digest[i] >> 4]);
        tag.push_back(hex[digest[i] & 15]);
    }
    return tag + "\"";
}

/// Bundlers put built assets in assets/ and name them after their content
/// (Vite: assets/index-BxY12ab3.js): such a file never changes meaning, so
/// browsers may keep it for a year without asking again.
bool contentHashedAsset(const std::filesystem::path& relative) {
    static const std::regex hashed(R"(.+[.-][A-Za-z0-9_-]{8,}\.[A-Za-z0-9]+)");
    auto parent = relative.parent_path();
    return !parent.empty() && parent.filename() == "assets" && std::regex_match(relative.filename().string(), hashed);
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
    StaticFile f{contentTypeOf(resolved), body.str(), {}, {}};
    f.etag = etagOf(f.body);
    f.cacheControl = contentHashedAsset(relative) ? "public, max-age=31536000, immutable" : "no-cache";
    return f;
}

bool etagMatches(const std::string& ifNoneMatch, const std::string& etag) {
    std::size_t start = 0;
    while (start <= ifNoneMatch.size()) {
        std::size_t end = ifNoneMatch.find(',', start);
        if (end == std::string::npos) end = ifNoneMatch.size();
        std::string tag = ifNoneMatch.substr(start, end - start);
        tag.erase(0, tag.find_first_not_of(" \t"));
        tag.erase(tag.find_last_not_of(" \t") + 1);
        if (tag == "*") return true;
        if (tag.rfind("W/", 0) == 0) tag.erase(0, 2);
        if (!tag.empty() && tag == etag) return true;
        start = end + 1;
    }
    return false;
}

HttpResponse staticResponse(StaticFile file, const std::optional<std::string>& ifNoneMatch) {
    HttpResponse r;
    r.contentType = file.contentType;
    r.headers.emplace_back("ETag", file.etag);
    r.headers.emplace_back("Cache-Control", file.cacheControl);
    if (ifNoneMatch && etagMatches(*ifNoneMatch, file.etag)) {
        r.status = 304;
        return r;
    }
    r.body = std::move(file.body);
    return r;
}

}  // namespace brolostack::native
