// XEP-0124 §15 key chains for tests: what a client computes.
#pragma once

#include "util/sha1.h"

#include <string>
#include <vector>

namespace boshd::test {

// key_chain(seed, n)[i] is K(i+1): K1 = hex(SHA-1(seed)), K(i+1) =
// hex(SHA-1(K(i))). Every key on the wire is 40 hex digits (§15), K1
// included. A client uses them from the last to the first.
inline std::vector<std::string> key_chain(const std::string& seed, int n) {
    std::vector<std::string> k{util::sha1_hex(seed)};
    while (static_cast<int>(k.size()) < n) {
        k.push_back(util::sha1_hex(k.back()));
    }
    return k;
}

// |s| with ASCII a-z in upper case (keys may be sent in either case,
// C124-15.3-01).
inline std::string upper(std::string s) {
    for (char& c : s) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return s;
}

} // namespace boshd::test
