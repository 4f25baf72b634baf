// Acknowledged means durable: what the core produced in a step that
// changed the store (a publish reply, the message to the room's members)
// waits until the store says those changes are durable, and everything
// produced after it waits behind it, so each connection still sees frames
// in the order the core made them. Steps that changed nothing durable and
// find nothing waiting go out at once.
#pragma once

#include "brolostack/server/outbox.hpp"

#include <cstdint>
#include <deque>
#include <functional>

namespace brolostack::server {

class DurableGate {
public:
    /// Whether a step's output must wait: the store's last change is not
    /// durable yet, or earlier output is still waiting.
    bool mustWait(std::uint64_t lastChange, std::uint64_t durableChange) const {
        return !waiting_.empty() || lastChange > durableChange;
    }
    /// Keeps `out` (and `then`, run after it is performed) until change `lastChange` is durable.
    void hold(std::uint64_t lastChange, Outbox out, std::function<void()> then = {}) {
        waiting_.push_back(Waiting{lastChange, std::move(out), std::move(then)});
    }
    /// Hands every waiting step whose changes are durable to `perform`, oldest first.
    template <class Perform>
    void release(std::uint64_t durableChange, Perform&& perform) {
        while (!waiting_.empty() && waiting_.front().lastChange <= durableChange) {
            Waiting w = std::move(waiting_.front());
            waiting_.pop_front();
            perform(w.out);
            if (w.then) w.then();
        }
    }
    std::size_t waiting() const { return waiting_.size(); }

private:
    struct Waiting {
        std::uint64_t lastChange;
        Outbox out;
        std::function<void()> then;
    };
    std::deque<Waiting> waiting_;
};

}  // namespace brolostack::server
