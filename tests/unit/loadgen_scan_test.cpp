// The load generator's frame scanners (bench/loadgen/text_scan.hpp and the
// stamp reader in payload.hpp): they decide which deliveries count and what
// latency each one shows, so a wrong hit is a wrong figure. Buffers are
// allocated to their exact size, so a read past the end is an ASan error.
#include "payload.hpp"
#include "text_scan.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

namespace loadgen {
namespace {

// A copy of `s` in a heap block of exactly its size (no terminator).
struct Exact {
    explicit Exact(std::string_view s) : size(s.size()), bytes(new char[s.size()]) {
        std::copy(s.begin(), s.end(), bytes.get());
    }
    const char* data() const { return bytes.get(); }
    std::size_t size;
    std::unique_ptr<char[]> bytes;
};

long long offsetOf(const char* hit, const Exact& text) { return hit ? hit - text.data() : -1; }

TEST(FindText, FindsTheFirstOccurrence) {
    Exact t("{\"op\":\"reply\",\"ref\":7,\"ref\":8}");
    EXPECT_EQ(offsetOf(findText(t.data(), t.size, "\"ref\":"), t), 14);
    EXPECT_EQ(offsetOf(findText(t.data(), t.size, "{"), t), 0);
    EXPECT_EQ(offsetOf(findText(t.data(), t.size, "8}"), t), static_cast<long long>(t.size) - 2);
}

TEST(FindText, MissesWhatIsAbsentOrCutOff) {
    Exact t("{\"op\":\"mess");
    EXPECT_EQ(findText(t.data(), t.size, "\"ref\":"), nullptr);
    EXPECT_EQ(findText(t.data(), t.size, "\"message\""), nullptr);  // starts inside, ends past the end
    EXPECT_EQ(findText(t.data(), 0, "x"), nullptr);
}

TEST(FindText, RestartsAfterAFalseStart) {
    Exact t("aaab");
    EXPECT_EQ(offsetOf(findText(t.data(), t.size, "aab"), t), 1);
    Exact quotes("\"a\"b\"offset\":3");
    EXPECT_EQ(offsetOf(findText(quotes.data(), quotes.size, "\"offset\":"), quotes), 4);
}

TEST(FindText, FindsKeysOfPunctuationOnly) {
    Exact t("{\"a\":[1,2],\"b\":{}}");
    EXPECT_EQ(offsetOf(findText(t.data(), t.size, "{}"), t), 15);
    EXPECT_EQ(offsetOf(findText(t.data(), t.size, "\":["), t), 3);
}

TEST(FindText, FindsAKeyWhoseAnchorIsNotItsFirstByte) {
    // The anchor of "\"ref\":" is 'r': neither a hit at the text's first
    // byte nor one ending at its last may be missed, nor "rr" taken for it.
    Exact t("\"ref\":1,\"rr\":2,\"ref\":");
    EXPECT_EQ(offsetOf(findText(t.data(), t.size, "\"ref\":"), t), 0);
    EXPECT_EQ(findText(t.data() + 1, t.size - 1, "\"ref\":") - t.data(), 15);
    EXPECT_EQ(findText(t.data() + 1, t.size - 2, "\"ref\":"), nullptr);
}

TEST(KeyFinder, FollowsTheKeyWhenTheLayoutShifts) {
    KeyFinder key("\"offset\":");
    Exact first("{\"data\":\"x\",\"offset\":1}");
    Exact same("{\"data\":\"y\",\"offset\":2}");
    Exact shifted("{\"data\":\"longer\",\"offset\":3}");
    EXPECT_EQ(offsetOf(key.find(first.data(), first.size), first), 12);
    EXPECT_EQ(offsetOf(key.find(same.data(), same.size), same), 12);
    EXPECT_EQ(offsetOf(key.find(shifted.data(), shifted.size), shifted), 17);
    EXPECT_EQ(offsetOf(key.find(first.data(), first.size), first), 12);
}

TEST(KeyFinder, DoesNotReadPastAShortFrameAfterALongOne) {
    KeyFinder key("\"offset\":");
    Exact longFrame("{\"data\":\"a long payload here\",\"offset\":1}");
    Exact shortFrame("{\"x\":1}");
    ASSERT_NE(key.find(longFrame.data(), longFrame.size), nullptr);
    EXPECT_EQ(key.find(shortFrame.data(), shortFrame.size), nullptr);
}

TEST(NumberAfter, ReadsTheDigitsAfterTheKey) {
    Exact t("{\"op\":\"reply\",\"ref\":1234,\"ok\":true}");
    EXPECT_EQ(numberAfter(t.data(), t.size, "\"ref\":"), 1234);
    KeyFinder ref("\"ref\":");
    EXPECT_EQ(numberAfter(t.data(), t.size, ref), 1234);
    EXPECT_TRUE(contains(t.data(), t.size, "\"ok\":true"));
    EXPECT_FALSE(contains(t.data(), t.size, "\"ok\":false"));
}

TEST(NumberAfter, IsMinusOneWithoutDigits) {
    Exact noDigits("{\"ref\":\"a\"}");
    EXPECT_EQ(numberAfter(noDigits.data(), noDigits.size, "\"ref\":"), -1);
    Exact atEnd("{\"ref\":");
    EXPECT_EQ(numberAfter(atEnd.data(), atEnd.size, "\"ref\":"), -1);
    Exact digitsToTheEnd("\"ref\":42");
    EXPECT_EQ(numberAfter(digitsToTheEnd.data(), digitsToTheEnd.size, "\"ref\":"), 42);
}

TEST(StampReader, ReadsBackWhatThePayloadCarries) {
    Payload payload(64);
    std::string sent(payload.stamp(1234567890123456789LL));
    EXPECT_EQ(sent.size(), 64u);
    StampReader reader;
    Exact frame("{\"op\":\"message\",\"data\":\"" + sent + "\",\"offset\":9}");
    EXPECT_EQ(reader.read(frame.data(), frame.size), 1234567890123456789LL);
    // Another dialect's framing puts it elsewhere.
    Exact socketIo("42[\"m\",\"" + std::string(payload.stamp(42)) + "\"]");
    EXPECT_EQ(reader.read(socketIo.data(), socketIo.size), 42);
    EXPECT_EQ(reader.read(frame.data(), frame.size), 1234567890123456789LL);
}

TEST(StampReader, RefusesMissingOrCutStamps) {
    StampReader reader;
    Exact none("{\"op\":\"message\",\"data\":\"plain\"}");
    EXPECT_EQ(reader.read(none.data(), none.size), -1);
    Exact cut("\"@ts=12345");
    EXPECT_EQ(reader.read(cut.data(), cut.size), -1);
    Exact notDigits("\"@ts=12345678901234567x8#\"");
    EXPECT_EQ(reader.read(notDigits.data(), notDigits.size), -1);
}

}  // namespace
}  // namespace loadgen
