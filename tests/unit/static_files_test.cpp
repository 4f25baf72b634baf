// Static files (the web demo at "/"): what is served, with which type, and
// that nothing outside the folder ever is.
#include "static_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using brolostack::native::StaticFiles;

class StaticFilesTest : public ::testing::Test {
protected:
    fs::path base;  // holds the served folder and things beside it
    fs::path root;  // the served folder

    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        base = fs::temp_directory_path() /
               ("brolostack-static-" + std::to_string(::getpid()) + "-" + info->name());
        fs::remove_all(base);
        root = base / "site";
        fs::create_directories(root / "sub");
        write(root / "index.html", "<h1>home</h1>");
        write(root / "sub" / "index.html", "<h1>sub</h1>");
        write(base / "secret.txt", "top secret");
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(base, ec);
    }
    static void write(const fs::path& p, const std::string& text) {
        std::ofstream(p, std::ios::binary) << text;
    }
    std::optional<brolostack::native::StaticFile> find(const std::string& urlPath) const {
        return StaticFiles(root.string()).find(urlPath);
    }
};

TEST_F(StaticFilesTest, ServesAFileWithItsBytes) {
    std::string bytes("a\0b\xff", 4);
    write(root / "blob.bin", bytes);
    auto f = find("/blob.bin");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->body, bytes);
    EXPECT_EQ(f->contentType, "application/octet-stream");
}

TEST_F(StaticFilesTest, RootServesIndexHtml) {
    auto f = find("/");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->body, "<h1>home</h1>");
    EXPECT_EQ(f->contentType, "text/html; charset=utf-8");
}

TEST_F(StaticFilesTest, FolderServesItsIndexHtml) {
    auto slash = find("/sub/");
    ASSERT_TRUE(slash);
    EXPECT_EQ(slash->body, "<h1>sub</h1>");
    auto bare = find("/sub");
    ASSERT_TRUE(bare);
    EXPECT_EQ(bare->body, "<h1>sub</h1>");
}

TEST_F(StaticFilesTest, ContentTypesFollowTheExtension) {
    const std::pair<const char*, const char*> cases[] = {
        {"app.js", "text/javascript; charset=utf-8"}, {"mod.mjs", "text/javascript; charset=utf-8"},
        {"style.css", "text/css; charset=utf-8"},     {"data.json", "application/json"},
        {"core.wasm", "application/wasm"},            {"logo.svg", "image/svg+xml"},
        {"pic.png", "image/png"},                     {"favicon.ico", "image/x-icon"},
        {"page.html", "text/html; charset=utf-8"},
    };
    for (const auto& [name, type] : cases) {
        write(root / name, "x");
        auto f = find(std::string("/") + name);
        ASSERT_TRUE(f) << name;
        EXPECT_EQ(f->contentType, type) << name;
    }
}

TEST_F(StaticFilesTest, MissingFileIsNotFound) {
    EXPECT_FALSE(find("/nope.html"));
    EXPECT_FALSE(find("/sub/nope.js"));
    fs::remove(root / "sub" / "index.html");
    EXPECT_FALSE(find("/sub/"));
}

TEST_F(StaticFilesTest, DotDotCannotLeaveTheFolder) {
    fs::create_directories(base / "site-private");
    write(base / "site-private" / "key.pem", "private key");
    for (const char* path : {"/../secret.txt", "/sub/../../secret.txt", "/./../secret.txt",
                             "/sub/../../site/../secret.txt", "/../site-private/key.pem"})
        EXPECT_FALSE(find(path)) << path;
}

TEST_F(StaticFilesTest, DotDotInsideTheFolderIsHarmless) {
    auto f = find("/sub/../index.html");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->body, "<h1>home</h1>");
}

TEST_F(StaticFilesTest, AbsolutePathsAreRefused) {
    EXPECT_FALSE(find((base / "secret.txt").string().insert(0, "/")));  // "//tmp/.../secret.txt"
    EXPECT_FALSE(find("//etc/passwd"));
    EXPECT_FALSE(find((base / "secret.txt").string().substr(1)));       // no leading '/'
    EXPECT_FALSE(find(""));
}

TEST_F(StaticFilesTest, SymlinkOutOfTheFolderIsRefused) {
    fs::create_symlink(base / "secret.txt", root / "leak.txt");
    EXPECT_FALSE(find("/leak.txt"));
    fs::create_directory_symlink(base, root / "up");
    EXPECT_FALSE(find("/up/secret.txt"));
}

// The root is a folder, not a string prefix: "/tmp/x/site-private" is outside "/tmp/x/site".
TEST_F(StaticFilesTest, SymlinkIntoASiblingFolderSharingTheNamePrefixIsRefused) {
    fs::create_directories(base / "site-private");
    write(base / "site-private" / "key.pem", "private key");
    fs::create_symlink(base / "site-private" / "key.pem", root / "key.pem");
    EXPECT_FALSE(find("/key.pem"));
}

TEST_F(StaticFilesTest, SymlinkInsideTheFolderIsServed) {
    fs::create_symlink(root / "index.html", root / "alias.html");
    auto f = find("/alias.html");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->body, "<h1>home</h1>");
}

TEST_F(StaticFilesTest, RootReachedThroughASymlinkStillServes) {
    fs::create_directory_symlink(root, base / "link-to-site");
    auto f = StaticFiles((base / "link-to-site").string()).find("/");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->body, "<h1>home</h1>");
}

TEST_F(StaticFilesTest, NoFolderServesNothing) {
    EXPECT_FALSE(StaticFiles("").find("/"));
    EXPECT_FALSE(StaticFiles((base / "missing").string()).find("/"));
}

TEST_F(StaticFilesTest, HashedAssetsAreImmutableAndEverythingElseRevalidates) {
    fs::create_directories(root / "assets");
    write(root / "assets" / "index-BxY_2a-Q.js", "hashed");
    write(root / "assets" / "logo.svg", "<svg/>");
    write(root / "app-12345678.js", "hashed name, but not a bundler asset");
    EXPECT_EQ(find("/assets/index-BxY_2a-Q.js")->cacheControl, "public, max-age=31536000, immutable");
    EXPECT_EQ(find("/assets/logo.svg")->cacheControl, "no-cache") << "a plain name may be replaced in place";
    EXPECT_EQ(find("/app-12345678.js")->cacheControl, "no-cache");
    EXPECT_EQ(find("/")->cacheControl, "no-cache") << "the page must be asked for again after a deploy";
}

TEST_F(StaticFilesTest, TheETagFollowsTheContent) {
    auto first = find("/");
    EXPECT_EQ(first->etag, find("/")->etag);
    EXPECT_EQ(first->etag.size(), 34u) << "32 hex digits in quotes: " << first->etag;
    write(root / "index.html", "<h1>home, new</h1>");
    EXPECT_NE(find("/")->etag, first->etag);
}

TEST_F(StaticFilesTest, AMatchingIfNoneMatchGets304WithoutABody) {
    auto file = *find("/");
    auto fresh = brolostack::native::staticResponse(file, std::nullopt);
    EXPECT_EQ(fresh.status, 200);
    EXPECT_EQ(fresh.body, "<h1>home</h1>");
    for (const std::string& header : {file.etag, "W/" + file.etag, "\"other\", " + file.etag, std::string("*")}) {
        auto cached = brolostack::native::staticResponse(file, header);
        EXPECT_EQ(cached.status, 304) << header;
        EXPECT_TRUE(cached.body.empty());
        EXPECT_EQ(cached.headers.front(), std::make_pair(std::string("ETag"), file.etag));
    }
    for (const std::string& header : {std::string("\"other\""), std::string(""), file.etag.substr(1)}) {
        EXPECT_EQ(brolostack::native::staticResponse(file, header).status, 200) << header;
    }
}

}  // namespace
