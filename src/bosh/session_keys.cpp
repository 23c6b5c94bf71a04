// Session: key sequencing (XEP-0124 §15). A session whose creation request
// carried `newkey` checks every later request's `key` against the chain; one
// without ignores `key` and `newkey` altogether (C124-15.1-01).
#include "bosh/session.h"
#include "util/sha1.h"

namespace boshd::bosh {

// Whether |a|'s key is the next one of the chain (true without a chain).
bool Session::key_matches_chain(const BodyAttrs& a) const {
    // C124-15.4-01: the key is hashed as received; the chain holds the
    // previous key as bytes (parse_key reads hex in either case), so the
    // comparison ignores case (C124-15.3-01).
    return !key_ || (a.key && util::sha1(*a.key) == *key_);
}

// Checks a new request (in rid order) against the chain and advances it.
// Returns false when the key failed and the session ended.
bool Session::check_key(RequestId id, const BodyAttrs& a, Context& ctx) {
    if (!key_) {
        return true;
    }
    if (!a.key) {
        // C124-15.4-03: a missing key is a mismatch; the body is not used.
        fail_request(id, Condition::ItemNotFound, "missing key", ctx);
        return false;
    }
    if (!key_matches_chain(a)) {
        fail_request(id, Condition::ItemNotFound, "key mismatch", ctx); // C124-15.4-02
        return false;
    }
    // C124-15.5-01: `newkey` next to a valid `key` starts a new chain.
    key_ = a.newkey ? parse_key(*a.newkey) : key_of(a);
    return true;
}

// C124-15.4-04: a resend of a request already taken must carry that request's
// key (a verbatim resend does); it never advances the chain.
bool Session::resend_key_matches(const BodyAttrs& resend,
                                 const std::optional<Key>& original) const {
    return !key_ || key_of(resend) == original;
}

} // namespace boshd::bosh
