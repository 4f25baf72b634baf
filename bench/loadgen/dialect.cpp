#include "dialect.hpp"

namespace loadgen {

std::unique_ptr<Dialect> makeDialect(const std::string& name) {
    if (name == "brolostack") return makeBrolostackDialect();
    if (name == "socketio") return makeSocketIoDialect();
    if (name == "ws") return makeWsDialect();
    return nullptr;
}

}  // namespace loadgen
