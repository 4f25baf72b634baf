// The sqlite store (native-server/src/sqlite_store.hpp) on a real file in a
// temporary folder: changes come back after a reopen, durability is
// reported, and a store it cannot trust stops the start with a message.
#include "sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

using brolostack::native::SqliteStore;
using brolostack::store::StoredMessage;
using brolostack::store::StoredMid;

namespace {

namespace fs = std::filesystem;

class SqliteStoreTest : public ::testing::Test {
protected:
    fs::path dir;

    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "brolostack-store-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir = pattern;
    }
    void TearDown() override { fs::remove_all(dir); }

    std::unique_ptr<SqliteStore> open(std::size_t maxMids = 1000) {
        auto opened = SqliteStore::open(dir.string(), maxMids);
        if (auto* error = std::get_if<std::string>(&opened)) {
            ADD_FAILURE() << *error;
            return nullptr;
        }
        return std::move(std::get<std::unique_ptr<SqliteStore>>(opened));
    }
    std::string openError() {
        auto opened = SqliteStore::open(dir.string(), 1000);
        auto* error = std::get_if<std::string>(&opened);
        return error ? *error : "";
    }
    /// Ends the step (the server does so after each frame) and waits for it to be durable.
    static void waitDurable(SqliteStore& s) {
        s.stepEnded();
        for (int i = 0; i < 500 && s.durableChange() < s.lastChange(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        ASSERT_EQ(s.durableChange(), s.lastChange());
    }
    static StoredMessage message(std::uint64_t offset) {
        return StoredMessage{offset, 1000 + static_cast<std::int64_t>(offset),
                             std::make_shared<const std::string>("frame " + std::to_string(offset))};
    }
};

TEST_F(SqliteStoreTest, WhatWasWrittenComesBackAfterAReopen) {
    {
        auto s = open();
        ASSERT_TRUE(s);
        EXPECT_TRUE(s->load().rooms.empty());
        s->roomCreated("general", "e1", 500);
        s->roomNamed("general", "General");
        for (std::uint64_t i = 1; i <= 5; ++i) s->messageAppended("general", message(i));
        s->historyTrimmed("general", 3);
        s->midRemembered(StoredMid{"u:ada", "m-1", "general", 4, "e1", 99999});
        s->grantIssued("tok-open", "s:1");
        s->grantIssued("tok-closed", "s:2");
        s->grantExpires("tok-closed", 5000);
        waitDurable(*s);
    }
    auto s = open();
    ASSERT_TRUE(s);
    auto kept = s->load();
    ASSERT_EQ(kept.rooms.size(), 1u);
    const auto& room = kept.rooms[0];
    EXPECT_EQ(room.id, "general");
    EXPECT_EQ(room.name, "General");
    EXPECT_EQ(room.epoch, "e1");
    EXPECT_EQ(room.lastOffset, 5u);
    ASSERT_EQ(room.history.size(), 3u);
    EXPECT_EQ(room.history[0].offset, 3u);
    EXPECT_EQ(*room.history[2].frame, "frame 5");
    EXPECT_EQ(room.history[2].ts, 1005);
    ASSERT_EQ(kept.mids.size(), 1u);
    EXPECT_EQ(kept.mids[0].publisher, "u:ada");
    EXPECT_EQ(kept.mids[0].offset, 4u);
    EXPECT_EQ(kept.mids[0].expiresAt, 99999);
    ASSERT_EQ(kept.grants.size(), 2u);
    for (const auto& g : kept.grants) {
        if (g.token == "tok-open") EXPECT_FALSE(g.expiresAt.has_value());
        else EXPECT_EQ(g.expiresAt, 5000);
    }
}

TEST_F(SqliteStoreTest, TheOffsetSurvivesAHistoryTrimmedToNothing) {
    {
        auto s = open();
        s->roomCreated("general", "e1", 0);
        for (std::uint64_t i = 1; i <= 4; ++i) s->messageAppended("general", message(i));
        s->historyTrimmed("general", 5);  // every message expired
        waitDurable(*s);
    }
    auto kept = open()->load();
    ASSERT_EQ(kept.rooms.size(), 1u);
    EXPECT_TRUE(kept.rooms[0].history.empty());
    EXPECT_EQ(kept.rooms[0].lastOffset, 4u);
}

TEST_F(SqliteStoreTest, ANewIncarnationStartsWithoutTheOldHistory) {
    {
        auto s = open();
        s->roomCreated("general", "e1", 0);
        s->messageAppended("general", message(1));
        s->messageAppended("general", message(2));
        s->historyTrimmed("general", 2);
        s->roomForgotten("general");
        s->roomCreated("general", "e2", 10);
        s->messageAppended("general", message(1));
        waitDurable(*s);
    }
    auto kept = open()->load();
    ASSERT_EQ(kept.rooms.size(), 1u);
    EXPECT_EQ(kept.rooms[0].epoch, "e2");
    ASSERT_EQ(kept.rooms[0].history.size(), 1u) << "the old trim did not touch the new incarnation";
    EXPECT_EQ(kept.rooms[0].lastOffset, 1u);
}

TEST_F(SqliteStoreTest, ExpiredMidsAndGrantsGoAndMidsStayWithinTheirBound) {
    {
        auto s = open(3);
        for (int i = 0; i < 5; ++i)
            s->midRemembered(StoredMid{"p", "m" + std::to_string(i), "", 0, "", i < 2 ? 100 : 100000});
        s->grantIssued("open", "k");
        s->grantIssued("old", "k");
        s->grantExpires("old", 100);
        waitDurable(*s);
        s->expire(20000);  // asks the writer to delete what lapsed by then
        for (int i = 0; i < 500 && s->commits() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto kept = open()->load();
    ASSERT_EQ(kept.mids.size(), 3u) << "the newest three";
    EXPECT_EQ(kept.mids.front().mid, "m2");
    ASSERT_EQ(kept.grants.size(), 1u);
    EXPECT_EQ(kept.grants[0].token, "open");
}

TEST_F(SqliteStoreTest, MidsExpireInTheOrderTheyWereRemembered) {
    {
        auto s = open(100);
        // Three lapsed, then live ones; the last lapsed one sits behind a live one.
        const std::int64_t expiry[] = {100, 200, 300, 50000, 60000, 400};
        for (int i = 0; i < 6; ++i) s->midRemembered(StoredMid{"p", "m" + std::to_string(i), "", 0, "", expiry[i]});
        waitDurable(*s);
        s->expire(20000);
        for (int i = 0; i < 500 && s->commits() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto kept = open()->load();
    ASSERT_EQ(kept.mids.size(), 3u);
    EXPECT_EQ(kept.mids[0].mid, "m3");
    EXPECT_EQ(kept.mids[1].mid, "m4");
    EXPECT_EQ(kept.mids[2].mid, "m5") << "kept until the live ones before it lapse";
}

TEST_F(SqliteStoreTest, SessionTaskAndAgentRecordsComeBackAndLeaveWithTheirSession) {
    {
        auto s = open();
        s->sessionSaved("s1", R"({"session":1})");
        s->sessionSaved("s2", R"({"session":2})");
        s->taskSaved("s1", "t1", R"({"v":1})");
        s->taskSaved("s1", "t1", R"({"v":2})");  // the newest record wins
        s->taskSaved("s1", "t2", "{}");
        s->taskForgotten("s1", "t2");
        s->taskSaved("s2", "t9", "{}");
        s->agentSaved("s1", "a1", R"({"a":1})");
        s->agentSaved("s1", "a1", R"({"a":2})");
        s->agentSaved("s1", "a2", "{}");
        s->agentForgotten("s1", "a2");
        s->agentSaved("s2", "a9", "{}");
        s->sessionForgotten("s2");
        waitDurable(*s);
    }
    auto kept = open()->load();
    ASSERT_EQ(kept.sessions.size(), 1u);
    EXPECT_EQ(kept.sessions[0].session, "s1");
    EXPECT_EQ(kept.sessions[0].json, R"({"session":1})");
    ASSERT_EQ(kept.tasks.size(), 1u);
    EXPECT_EQ(kept.tasks[0].id, "t1");
    EXPECT_EQ(kept.tasks[0].json, R"({"v":2})");
    ASSERT_EQ(kept.agents.size(), 1u) << "a forgotten agent and the forgotten session's are gone";
    EXPECT_EQ(kept.agents[0].session, "s1");
    EXPECT_EQ(kept.agents[0].id, "a1");
    EXPECT_EQ(kept.agents[0].json, R"({"a":2})");
}

TEST_F(SqliteStoreTest, ProgressIsReportedAfterEachCommit) {
    auto s = open();
    std::atomic<int> reports{0};
    s->onProgress([&] { ++reports; });
    s->roomCreated("general", "e1", 0);
    waitDurable(*s);
    for (int i = 0; i < 200 && reports == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_GE(reports.load(), 1);
}

TEST_F(SqliteStoreTest, OnlyWholeStepsAreCommitted) {
    auto s = open();
    // Step 1: a room with a message. Step 2, not ended yet: a message and its mid.
    s->roomCreated("general", "e1", 0);
    s->messageAppended("general", message(1));
    waitDurable(*s);
    const std::uint64_t firstStep = s->lastChange();
    s->messageAppended("general", message(2));
    s->midRemembered(StoredMid{"p", "m2", "general", 2, "e1", 99999});
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(s->durableChange(), firstStep) << "half a step is never written";
    waitDurable(*s);  // ends step 2
    EXPECT_EQ(s->durableChange(), s->lastChange());
}

TEST_F(SqliteStoreTest, ASecondServerOnTheSameFolderIsRefused) {
    auto first = open();
    ASSERT_TRUE(first);
    std::string error = openError();
    EXPECT_NE(error.find("in use by another brolostack-server"), std::string::npos) << error;
    EXPECT_NE(error.find(std::to_string(::getpid())), std::string::npos) << "names the holder: " << error;
}

TEST_F(SqliteStoreTest, AFileThatIsNotADatabaseStopsTheStart) {
    std::ofstream(dir / "brolostack.db") << std::string(8192, 'x');
    std::string error = openError();
    EXPECT_NE(error.find("is unusable"), std::string::npos) << error;
    EXPECT_NE(error.find("not a database"), std::string::npos) << error;
    EXPECT_EQ(fs::file_size(dir / "brolostack.db"), 8192u) << "the file is left as it was";
}

TEST_F(SqliteStoreTest, AFolderThatCannotBeCreatedStopsTheStart) {
    std::ofstream(dir / "plain-file") << "x";
    auto opened = SqliteStore::open((dir / "plain-file" / "data").string(), 1000);
    auto* error = std::get_if<std::string>(&opened);
    ASSERT_NE(error, nullptr);
    EXPECT_NE(error->find("cannot be created"), std::string::npos) << *error;
}

TEST_F(SqliteStoreTest, AStoreOfAnotherSchemaVersionStopsTheStart) {
    open().reset();  // writes version 1; now a later server's file is pretended
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "brolostack.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value = '99' WHERE key = 'schema'", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    std::string error = openError();
    EXPECT_NE(error.find("schema version 99"), std::string::npos) << error;
}

}  // namespace
