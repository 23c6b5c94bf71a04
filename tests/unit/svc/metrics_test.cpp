#include "svc/metrics.h"

#include <array>
#include <doctest/doctest.h>
#include <limits>
#include <string>

using boshd::svc::metrics::escape_help;
using boshd::svc::metrics::escape_label_value;
using boshd::svc::metrics::format_value;
using boshd::svc::metrics::Histogram;
using boshd::svc::metrics::Label;
using boshd::svc::metrics::TextWriter;

TEST_SUITE("svc/metrics") {
    TEST_CASE("a family is its HELP and TYPE lines, then its samples") {
        TextWriter out;
        out.family("boshd_things_total", "counter", "Things seen.");
        out.sample("boshd_things_total", {{"kind", "a"}}, std::uint64_t{3});
        out.sample("boshd_things_total", {{"kind", "b"}, {"side", "left"}}, std::uint64_t{0});
        out.single("boshd_level", "gauge", "A level.", 0.25);
        CHECK(out.text() == "# HELP boshd_things_total Things seen.\n"
                            "# TYPE boshd_things_total counter\n"
                            "boshd_things_total{kind=\"a\"} 3\n"
                            "boshd_things_total{kind=\"b\",side=\"left\"} 0\n"
                            "# HELP boshd_level A level.\n"
                            "# TYPE boshd_level gauge\n"
                            "boshd_level 0.25\n");
    }

    TEST_CASE("label values escape backslash, double quote and line feed") {
        CHECK(escape_label_value(R"(a\b"c)"
                                 "\n"
                                 "d") == R"(a\\b\"c\nd)");
        CHECK(escape_label_value("plain-value.example.org") == "plain-value.example.org");
        TextWriter out;
        out.sample("m", {{"l", "x\"y\\z\n"}}, std::uint64_t{1});
        CHECK(out.text() == "m{l=\"x\\\"y\\\\z\\n\"} 1\n");
    }

    TEST_CASE("HELP escapes backslash and line feed, not quotes") {
        CHECK(escape_help("a \\ b\n\"c\"") == "a \\\\ b\\n\"c\"");
    }

    TEST_CASE("values: shortest exact form, positional unless long, special values") {
        CHECK(format_value(0) == "0");
        CHECK(format_value(60) == "60");
        CHECK(format_value(0.0005) == "0.0005");
        CHECK(format_value(0.25) == "0.25");
        CHECK(format_value(1796601374.67) == "1796601374.67");
        CHECK(format_value(1e-30) == "1e-30");
        CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
        CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
        CHECK(format_value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
    }

    TEST_CASE("histogram: cumulative buckets in bound order, +Inf, _sum and _count") {
        static constexpr std::array<double, 3> kBounds{0.25, 1, 10};
        Histogram h(kBounds);
        h.observe(0.125);
        h.observe(0.25); // on a bound: counted in it (le)
        h.observe(0.5);
        h.observe(20);
        CHECK(h.count() == 4);
        CHECK(h.sum() == 20.875);
        TextWriter out;
        const std::array<Label, 1> labels{{{"held", "true"}}};
        h.write(out, "d_seconds", labels);
        CHECK(out.text() == "d_seconds_bucket{held=\"true\",le=\"0.25\"} 2\n"
                            "d_seconds_bucket{held=\"true\",le=\"1\"} 3\n"
                            "d_seconds_bucket{held=\"true\",le=\"10\"} 3\n"
                            "d_seconds_bucket{held=\"true\",le=\"+Inf\"} 4\n"
                            "d_seconds_sum{held=\"true\"} 20.875\n"
                            "d_seconds_count{held=\"true\"} 4\n");
    }

    TEST_CASE("an empty histogram still has every bucket, _sum and _count") {
        static constexpr std::array<double, 2> kBounds{1, 2};
        Histogram h(kBounds);
        TextWriter out;
        h.write(out, "d", {});
        CHECK(out.text() == "d_bucket{le=\"1\"} 0\nd_bucket{le=\"2\"} 0\nd_bucket{le=\"+Inf\"} 0\n"
                            "d_sum 0\nd_count 0\n");
    }
}
