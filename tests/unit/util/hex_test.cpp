#include "util/hex.h"

#include <array>
#include <cstdint>
#include <doctest/doctest.h>
#include <string>

using namespace boshd::util;

TEST_SUITE("util/hex") {
    TEST_CASE("to_hex writes two lower-case digits per byte") {
        const std::array<std::uint8_t, 5> bytes{0x00, 0x0f, 0xa5, 0xf0, 0xff};
        CHECK(to_hex(bytes) == "000fa5f0ff");
        CHECK(to_hex({}).empty());
    }

    TEST_CASE("append_hex appends to what is there") {
        std::string out = "\\x";
        const std::uint8_t byte = 0x1b;
        append_hex(out, {&byte, 1});
        CHECK(out == "\\x1b");
    }

    TEST_CASE("from_hex reads either case") {
        const std::array<std::uint8_t, 4> expected{0xde, 0xad, 0xbe, 0xef};
        CHECK(from_hex<4>("deadbeef") == expected);
        CHECK(from_hex<4>("DEADBEEF") == expected);
        CHECK(from_hex<4>("DeAdbEeF") == expected);
        CHECK(from_hex<0>("") == std::array<std::uint8_t, 0>{});
    }

    TEST_CASE("from_hex refuses a wrong length or a non-digit") {
        CHECK_FALSE(from_hex<4>("deadbee"));
        CHECK_FALSE(from_hex<4>("deadbeef0"));
        CHECK_FALSE(from_hex<4>(""));
        CHECK_FALSE(from_hex<4>("deadbeeg"));
        CHECK_FALSE(from_hex<4>("dead beef").has_value());
        CHECK_FALSE(from_hex<2>("0x12"));
        CHECK_FALSE(from_hex<2>("+1-2"));
    }

    TEST_CASE("from_hex reads what to_hex wrote") {
        std::array<std::uint8_t, 256> all{};
        for (std::size_t i = 0; i < all.size(); ++i) {
            all[i] = static_cast<std::uint8_t>(i);
        }
        CHECK(from_hex<256>(to_hex(all)) == all);
    }
}
