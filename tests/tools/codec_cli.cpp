// Runs the native codec over frames read from stdin, one JSON line each:
// {"kind":"client"|"server","text":"<frame>"} -> one JSON line out with the
// canonical re-encoding or the error. The cross-build test feeds the same
// lines to the wasm module and compares the answers byte for byte.
#include "brolostack/json.hpp"
#include "brolostack/protocol/codec.hpp"

#include <iostream>
#include <string>

int main() {
    using namespace brolostack;
    std::string line;
    while (std::getline(std::cin, line)) {
        json::Document doc;
        doc.Parse(line.data(), line.size());
        rapidjson::StringBuffer buffer;
        json::Writer w(buffer);
        w.StartObject();
        if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("kind") || !doc["kind"].IsString() ||
            !doc.HasMember("text") || !doc["text"].IsString()) {
            json::writeKey(w, "invalidInput");
            w.Bool(true);
        } else {
            std::string_view kind(doc["kind"].GetString(), doc["kind"].GetStringLength());
            std::string_view text(doc["text"].GetString(), doc["text"].GetStringLength());
            std::optional<protocol::Error> error;
            std::string canonical;
            if (kind == "client") {
                auto d = protocol::decodeClientFrame(text);
                if (d.frame) canonical = protocol::encodeClientFrame(*d.frame);
                else error = d.error;
            } else {
                auto d = protocol::decodeServerFrame(text);
                if (d.frame) canonical = protocol::encodeServerFrame(*d.frame);
                else error = d.error;
            }
            json::writeKey(w, "ok");
            w.Bool(!error);
            json::writeKey(w, "text");
            json::writeString(w, canonical);
            json::writeKey(w, "errorCode");
            json::writeString(w, error ? protocol::errorCodeName(error->code) : "");
            json::writeKey(w, "errorMessage");
            json::writeString(w, error ? error->message : "");
        }
        w.EndObject();
        std::cout << std::string_view(buffer.GetString(), buffer.GetSize()) << '\n';
    }
    return 0;
}
