#include "svc/config.h"
#include "svc/config_docs.h"
#include "svc/config_keys.h"

#include <doctest/doctest.h>
#include <sstream>
#include <string>

using boshd::svc::Config;
using boshd::svc::parse_config;
namespace keys = boshd::svc::keys;
namespace docs = boshd::svc::docs;

namespace {

const std::string kRoute = "[[route]]\ndomain = \"example.org\"\n";

} // namespace

TEST_SUITE("svc/config_keys") {
    TEST_CASE("every documented default reads back as the built-in default") {
        const auto defaults = parse_config(kRoute, "t.toml");
        for (const auto& section : keys::sections()) {
            for (const auto& key : section.keys) {
                const std::string doc = "[" + std::string(section.name) + "]\n" +
                                        std::string(key.name) + " = " +
                                        std::string(key.doc.default_value) + "\n" + kRoute;
                CAPTURE(doc);
                CHECK(parse_config(doc, "t.toml") == defaults);
            }
        }
    }

    TEST_CASE("every key is documented, and integers carry a range") {
        for (const auto& section : keys::sections()) {
            CHECK_FALSE(section.title.empty());
            for (const auto& key : section.keys) {
                CAPTURE(key.name);
                CHECK_FALSE(key.doc.type.empty());
                CHECK_FALSE(key.doc.default_value.empty());
                CHECK_FALSE(key.doc.meaning.empty());
                CHECK(key.is_integer() == (key.parse == nullptr));
                CHECK(key.is_integer() == (key.doc.type == "integer"));
                if (key.is_integer()) {
                    CHECK(key.min <= key.max);
                } else {
                    const bool range_or_boolean =
                        !key.doc.range.empty() || key.doc.type == "boolean";
                    CHECK(range_or_boolean);
                }
            }
        }
        for (const auto& key : keys::route_keys()) {
            CAPTURE(key.name);
            CHECK_FALSE(key.doc.meaning.empty());
            CHECK_FALSE(key.doc.example.empty());
        }
    }

    TEST_CASE("the annotated file shows every section key at its default, and parses") {
        const auto text = docs::annotated_toml();
        for (const auto& section : keys::sections()) {
            CHECK(text.find("\n[" + std::string(section.name) + "]\n") != std::string::npos);
            for (const auto& key : section.keys) {
                CHECK(text.find("\n" + std::string(key.name) + " = " +
                                std::string(key.doc.default_value) + "\n") != std::string::npos);
            }
        }
        const auto config = parse_config(text, "boshd.toml");
        auto settings = config;
        settings.routes = Config{}.routes;
        CHECK(settings == Config{});
        REQUIRE(config.routes.size() == 1);
        for (const auto& key : keys::route_keys()) {
            CHECK(text.find("\n" + std::string(key.name) + " = " + std::string(key.doc.example) +
                            "\n") != std::string::npos);
        }
    }

    TEST_CASE("the reference and the manual page name every key") {
        const auto markdown = docs::reference_markdown();
        const auto manual = docs::manual_page("0.0.0");
        const auto check = [&](std::string_view name) {
            CAPTURE(name);
            CHECK(markdown.find("| `" + std::string(name) + "` |") != std::string::npos);
            CHECK(manual.find("\n.B " + std::string(name) + "\n") != std::string::npos);
        };
        for (const auto& section : keys::sections()) {
            for (const auto& key : section.keys) {
                check(key.name);
            }
        }
        for (const auto& key : keys::route_keys()) {
            check(key.name);
        }
    }

    TEST_CASE("the manual page is roff: no Markdown left, no stray requests") {
        std::istringstream in(docs::manual_page("0.0.0"));
        std::string line;
        while (std::getline(in, line)) {
            CAPTURE(line);
            CHECK(line.find('`') == std::string::npos);
            if (line.starts_with('.') || line.starts_with('\'')) {
                const auto request = line.substr(0, line.find(' '));
                const bool known = request == ".\\\"" || request == ".TH" || request == ".SH" ||
                                   request == ".PP" || request == ".IP" || request == ".TP" ||
                                   request == ".B" || request == ".I" || request == ".BR" ||
                                   request == ".br" || request == ".nf" || request == ".fi" ||
                                   request == ".RS" || request == ".RE";
                CHECK(known);
            }
        }
    }
}
