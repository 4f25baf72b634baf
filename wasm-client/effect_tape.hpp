// The effects of one call as fixed-size records in the wasm heap, read by
// js/src/effects.mjs through the heap's Float64Array: no object per effect
// is built on this side and no JSON is written or parsed to cross over.
// Strings are referenced where they lie (address and byte length, UTF-8)
// in the Effects they came from, which live until the next call.
#pragma once

#include "brolostack/client/client_core.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace brolostack::wasm {

class EffectTape {
public:
    /// One record: kind, data arg, extra arg, close code, request id, then
    /// address and length of text, dataJson and extraJson. The order is
    /// js/src/effects.mjs's FIELD table.
    static constexpr std::size_t kFields = 11;

    /// header()[0]: the number of records; header()[1]: their address.
    const double* header() const { return header_; }

    void record(const client::Effects& effects) {
        records_.clear();
        for (const auto& e : effects) {
            records_.push_back(static_cast<double>(e.kind));
            records_.push_back(static_cast<double>(e.data));
            records_.push_back(static_cast<double>(e.extra));
            records_.push_back(e.code);
            records_.push_back(static_cast<double>(e.requestId));
            text(e.text);
            text(e.dataJson);
            text(e.extraJson);
        }
        header_[0] = static_cast<double>(effects.size());
        header_[1] = static_cast<double>(reinterpret_cast<std::uintptr_t>(records_.data()));
    }

private:
    void text(const std::string& s) {
        records_.push_back(static_cast<double>(reinterpret_cast<std::uintptr_t>(s.data())));
        records_.push_back(static_cast<double>(s.size()));
    }

    double header_[2] = {0, 0};
    std::vector<double> records_;
};

}  // namespace brolostack::wasm
