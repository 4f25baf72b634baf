// Output waits for the store (server/durable_gate.hpp): a step's frames go
// out only once its changes are durable, and later steps queue behind it.
#include "brolostack/server/durable_gate.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using brolostack::server::Action;
using brolostack::server::DurableGate;
using brolostack::server::Outbox;

namespace {

Outbox frame(const std::string& text) {
    Action a;
    a.conn = 1;
    a.frame = std::make_shared<const std::string>(text);
    return Outbox{a};
}

struct Sent {
    std::vector<std::string> frames;
    void operator()(Outbox& out) {
        for (const auto& a : out) frames.push_back(*a.frame);
    }
};

}  // namespace

TEST(DurableGate, NothingWaitsWhenEveryChangeIsDurable) {
    DurableGate gate;
    EXPECT_FALSE(gate.mustWait(5, 5));
}

TEST(DurableGate, AStepWithAChangeNotYetDurableWaitsForIt) {
    DurableGate gate;
    ASSERT_TRUE(gate.mustWait(6, 5));
    gate.hold(6, frame("reply"));
    Sent sent;
    gate.release(5, sent);
    EXPECT_TRUE(sent.frames.empty());
    gate.release(6, sent);
    EXPECT_EQ(sent.frames, (std::vector<std::string>{"reply"}));
    EXPECT_EQ(gate.waiting(), 0u);
}

TEST(DurableGate, LaterOutputQueuesBehindWaitingOutputInOrder) {
    DurableGate gate;
    gate.hold(6, frame("publish reply"));
    EXPECT_TRUE(gate.mustWait(6, 5)) << "a presence frame made now must not overtake the publish";
    EXPECT_TRUE(gate.mustWait(5, 5)) << "even one that changed nothing";
    gate.hold(6, frame("presence"));
    gate.hold(9, frame("second publish reply"));
    Sent sent;
    gate.release(7, sent);
    EXPECT_EQ(sent.frames, (std::vector<std::string>{"publish reply", "presence"}));
    gate.release(9, sent);
    EXPECT_EQ(sent.frames.back(), "second publish reply");
}

TEST(DurableGate, WhatFollowsAHeldStepRunsAfterItsFrames) {
    DurableGate gate;
    std::vector<std::string> order;
    gate.hold(2, frame("frame"), [&] { order.push_back("http answer"); });
    gate.release(2, [&](Outbox& out) { order.push_back(*out.front().frame); });
    EXPECT_EQ(order, (std::vector<std::string>{"frame", "http answer"}));
}
