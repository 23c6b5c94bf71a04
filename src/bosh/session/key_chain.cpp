#include "bosh/session/key_chain.h"

#include "util/sha1.h"

namespace boshd::bosh {

bool KeyChain::matches(const BodyAttrs& a) const {
    // C124-15.4-01: the key is hashed as received; the chain holds the
    // previous key as bytes (parse_key reads hex in either case), so the
    // comparison ignores case (C124-15.3-01).
    return !next_ || (a.key && util::sha1(*a.key) == *next_);
}

std::optional<std::string_view> KeyChain::advance(const BodyAttrs& a) {
    if (!next_) {
        return std::nullopt; // C124-15.1-01: no chain, `key` and `newkey` ignored
    }
    if (!a.key) {
        return "missing key"; // C124-15.4-03: a missing key is a mismatch
    }
    if (!matches(a)) {
        return "key mismatch"; // C124-15.4-02
    }
    // C124-15.5-01: `newkey` next to a valid `key` starts a new chain.
    next_ = a.newkey ? parse_key(*a.newkey) : key_of(a);
    return std::nullopt;
}

// C124-15.4-04: a verbatim resend repeats the key of the request it resends.
bool KeyChain::resend_matches(const BodyAttrs& resend, const std::optional<Key>& original) const {
    return !next_ || key_of(resend) == original;
}

} // namespace boshd::bosh
