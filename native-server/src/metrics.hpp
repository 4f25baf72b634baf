// The server stats in Prometheus' text exposition format (GET /metrics).
#pragma once

#include "brolostack/server/stats.hpp"

#include <string>

namespace brolostack::native {

std::string renderMetrics(const server::Stats& stats);

}  // namespace brolostack::native
