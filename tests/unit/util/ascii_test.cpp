#include "util/ascii.h"

#include <doctest/doctest.h>
#include <string>

using namespace boshd::util;

TEST_SUITE("util/ascii") {
    TEST_CASE("lower maps A-Z and nothing else") {
        CHECK(ascii::lower('A') == 'a');
        CHECK(ascii::lower('Z') == 'z');
        CHECK(ascii::lower('a') == 'a');
        CHECK(ascii::lower('@') == '@'); // just below 'A'
        CHECK(ascii::lower('[') == '['); // just above 'Z'
        CHECK(ascii::lower('0') == '0');
        for (int c = 0x80; c <= 0xff; ++c) {
            const char byte = static_cast<char>(c);
            CHECK(ascii::lower(byte) == byte); // Latin-1 and UTF-8 bytes untouched
        }
        static_assert(ascii::lower('Q') == 'q');
    }

    TEST_CASE("to_lower folds a string, bytes above 0x7f unchanged") {
        CHECK(ascii::to_lower("HTTP://Example.ORG:5280") == "http://example.org:5280");
        CHECK(ascii::to_lower("").empty());
        CHECK(ascii::to_lower("\xC3\x89T\xC3\x89") == "\xC3\x89t\xC3\x89"); // "ÉTÉ"
        CHECK(ascii::to_lower(std::string_view("A\0B", 3)) == std::string("a\0b", 3));
    }

    TEST_CASE("iequals ignores ASCII case only") {
        CHECK(ascii::iequals("Example.COM", "example.com"));
        CHECK(ascii::iequals("", ""));
        CHECK_FALSE(ascii::iequals("example.com", "example.co"));
        CHECK_FALSE(ascii::iequals("a@", "A`")); // '@' and '`' are 0x20 apart, not letters
        CHECK_FALSE(ascii::iequals("\xC3\xA9", "\xC3\x89")); // é and É: not ASCII
        static_assert(ascii::iequals("GZip", "gzip"));
    }
}
