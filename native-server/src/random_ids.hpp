// Unguessable identifiers (connection ids, epochs) from OpenSSL's CSPRNG:
// a connection id also names its mid-dedupe namespace on resume.
#pragma once

#include <string>

namespace brolostack::native {

/// `bytes` random bytes as lowercase hex.
std::string randomHex(std::size_t bytes);

}  // namespace brolostack::native
