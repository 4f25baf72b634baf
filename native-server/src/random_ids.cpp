#include "random_ids.hpp"

#include <openssl/rand.h>

#include <cstdlib>
#include <vector>

namespace brolostack::native {

std::string randomHex(std::size_t bytes) {
    std::vector<unsigned char> raw(bytes);
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) std::abort();  // no entropy: unsafe to go on
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve(bytes * 2);
    for (unsigned char b : raw) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 15]);
    }
    return out;
}

}  // namespace brolostack::native
