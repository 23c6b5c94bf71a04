// KeyChain: key sequencing (XEP-0124 §15). The client builds K1..Kn with
// K(i+1) = hex(SHA-1(K(i))), sends newkey=Kn at creation, then Kn-1, Kn-2,
// ... as `key`.
#include "bosh/session/key_chain.h"
#include "support/key_chains.h"
#include "util/sha1.h"

#include <doctest/doctest.h>
#include <optional>
#include <string>
#include <vector>

using boshd::bosh::BodyAttrs;
using boshd::bosh::key_of;
using boshd::bosh::KeyChain;
using boshd::bosh::parse_key;
namespace util = boshd::util;
using boshd::test::key_chain;
using boshd::test::upper;

namespace {

// A request's attributes with |key| (and |newkey|) as given.
BodyAttrs with_key(std::optional<std::string> key, std::optional<std::string> newkey = {}) {
    BodyAttrs a;
    a.rid = 1001;
    a.key = std::move(key);
    a.newkey = std::move(newkey);
    return a;
}

// advance()'s answer as text: empty when the key fits.
std::string advance(KeyChain& keys, const BodyAttrs& a) {
    const auto failed = keys.advance(a);
    return failed ? std::string(*failed) : std::string();
}

} // namespace

TEST_SUITE("bosh/session/key_chain") {

    TEST_CASE("C124-15.1-01 without newkey at creation, key and newkey are ignored") {
        KeyChain keys(std::nullopt);
        const auto k = key_chain("ignored", 3);
        for (const auto& a : {with_key(std::nullopt), with_key(k[0]), with_key(k[1], k[2]),
                              with_key(std::string(40, '0'))}) {
            CHECK(keys.matches(a));
            CHECK(advance(keys, a) == "");
            CHECK(keys.resend_matches(a, parse_key(k[2])));
            CHECK(keys.resend_matches(a, std::nullopt));
        }
        // A newkey on a later request does not start a chain either.
        CHECK(advance(keys, with_key(std::nullopt)) == "");
    }

    TEST_CASE("C124-15.4-01 each key must hash to the previous one") {
        const auto k = key_chain("seed-of-the-chain", 5);
        KeyChain keys(k[4]);
        CHECK(keys.matches(with_key(k[3])));
        CHECK_FALSE(keys.matches(with_key(k[2]))); // two links down: not the next one
        CHECK_FALSE(keys.matches(with_key(k[4]))); // newkey itself does not hash to itself
        CHECK(advance(keys, with_key(k[3])) == "");
        // The chain moved: K4 is spent, K3 is next.
        CHECK_FALSE(keys.matches(with_key(k[3])));
        CHECK(keys.matches(with_key(k[2])));
        CHECK(advance(keys, with_key(k[2])) == "");
        CHECK(advance(keys, with_key(k[1])) == "");
        CHECK(advance(keys, with_key(k[0])) == "");
    }

    TEST_CASE("C124-15.4-02 a key that does not hash to the previous one fails") {
        const auto k = key_chain("wrong", 5);
        KeyChain keys(k[4]);
        CHECK(advance(keys, with_key(std::string(40, '0'))) == "key mismatch");
        // A failure does not move the chain: the right key still fits.
        CHECK(advance(keys, with_key(k[3])) == "");
        // A key is used once: replaying it is a mismatch.
        CHECK(advance(keys, with_key(k[3])) == "key mismatch");
        // Skipping a link is a mismatch too.
        CHECK(advance(keys, with_key(k[1])) == "key mismatch");
        CHECK(advance(keys, with_key(k[2])) == "");
    }

    TEST_CASE("C124-15.4-03 a missing key is a mismatch") {
        const auto k = key_chain("missing", 3);
        KeyChain keys(k[2]);
        CHECK_FALSE(keys.matches(with_key(std::nullopt)));
        CHECK(advance(keys, with_key(std::nullopt)) == "missing key");
        // A newkey alone does not restart the chain.
        CHECK(advance(keys, with_key(std::nullopt, key_chain("other", 2)[1])) == "missing key");
        CHECK(advance(keys, with_key(k[1])) == "");
        // Still keyed after a success.
        CHECK(advance(keys, with_key(std::nullopt)) == "missing key");
    }

    TEST_CASE("C124-15.3-01 keys compare case-insensitively, hashed as received") {
        const auto k = key_chain("case", 5);
        KeyChain keys(upper(k[4])); // newkey in upper case
        CHECK(keys.matches(with_key(k[3])));
        // Hashing the upper-case form of K4 gives another hash: that key fails.
        CHECK_FALSE(keys.matches(with_key(upper(k[3]))));
        CHECK(advance(keys, with_key(upper(k[3]))) == "key mismatch");
        CHECK(advance(keys, with_key(k[3])) == "");
        CHECK(keys.matches(with_key(k[2])));
    }

    TEST_CASE("C124-15.3-01 a key sent in upper case is compared by its value") {
        // The client hashes its keys as it sends them, here in upper case:
        // K3' = upper(hex(SHA-1(K2))), newkey = hex(SHA-1(K3')).
        const std::string k2 = util::sha1_hex("upper-chain");
        const std::string k3_upper = upper(util::sha1_hex(k2));
        const std::string newkey = util::sha1_hex(k3_upper);
        KeyChain keys(newkey);
        REQUIRE(advance(keys, with_key(k3_upper)) == "");
        // The next key hashes to the lower-case digits of K3: the same key.
        CHECK(keys.matches(with_key(k2)));
        CHECK(advance(keys, with_key(k2)) == "");
    }

    TEST_CASE("C124-15.3-01 C124-15.5-01 a newkey in upper case heads the new chain") {
        const auto k = key_chain("old", 5);
        const auto j = key_chain("new", 3);
        KeyChain keys(k[4]);
        REQUIRE(advance(keys, with_key(k[3], upper(j[2]))) == "");
        CHECK(keys.matches(with_key(j[1])));
        CHECK_FALSE(keys.matches(with_key(k[2])));
    }

    TEST_CASE("C124-15.5-01 key plus newkey switches to a new chain") {
        const auto k = key_chain("old", 2);
        const auto j = key_chain("new", 3);
        KeyChain keys(k[1]);
        // K1 is the last key of the old chain; J3 heads the new one.
        CHECK(advance(keys, with_key(k[0], j[2])) == "");
        CHECK_FALSE(keys.matches(with_key(k[0])));
        CHECK(keys.matches(with_key(j[1])));
        CHECK(advance(keys, with_key(j[1])) == "");
        CHECK(advance(keys, with_key(j[0])) == "");
        CHECK(advance(keys, with_key(std::string(40, 'a'))) == "key mismatch");
    }

    TEST_CASE("C124-15.5-01 a newkey next to a wrong key does not switch chains") {
        const auto k = key_chain("old", 3);
        const auto j = key_chain("new", 3);
        KeyChain keys(k[2]);
        CHECK(advance(keys, with_key(std::string(40, '1'), j[2])) == "key mismatch");
        CHECK_FALSE(keys.matches(with_key(j[1])));
        CHECK(keys.matches(with_key(k[1])));
    }

    TEST_CASE("C124-15.4-04 a resend must repeat the original key, and never advances") {
        const auto k = key_chain("resend", 5);
        KeyChain keys(k[4]);
        const BodyAttrs r1 = with_key(k[3]);
        REQUIRE(advance(keys, r1) == "");
        const auto original = key_of(r1);
        REQUIRE(original);
        CHECK(keys.resend_matches(r1, original));                    // verbatim
        CHECK(keys.resend_matches(with_key(upper(k[3])), original)); // same key, other case
        CHECK_FALSE(keys.resend_matches(with_key(k[2]), original));  // the next key is not it
        CHECK_FALSE(keys.resend_matches(with_key(std::nullopt), original));
        CHECK_FALSE(keys.resend_matches(r1, std::nullopt)); // the original carried none
        CHECK(keys.resend_matches(with_key(std::nullopt), std::nullopt));
        // Checking resends left the chain where it was: K3 is next, K4 is spent.
        CHECK(keys.matches(with_key(k[2])));
        CHECK(advance(keys, with_key(k[3])) == "key mismatch");
        CHECK(advance(keys, with_key(k[2])) == "");
    }
}
