// Content codings of BOSH entities: reply negotiation (C124-5-07) and request
// decoding (C124-7.2-14), with the bounds that keep a zip bomb harmless.
#include "net/compression.h"

#include <doctest/doctest.h>
#include <string>

using namespace boshd::net;
using namespace std::string_literals;

namespace {

const std::string kEmptyBody = "<body xmlns='http://jabber.org/protocol/httpbind'/>";

// kEmptyBody as Python's gzip.compress(mtime=0) and zlib.compress write it:
// encoders other than ours, so that a symmetric mistake cannot pass.
const std::string kPythonGzip(
    "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xb3\x49\xca\x4f\xa9\x54\xa8\xc8\xcd\xc9\x2b\xb6"
    "\x55\xcf\x28\x29\x29\xb0\xd2\xd7\xcf\x4a\x4c\x4a\x4a\x2d\xd2\xcb\x2f\x4a\xd7\x2f\x28\xca"
    "\x2f\xc9\x4f\xce\xcf\xd1\x07\x49\x25\x65\xe6\xa5\xa8\xeb\xdb\x01\x00\x32\x4c\x69\x7e\x33"
    "\x00\x00\x00"s);
const std::string kPythonZlib(
    "\x78\x9c\xb3\x49\xca\x4f\xa9\x54\xa8\xc8\xcd\xc9\x2b\xb6\x55\xcf\x28\x29\x29\xb0\xd2\xd7"
    "\xcf\x4a\x4c\x4a\x4a\x2d\xd2\xcb\x2f\x4a\xd7\x2f\x28\xca\x2f\xc9\x4f\xce\xcf\xd1\x07\x49"
    "\x25\x65\xe6\xa5\xa8\xeb\xdb\x01\x00\xe4\x7f\x12\x96"s);

std::string as_string(const std::vector<char>& v) {
    return std::string(v.begin(), v.end());
}

// A reply-sized document with some repetition, as stanzas have.
std::string sample_body(std::size_t approx) {
    std::string s = "<body xmlns='http://jabber.org/protocol/httpbind'>";
    for (int i = 0; s.size() < approx; ++i) {
        s += "<message xmlns='jabber:client' to='a@example.com' id='m" + std::to_string(i) +
             "'><body>hello " + std::to_string(i * 7919) + "</body></message>";
    }
    return s + "</body>";
}

} // namespace

TEST_SUITE("net/compression") {
    TEST_CASE("C124-5-07 gzip reply inflates to the same body") {
        const auto body = sample_body(4000);
        const auto gz = *compress(body, Coding::Gzip);
        CHECK(gz.size() < body.size());
        // RFC 1952 §2.3: magic 1f 8b, method 8; MTIME zero, so output is stable.
        REQUIRE(gz.size() > 10);
        CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);
        CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
        CHECK(gz[2] == 8);
        CHECK(gz.substr(4, 4) == std::string(4, '\0'));
        const auto back = decompress(gz, Coding::Gzip, body.size());
        REQUIRE(back.ok());
        CHECK(as_string(back.value()) == body);
    }

    TEST_CASE("C124-5-07 deflate is the zlib format (RFC 9110 8.4.1.2), not raw deflate") {
        const auto body = sample_body(2000);
        const auto z = *compress(body, Coding::Deflate);
        REQUIRE(z.size() > 2);
        const auto cmf = static_cast<unsigned char>(z[0]);
        const auto flg = static_cast<unsigned char>(z[1]);
        CHECK((cmf & 0x0f) == 8);           // method deflate (RFC 1950 §2.2)
        CHECK((cmf * 256 + flg) % 31 == 0); // header check bits
        const auto back = decompress(z, Coding::Deflate, body.size());
        REQUIRE(back.ok());
        CHECK(as_string(back.value()) == body);
    }

    TEST_CASE("C124-14.3-02 compressing the same body twice gives identical bytes") {
        const auto body = sample_body(3000);
        CHECK(*compress(body, Coding::Gzip) == *compress(body, Coding::Gzip));
        CHECK(*compress(body, Coding::Deflate) == *compress(body, Coding::Deflate));
    }

    TEST_CASE("C124-7.2-14 entities from another encoder decode") {
        const auto gz = decompress(kPythonGzip, Coding::Gzip, 1024);
        REQUIRE(gz.ok());
        CHECK(as_string(gz.value()) == kEmptyBody);
        const auto z = decompress(kPythonZlib, Coding::Deflate, 1024);
        REQUIRE(z.ok());
        CHECK(as_string(z.value()) == kEmptyBody);
        // The codings are not interchangeable.
        CHECK(decompress(kPythonGzip, Coding::Deflate, 1024).error() == InflateError::Corrupt);
        CHECK(decompress(kPythonZlib, Coding::Gzip, 1024).error() == InflateError::Corrupt);
    }

    TEST_CASE("C124-7.2-14 gzip with several members decodes to their concatenation") {
        const auto two = decompress(kPythonGzip + kPythonGzip, Coding::Gzip, 1024);
        REQUIRE(two.ok());
        CHECK(as_string(two.value()) == kEmptyBody + kEmptyBody);
    }

    TEST_CASE("C124-7.2-14 the decoded size is bounded by the limit, exactly") {
        const std::string body(40000, 'a'); // grows past one inflate chunk twice
        for (auto c : {Coding::Gzip, Coding::Deflate, Coding::Identity}) {
            CAPTURE(to_string(c));
            const auto packed = *compress(body, c);
            const auto at = decompress(packed, c, body.size());
            REQUIRE(at.ok());
            CHECK(at.value().size() == body.size());
            CHECK(at.value().capacity() <= body.size());
            CHECK(decompress(packed, c, body.size() - 1).error() == InflateError::TooLarge);
        }
    }

    TEST_CASE("C124-7.2-14 a zip bomb stops at the limit") {
        // 16 MiB of zeros packs into about 16 KiB; a 64 KiB limit refuses it
        // after inflating one chunk past the limit, never the whole.
        const std::string zeros(16 * 1024 * 1024, '\0');
        const auto bomb = *compress(zeros, Coding::Gzip);
        CHECK(bomb.size() < 64 * 1024);
        CHECK(decompress(bomb, Coding::Gzip, 64 * 1024).error() == InflateError::TooLarge);
    }

    TEST_CASE("C124-7.2-14 corrupt, truncated and padded input is Corrupt") {
        const auto gz = *compress(sample_body(2000), Coding::Gzip);
        auto flipped = gz;
        flipped[gz.size() / 2] = static_cast<char>(flipped[gz.size() / 2] ^ 0x55);
        CHECK(decompress(flipped, Coding::Gzip, 1 << 20).error() == InflateError::Corrupt);
        auto bad_crc = gz;
        bad_crc[gz.size() - 6] = static_cast<char>(bad_crc[gz.size() - 6] ^ 1);
        CHECK(decompress(bad_crc, Coding::Gzip, 1 << 20).error() == InflateError::Corrupt);
        CHECK(decompress(gz.substr(0, gz.size() - 1), Coding::Gzip, 1 << 20).error() ==
              InflateError::Corrupt);
        CHECK(decompress("", Coding::Gzip, 1 << 20).error() == InflateError::Corrupt);
        CHECK(decompress(kEmptyBody, Coding::Gzip, 1 << 20).error() == InflateError::Corrupt);
        CHECK(decompress(kEmptyBody, Coding::Deflate, 1 << 20).error() == InflateError::Corrupt);
        CHECK(decompress(kPythonZlib + "x", Coding::Deflate, 1 << 20).error() ==
              InflateError::Corrupt);
        CHECK(decompress(kPythonGzip + "junk", Coding::Gzip, 1 << 20).error() ==
              InflateError::Corrupt);
    }

    TEST_CASE("C124-5-07 Accept-Encoding: absent, empty or without our codings is identity") {
        CHECK(choose_reply_coding(std::nullopt) == Coding::Identity);
        CHECK(choose_reply_coding("") == Coding::Identity);
        CHECK(choose_reply_coding("identity") == Coding::Identity);
        CHECK(choose_reply_coding("br, compress") == Coding::Identity);
    }

    TEST_CASE("C124-5-07 Accept-Encoding: gzip preferred on a tie, q-values honoured") {
        CHECK(choose_reply_coding("gzip") == Coding::Gzip);
        CHECK(choose_reply_coding("deflate") == Coding::Deflate);
        CHECK(choose_reply_coding("gzip, deflate") == Coding::Gzip);
        CHECK(choose_reply_coding("deflate, gzip") == Coding::Gzip);
        CHECK(choose_reply_coding("deflate;q=1, gzip;q=0.5") == Coding::Deflate);
        CHECK(choose_reply_coding("deflate;q=0.5, gzip;q=0.501") == Coding::Gzip);
        CHECK(choose_reply_coding("GZIP ; Q=0.2 , Deflate;q=0.1") == Coding::Gzip);
        CHECK(choose_reply_coding("x-gzip") == Coding::Gzip);
        CHECK(choose_reply_coding(" , gzip ,") == Coding::Gzip);
    }

    TEST_CASE("C124-5-07 Accept-Encoding: q=0 refuses a coding") {
        CHECK(choose_reply_coding("gzip;q=0") == Coding::Identity);
        CHECK(choose_reply_coding("gzip;q=0.000, deflate") == Coding::Deflate);
        CHECK(choose_reply_coding("gzip;q=0, deflate;q=0") == Coding::Identity);
        CHECK(choose_reply_coding("deflate, gzip;q=0") == Coding::Deflate);
    }

    TEST_CASE("C124-5-07 Accept-Encoding: * stands for the codings not named") {
        CHECK(choose_reply_coding("*") == Coding::Gzip);
        CHECK(choose_reply_coding("*;q=0") == Coding::Identity);
        CHECK(choose_reply_coding("gzip;q=0, *") == Coding::Deflate);
        CHECK(choose_reply_coding("deflate, *;q=0") == Coding::Deflate);
        CHECK(choose_reply_coding("*;q=0.1, deflate") == Coding::Deflate);
    }

    TEST_CASE("C124-5-07 Accept-Encoding: a malformed q-value voids its element") {
        CHECK(choose_reply_coding("gzip;q=2") == Coding::Identity);
        CHECK(choose_reply_coding("gzip;q=1.5") == Coding::Identity);
        CHECK(choose_reply_coding("gzip;q=0.1234") == Coding::Identity);
        CHECK(choose_reply_coding("gzip;q=abc, deflate;q=0.3") == Coding::Deflate);
        CHECK(choose_reply_coding("gzip;q=") == Coding::Identity);
        CHECK(choose_reply_coding("gzip;q=1.000") == Coding::Gzip);
        CHECK(choose_reply_coding("gzip;level=9") == Coding::Gzip);
    }

    TEST_CASE("C124-7.2-14 Content-Encoding: one known coding, identity ignored") {
        CHECK(parse_content_encoding(std::nullopt) == Coding::Identity);
        CHECK(parse_content_encoding("") == Coding::Identity);
        CHECK(parse_content_encoding("identity") == Coding::Identity);
        CHECK(parse_content_encoding("gzip") == Coding::Gzip);
        CHECK(parse_content_encoding("X-GZIP") == Coding::Gzip);
        CHECK(parse_content_encoding(" Deflate ") == Coding::Deflate);
        CHECK(parse_content_encoding("identity, gzip") == Coding::Gzip);
        CHECK_FALSE(parse_content_encoding("br"));
        CHECK_FALSE(parse_content_encoding("compress"));
        CHECK_FALSE(parse_content_encoding("gzip, br"));
        CHECK_FALSE(parse_content_encoding("gzip, gzip"));
        CHECK_FALSE(parse_content_encoding("deflate, gzip"));
    }
}
