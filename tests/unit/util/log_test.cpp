#include "support/capture_log.h"
#include "util/log.h"

#include <doctest/doctest.h>

using namespace boshd::util;

TEST_SUITE("util/log") {
    TEST_CASE("a line is the event followed by key=value fields") {
        boshd::test::CaptureLog capture;
        Logger log(capture, LogLevel::Debug);
        log.notice("session.created", {{"sid", "abc"}, {"rid", std::uint64_t{42}}, {"n", -3}});
        REQUIRE(capture.lines.size() == 1);
        CHECK(capture.lines[0].line == "session.created sid=abc rid=42 n=-3");
        CHECK(capture.lines[0].level == LogLevel::Notice);
    }

    TEST_CASE("values with spaces, quotes or control bytes are quoted and escaped") {
        boshd::test::CaptureLog capture;
        Logger log(capture, LogLevel::Debug);
        log.info("x", {{"reason", "bad \"xml\" here"},
                       {"raw", std::string_view("a\nb=c", 5)},
                       {"empty", ""}});
        CHECK(capture.lines.at(0).line ==
              "x reason=\"bad \\\"xml\\\" here\" raw=\"a\\x0ab=c\" empty=\"\"");
    }

    TEST_CASE("lines below the level are not formatted or written") {
        boshd::test::CaptureLog capture;
        Logger log(capture, LogLevel::Notice);
        log.info("hidden");
        log.debug("hidden");
        log.warning("shown");
        REQUIRE(capture.lines.size() == 1);
        CHECK(capture.lines[0].line == "shown");
        CHECK_FALSE(log.enabled(LogLevel::Info));
    }

    TEST_CASE("level names round-trip") {
        for (auto l : {LogLevel::Debug, LogLevel::Info, LogLevel::Notice, LogLevel::Warning,
                       LogLevel::Error}) {
            CHECK(parse_log_level(to_string(l)) == l);
        }
        CHECK_FALSE(parse_log_level("verbose").has_value());
    }
}
