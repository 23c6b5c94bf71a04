#include "xml/element_reader.h"

#include <doctest/doctest.h>
#include <string>
#include <string_view>

using boshd::xml::read_element;

TEST_SUITE("xml/element_reader") {
    TEST_CASE("children come with their names, bytes and text; the root with its text") {
        const std::string_view bytes = "<e xmlns='urn:a'>root <c>one</c><c/>"
                                       "<d xmlns='urn:b'><x>deep</x>two</d> text</e>";
        const auto summary = read_element(bytes);
        REQUIRE(summary);
        CHECK(summary->text == "root  text");
        REQUIRE(summary->children.size() == 3);
        const auto bytes_of = [&](std::size_t i) {
            const auto& c = summary->children[i];
            return std::string(bytes.substr(c.begin, c.end - c.begin));
        };
        CHECK(summary->children[0].ns == "urn:a");
        CHECK(summary->children[0].local == "c");
        CHECK(bytes_of(0) == "<c>one</c>");
        CHECK(summary->children[0].text == "one");
        CHECK(bytes_of(1) == "<c/>");
        CHECK(summary->children[1].text.empty());
        CHECK(summary->children[2].ns == "urn:b");
        CHECK(bytes_of(2) == "<d xmlns='urn:b'><x>deep</x>two</d>");
        CHECK(summary->children[2].text == "two");
    }

    TEST_CASE("an element that is not well-formed on its own is not read") {
        CHECK_FALSE(read_element("<e><c></e>"));
        CHECK_FALSE(read_element("<p:e/>")); // unbound prefix
    }
}
