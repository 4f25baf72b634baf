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

    /// header()[0]: the number of records; header()[1]: their address;
    /// header()[2]: the core's next wake-up after the call (0: none).
    const double* header() const { return header_; }

    void wakeAt(std::int64_t at) { header_[2] = static_cast<double>(at); }

    void record(const client::Effects& effects) {
        records_.resize(effects.size() * kFields);
        double* at = records_.data();
        for (const auto& e : effects) {
            at[0] = static_cast<double>(e.kind);
            at[1] = static_cast<double>(e.data);
            at[2] = static_cast<double>(e.extra);
            at[3] = e.code;
            at[4] = static_cast<double>(e.requestId);
            text(at + 5, e.text);
            text(at + 7, e.dataJson);
            text(at + 9, e.extraJson);
            at += kFields;
        }
        header_[0] = static_cast<double>(effects.size());
        header_[1] = static_cast<double>(reinterpret_cast<std::uintptr_t>(records_.data()));
    }

private:
    static void text(double* at, const std::string& s) {
        at[0] = static_cast<double>(reinterpret_cast<std::uintptr_t>(s.data()));
        at[1] = static_cast<double>(s.size());
    }

    double header_[3] = {0, 0, 0};
    std::vector<double> records_;
};

}  // namespace brolostack::wasm
