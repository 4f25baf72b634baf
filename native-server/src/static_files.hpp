// Serves the files of one folder (the web demo) over HTTP GET and HEAD,
// with validators and caching rules a browser can use: an ETag from the
// content, `immutable` for content-hashed assets (a bundler's
// `assets/index-3f9a1c2b.js`), revalidation for everything else.
#pragma once

#include "http_api.hpp"

#include <optional>
#include <string>

namespace brolostack::native {

struct StaticFile {
    std::string contentType;
    std::string body;
    std::string etag;          // strong, quoted: "<hex of the content's SHA-256 prefix>"
    std::string cacheControl;
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

/// The answer for a file: 200 with it, or 304 without a body when the
/// client's If-None-Match already names its ETag.
HttpResponse staticResponse(StaticFile file, const std::optional<std::string>& ifNoneMatch);

/// Whether an If-None-Match value ("*", or a list of possibly weak tags)
/// names `etag` (weak comparison, RFC 9110 section 13.1.2).
bool etagMatches(const std::string& ifNoneMatch, const std::string& etag);

}  // namespace brolostack::native
