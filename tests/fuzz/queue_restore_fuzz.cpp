// libFuzzer target: the client's offline-queue restore, which reads what
// another page left in localStorage (untrusted: any script of the origin,
// or a corrupted write, can put anything there).
#include "brolostack/client/client_core.hpp"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace client = brolostack::client;
    double seed = 0.5;
    client::ClientCore core(client::ClientOptions{}, [&seed] { return seed = seed * 0.7 + 0.1 > 1 ? 0.3 : seed * 0.7 + 0.1; });
    client::Effects out;
    std::string snapshot(reinterpret_cast<const char*>(data), size);
    core.restoreQueue(snapshot, 1'700'000'000'000, out);
    core.connect(1'700'000'000'000, out);
    core.opened(1'700'000'000'000, out);
    core.queueSnapshot();
    return 0;
}
