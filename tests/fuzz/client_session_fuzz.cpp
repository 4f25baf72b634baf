// libFuzzer target: the client core fed what a server sends, one frame per
// line, after it connected and asked for a join and a publish. Reaches the
// reply bodies (welcome, join, publish, leave) and the frames nested in
// them, which the frame decoder alone never opens, and the lookups of the
// values the shell takes from each frame.
#include "brolostack/client/client_core.hpp"

#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace client = brolostack::client;
    client::ClientCore core(client::ClientOptions{}, client::seededRandom(0.5));
    client::Effects out;
    std::int64_t now = 1'700'000'000'000;
    core.joinRoom("general", "General", "{}", now, out);         // ref 2 once connected
    core.publish("general", "chat", "{\"n\":1}", false, now, out);  // ref 3
    core.connect(now, out);
    core.opened(now, out);  // hello: ref 1
    std::string_view input(reinterpret_cast<const char*>(data), size);
    while (!input.empty()) {
        std::size_t end = input.find('\n');
        std::string_view frame = input.substr(0, end);
        out.clear();
        core.received(frame, ++now, out);
        client::resolveFrameArgs(out, frame);
        if (end == std::string_view::npos) break;
        input.remove_prefix(end + 1);
    }
    core.tick(now + 60'000, out);
    core.queueSnapshot();
    return 0;
}
