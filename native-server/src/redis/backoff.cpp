#include "redis/backoff.hpp"

#include <algorithm>

namespace brolostack::native::redis {

Backoff::Backoff(std::chrono::milliseconds first, std::chrono::milliseconds cap, std::uint64_t seed)
    : first_(std::max<std::chrono::milliseconds>(first, std::chrono::milliseconds(1))),
      cap_(std::max(cap, first_)),
      random_(seed) {}

std::chrono::milliseconds Backoff::next() {
    // Double step by step (not first << attempts) so a long outage cannot overflow.
    std::int64_t step = first_.count();
    for (unsigned i = 0; i < attempts_ && step < cap_.count(); ++i) step *= 2;
    step = std::min<std::int64_t>(step, cap_.count());
    ++attempts_;
    std::uniform_int_distribution<std::int64_t> pick(step / 2, step);
    return std::chrono::milliseconds(pick(random_));
}

}  // namespace brolostack::native::redis
