// permessage-deflate without context takeover: negotiation answers, shared
// compression, and inflation bounded by the message limit.
#include "deflate.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace brolostack::native;

namespace {

using Offer = std::vector<std::pair<std::string, std::string>>;

/// Inflates a whole message as a receiver does: payload, then the tail.
MessageInflater::Result inflateMessage(MessageInflater& in, const std::string& payload, std::string& out,
                                       std::size_t limit) {
    auto r = in.inflate(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size(), out, limit);
    if (r != MessageInflater::Result::Ok) return r;
    const std::uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};
    return in.inflate(tail, 4, out, limit);
}

std::string chatJson(int i) {
    return R"({"op":"message","room":"general","event":"chat","data":{"text":"message number )" + std::to_string(i) +
           R"( in the general room, with some ordinary words"},"from":{"sid":"s1","user":"ada"},"offset":)" +
           std::to_string(i) + "}";
}

}  // namespace

TEST(DeflateNegotiation, AnOfferWithoutParametersIsAnsweredWithNoContextTakeoverBothWays) {
    auto a = negotiateDeflate({});
    ASSERT_TRUE(a);
    EXPECT_EQ(a->response, "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    EXPECT_EQ(a->clientWindowBits, 15);
}

TEST(DeflateNegotiation, TheClientWindowIsNarrowedWhenTheClientLetsTheServerChoose) {
    auto browser = negotiateDeflate(Offer{{"client_max_window_bits", ""}});
    ASSERT_TRUE(browser);
    EXPECT_EQ(browser->clientWindowBits, 12);
    EXPECT_NE(browser->response.find("client_max_window_bits=12"), std::string::npos);
    auto narrow = negotiateDeflate(Offer{{"client_max_window_bits", "9"}});
    ASSERT_TRUE(narrow);
    EXPECT_EQ(narrow->clientWindowBits, 9) << "never wider than the client offered";
}

TEST(DeflateNegotiation, MalformedUnknownRepeatedOrUnsupportedOffersAreDeclined) {
    EXPECT_FALSE(negotiateDeflate(Offer{{"client_max_window_bits", "16"}}));
    EXPECT_FALSE(negotiateDeflate(Offer{{"client_max_window_bits", "7"}}));
    EXPECT_FALSE(negotiateDeflate(Offer{{"client_max_window_bits", "1x"}}));
    EXPECT_FALSE(negotiateDeflate(Offer{{"client_max_window_bits", "010"}}));
    EXPECT_FALSE(negotiateDeflate(Offer{{"server_no_context_takeover", "yes"}}));
    EXPECT_FALSE(negotiateDeflate(Offer{{"x-webkit-thing", ""}}));
    EXPECT_FALSE(negotiateDeflate(Offer{{"server_no_context_takeover", ""}, {"server_no_context_takeover", ""}}));
    EXPECT_FALSE(negotiateDeflate(Offer{{"server_max_window_bits", "10"}})) << "the shared compressor uses 15 bits";
    EXPECT_TRUE(negotiateDeflate(Offer{{"server_max_window_bits", "15"}}));
}

TEST(MessageDeflate, EachMessageInflatesOnItsOwnSoOneCompressionServesEveryReceiver) {
    MessageDeflater deflater;
    std::vector<std::string> sent;
    for (int i = 0; i < 20; ++i) {
        auto c = deflater.deflate(chatJson(i));
        ASSERT_TRUE(c) << i;
        EXPECT_LT(c->size(), chatJson(i).size());
        sent.push_back(*c);
    }
    // A receiver that joins late inflates message 19 with a fresh context.
    MessageInflater late(15);
    std::string out;
    ASSERT_EQ(inflateMessage(late, sent[19], out, 1 << 20), MessageInflater::Result::Ok);
    EXPECT_EQ(out, chatJson(19));
    // One that got them all, in order, on one inflater.
    MessageInflater all(15);
    for (int i = 0; i < 20; ++i) {
        std::string one;
        ASSERT_EQ(inflateMessage(all, sent[i], one, 1 << 20), MessageInflater::Result::Ok);
        EXPECT_EQ(one, chatJson(i));
    }
}

TEST(MessageDeflate, SmallOrIncompressibleMessagesAreLeftAsTheyAre) {
    MessageDeflater deflater;
    EXPECT_FALSE(deflater.deflate(R"({"op":"pong","ts":1})"));
    std::mt19937 random(7);
    std::string noise(4096, '\0');
    for (char& c : noise) c = static_cast<char>(random());
    EXPECT_FALSE(deflater.deflate(noise));
}

TEST(MessageInflate, ABombStopsAtTheLimitWithoutProducingMore) {
    // 64 MiB of one byte compresses to about 64 KiB.
    std::string huge(64u << 20, 'a');
    z_stream z{};
    ASSERT_EQ(deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
    std::string bomb(deflateBound(&z, huge.size()), '\0');
    z.next_in = reinterpret_cast<Bytef*>(huge.data());
    z.avail_in = static_cast<uInt>(huge.size());
    z.next_out = reinterpret_cast<Bytef*>(bomb.data());
    z.avail_out = static_cast<uInt>(bomb.size());
    ASSERT_EQ(deflate(&z, Z_SYNC_FLUSH), Z_OK);
    bomb.resize(bomb.size() - z.avail_out - 4);
    deflateEnd(&z);
    ASSERT_LT(bomb.size(), 200u << 10);

    MessageInflater in(15);
    std::string out;
    EXPECT_EQ(inflateMessage(in, bomb, out, 1 << 20), MessageInflater::Result::TooLarge);
    EXPECT_LE(out.size(), 1u << 20) << "nothing is kept past the limit";
    EXPECT_EQ(out.size(), 1u << 20) << "what came before the limit is there, up to it";
    EXPECT_LE(out.capacity(), 2u << 20) << "and nothing much was allocated past it";
}

TEST(MessageInflate, AMessageExactlyAtTheLimitPasses) {
    MessageDeflater deflater;
    std::string body(5000, 'b');
    auto c = deflater.deflate(body);
    ASSERT_TRUE(c);
    MessageInflater atLimit(15);
    std::string out;
    EXPECT_EQ(inflateMessage(atLimit, *c, out, 5000), MessageInflater::Result::Ok);
    EXPECT_EQ(out, body);
    MessageInflater below(15);
    std::string cut;
    EXPECT_EQ(inflateMessage(below, *c, cut, 4999), MessageInflater::Result::TooLarge);
}

TEST(MessageInflate, GarbageIsCorruptAndAFinalBlockStartsAFreshStream) {
    MessageInflater in(15);
    std::string out;
    const std::string garbage = "\xff\xff\xff\xff\xff\xff";
    EXPECT_EQ(inflateMessage(in, garbage, out, 1 << 20), MessageInflater::Result::Corrupt);

    // A sender that ends each message with a final block (Z_FINISH).
    auto finished = [](const std::string& text) {
        z_stream z{};
        deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
        std::string buf(deflateBound(&z, text.size()), '\0');
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
        z.avail_in = static_cast<uInt>(text.size());
        z.next_out = reinterpret_cast<Bytef*>(buf.data());
        z.avail_out = static_cast<uInt>(buf.size());
        deflate(&z, Z_FINISH);
        buf.resize(buf.size() - z.avail_out);
        deflateEnd(&z);
        return buf;
    };
    MessageInflater twice(15);
    for (const char* text : {"first message, compressed to a final block", "second one, after it"}) {
        std::string one;
        ASSERT_EQ(inflateMessage(twice, finished(text), one, 1 << 20), MessageInflater::Result::Ok);
        EXPECT_EQ(one, text);
    }
}
