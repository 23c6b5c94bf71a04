// Key sequencing (XEP-0124 §15). A session whose creation request carried
// `newkey` checks every later request's `key` against the chain; one
// without ignores `key` and `newkey` altogether (C124-15.1-01).
#pragma once

#include "bosh/attrs.h"

#include <optional>
#include <string>
#include <string_view>

namespace boshd::bosh {

class KeyChain {
public:
    explicit KeyChain(const std::optional<std::string>& newkey)
        : next_(newkey ? parse_key(*newkey) : std::nullopt) {}

    // Whether |a|'s key is the next one of the chain (true without a chain).
    bool matches(const BodyAttrs& a) const;
    // Checks a new request (in rid order) and advances the chain. Returns
    // why the key failed, or nullopt.
    std::optional<std::string_view> advance(const BodyAttrs& a);
    // C124-15.4-04: a resend of a request already taken must carry that
    // request's key (a verbatim resend does); it never advances the chain.
    bool resend_matches(const BodyAttrs& resend, const std::optional<Key>& original) const;

private:
    // What SHA-1(next key) must be (the last key or newkey, as bytes);
    // nullopt: no key sequencing.
    std::optional<Key> next_;
};

} // namespace boshd::bosh
