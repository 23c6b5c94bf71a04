// The process_* metrics Prometheus clients conventionally expose, read from
// /proc (Linux): CPU time, memory, descriptors and the start time. The
// parsers take the files' text, so they are unit-tested on fixed samples.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace boshd::svc {

struct ProcessStats {
    std::optional<double> cpu_seconds;        // user + system
    std::optional<double> start_time_seconds; // since the Unix epoch
    std::optional<std::uint64_t> resident_bytes;
    std::optional<std::uint64_t> virtual_bytes;
    std::optional<std::uint64_t> open_fds;
    std::optional<std::uint64_t> max_fds; // the soft RLIMIT_NOFILE
};

// The fields of /proc/<pid>/stat the metrics use, in the kernel's units.
struct ProcStat {
    std::uint64_t utime_ticks = 0;
    std::uint64_t stime_ticks = 0;
    std::uint64_t starttime_ticks = 0; // since boot
    std::uint64_t vsize_bytes = 0;
    std::uint64_t rss_pages = 0;
};

// Parses /proc/<pid>/stat. The command name (field 2) may hold spaces and
// parentheses, so fields are counted from the last ')'.
std::optional<ProcStat> parse_proc_stat(std::string_view text);

// The boot time (`btime`, seconds since the epoch) from /proc/stat.
std::optional<std::uint64_t> parse_boot_time(std::string_view text);

// Everything it can read now; a field stays empty when its source cannot be
// read. Costs a few small reads of /proc and one directory listing of
// /proc/self/fd (the kernel's table of this process's descriptors).
ProcessStats read_process_stats();

} // namespace boshd::svc
