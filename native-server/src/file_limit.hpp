// The open-file limit (RLIMIT_NOFILE): every connection is a descriptor.
// Shells and systemd start processes with a soft limit of 1024 and a higher
// hard one; the server raises its soft limit to the hard limit at start, so
// only the hard limit (LimitNOFILE=, `ulimit -Hn`) bounds its connections.
#pragma once

#include <cstdint>

namespace brolostack::native {

struct FileLimit {
    std::uint64_t soft = 0;  // in force after the raise
    std::uint64_t hard = 0;  // the ceiling only a privileged parent can lift
};

/// Raises the soft RLIMIT_NOFILE to the hard one; returns the limits in force.
FileLimit raiseFileLimit();

}  // namespace brolostack::native
