#include "file_limit.hpp"

#include <sys/resource.h>

namespace brolostack::native {

FileLimit raiseFileLimit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return {};
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        // An unlimited hard limit is refused above fs.nr_open: keep the old soft one then.
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    auto value = [](rlim_t v) { return v == RLIM_INFINITY ? UINT64_MAX : static_cast<std::uint64_t>(v); };
    return {value(limit.rlim_cur), value(limit.rlim_max)};
}

}  // namespace brolostack::native
