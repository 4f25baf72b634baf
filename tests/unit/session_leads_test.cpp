// What a node knows of cluster sessions (server/session_leads.hpp): prune
// forgets a session only when it went unused for a whole period and the
// node needs it for nothing else.
#include "brolostack/server/session_leads.hpp"

#include <gtest/gtest.h>

#include <string>

namespace brolostack::server {
namespace {

constexpr std::int64_t kStart = 1'700'000'000'000;
constexpr std::int64_t kPeriod = SessionLeads::kPruneEveryMs;
const auto nothingWanted = [](const std::string&) { return false; };

SessionLeads::Lead& theirs(SessionLeads& leads, const std::string& session) {
    SessionLeads::Lead& lead = leads.lead(session);
    lead.state = SessionLeads::State::Theirs;
    lead.leader = "n1";
    return lead;
}

TEST(SessionLeadsPrune, ForgetsASessionUnusedForAWholePeriod) {
    SessionLeads leads;
    theirs(leads, "idle");
    theirs(leads, "busy");
    EXPECT_EQ(leads.prune(kStart, nothingWanted), 0u) << "both were used since the last prune";
    leads.lead("busy");  // used again
    EXPECT_EQ(leads.prune(kStart + kPeriod - 1, nothingWanted), 0u) << "not a period yet";
    EXPECT_EQ(leads.prune(kStart + kPeriod, nothingWanted), 1u);
    EXPECT_EQ(leads.find("idle"), nullptr);
    ASSERT_NE(leads.find("busy"), nullptr);
    EXPECT_EQ(leads.find("busy")->leader, "n1");
    EXPECT_EQ(leads.prune(kStart + 2 * kPeriod, nothingWanted), 1u) << "unused for the period since";
    EXPECT_EQ(leads.find("busy"), nullptr);
}

TEST(SessionLeadsPrune, KeepsWhatTheNodeStillNeeds) {
    SessionLeads leads;
    leads.lead("mine").state = SessionLeads::State::Mine;
    leads.lead("asking").state = SessionLeads::State::Asking;
    SessionLeads::Ask held;
    held.msg.sessionId = "waiting";
    theirs(leads, "waiting").waiting.push_back(std::move(held));
    theirs(leads, "asked");
    SessionLeads::Ask out;
    out.msg.sessionId = "asked";
    leads.asked(std::move(out), "n1");
    theirs(leads, "registered");
    args::Message registration;
    registration.sessionId = "registered";
    leads.registered(7, registration, "agent-1");
    theirs(leads, "members");
    theirs(leads, "idle");
    leads.lead("unknown");  // Unknown: nobody asked since

    const auto membersHere = [](const std::string& session) { return session == "members"; };
    leads.prune(kStart, membersHere);
    EXPECT_EQ(leads.prune(kStart + kPeriod, membersHere), 2u);
    EXPECT_EQ(leads.find("idle"), nullptr);
    EXPECT_EQ(leads.find("unknown"), nullptr);
    for (const char* kept : {"mine", "asking", "waiting", "asked", "registered", "members"})
        EXPECT_NE(leads.find(kept), nullptr) << kept;

    // Each need gone, the session goes at the next prune, or at the one
    // after when it was used meanwhile (emptying the queue is a use).
    leads.lead("waiting").waiting.clear();
    leads.answered(1);
    leads.unregistered(7, "registered", "agent-1");
    EXPECT_EQ(leads.prune(kStart + 2 * kPeriod, nothingWanted), 3u);
    for (const char* gone : {"asked", "registered", "members"}) EXPECT_EQ(leads.find(gone), nullptr) << gone;
    EXPECT_NE(leads.find("waiting"), nullptr);
    EXPECT_EQ(leads.prune(kStart + 3 * kPeriod, nothingWanted), 1u);
    EXPECT_EQ(leads.find("waiting"), nullptr);
    EXPECT_NE(leads.find("mine"), nullptr);
    EXPECT_NE(leads.find("asking"), nullptr);
}

}  // namespace
}  // namespace brolostack::server
