#include "svc/process_stats.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <string>
#include <unistd.h>

using boshd::svc::parse_boot_time;
using boshd::svc::parse_proc_stat;
using boshd::svc::read_process_stats;

TEST_SUITE("svc/process_stats") {
    TEST_CASE("/proc/PID/stat: fields counted from the last ')', whatever the name holds") {
        // A command name with spaces and parentheses, as a process may choose.
        const std::string text =
            "4242 (bo) sh d) S 1 4242 4242 0 -1 4194560 2000 0 0 0 "
            "150 75 0 0 20 0 1 0 123456 13189120 2170 18446744073709551615 1 1 0 0 0 0 0 4096 "
            "1 0 0 0 17 1 0 0 0 0 0\n";
        const auto stat = parse_proc_stat(text);
        REQUIRE(stat);
        CHECK(stat->utime_ticks == 150);
        CHECK(stat->stime_ticks == 75);
        CHECK(stat->starttime_ticks == 123456);
        CHECK(stat->vsize_bytes == 13189120);
        CHECK(stat->rss_pages == 2170);
    }

    TEST_CASE("/proc/PID/stat: truncated or garbled text is refused") {
        CHECK_FALSE(parse_proc_stat(""));
        CHECK_FALSE(parse_proc_stat("4242 (boshd) S 1 2 3"));
        CHECK_FALSE(parse_proc_stat("4242 (boshd) S 1 4242 4242 0 -1 4194560 2000 0 0 0 "
                                    "x 75 0 0 20 0 1 0 123456 13189120 2170"));
    }

    TEST_CASE("/proc/stat: btime") {
        CHECK(parse_boot_time("cpu  1 2 3\nintr 5\nctxt 9\nbtime 1796600000\nprocesses 7\n") ==
              1796600000u);
        CHECK_FALSE(parse_boot_time("cpu  1 2 3\n"));
        CHECK_FALSE(parse_boot_time("btime x\n"));
    }

    TEST_CASE("this process: every field read, and sane") {
        const auto p = read_process_stats();
        REQUIRE(p.cpu_seconds);
        REQUIRE(p.start_time_seconds);
        REQUIRE(p.resident_bytes);
        REQUIRE(p.open_fds);
        CHECK(*p.cpu_seconds >= 0);
        CHECK(*p.start_time_seconds > 1.5e9); // after 2017
        CHECK(*p.resident_bytes > 1024 * 1024);
        CHECK(*p.open_fds >= 1);
        const int extra = open("/dev/null", O_RDONLY | O_CLOEXEC);
        REQUIRE(extra >= 0);
        const auto more = read_process_stats();
        close(extra);
        CHECK(*more.open_fds == *p.open_fds + 1);
    }
}
