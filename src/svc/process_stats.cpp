#include "svc/process_stats.h"

#include "svc/file_text.h"

#include <algorithm>
#include <charconv>
#include <dirent.h>
#include <memory>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

namespace boshd::svc {

namespace {

// The whole of a small /proc file, or nullopt.
std::optional<std::string> proc_file(const char* path) {
    auto file = read_file(path);
    if (file.error != 0) {
        return std::nullopt;
    }
    return std::move(file.text);
}

std::optional<std::uint64_t> to_u64(std::string_view s) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

std::optional<std::uint64_t> count_open_fds() {
    const std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir("/proc/self/fd"), &closedir);
    if (!dir) {
        return std::nullopt;
    }
    std::uint64_t n = 0;
    while (const dirent* entry = readdir(dir.get())) {
        if (entry->d_name[0] != '.') {
            ++n;
        }
    }
    // The listing's own descriptor is not one of boshd's.
    return n > 0 ? n - 1 : 0;
}

// The start time never changes: read once.
std::optional<double> start_time_seconds(const ProcStat& stat) {
    static const std::optional<std::uint64_t> boot = [] {
        const auto text = proc_file("/proc/stat");
        return text ? parse_boot_time(*text) : std::nullopt;
    }();
    const long ticks = sysconf(_SC_CLK_TCK);
    if (!boot || ticks <= 0) {
        return std::nullopt;
    }
    return static_cast<double>(*boot) +
           static_cast<double>(stat.starttime_ticks) / static_cast<double>(ticks);
}

} // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
    const auto close = text.rfind(')');
    if (close == std::string_view::npos) {
        return std::nullopt;
    }
    // Fields from 3 (state) on, separated by single spaces: man 5 proc.
    std::string_view rest = text.substr(close + 1);
    ProcStat out;
    int field = 2;
    while (!rest.empty()) {
        const auto start = rest.find_first_not_of(" \n");
        if (start == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(start);
        const auto end = std::min(rest.find_first_of(" \n"), rest.size());
        const auto token = rest.substr(0, end);
        rest.remove_prefix(end);
        ++field;
        std::uint64_t* target = nullptr;
        switch (field) {
        case 14:
            target = &out.utime_ticks;
            break;
        case 15:
            target = &out.stime_ticks;
            break;
        case 22:
            target = &out.starttime_ticks;
            break;
        case 23:
            target = &out.vsize_bytes;
            break;
        case 24:
            target = &out.rss_pages;
            break;
        default:
            break;
        }
        if (target) {
            const auto v = to_u64(token);
            if (!v) {
                return std::nullopt;
            }
            *target = *v;
        }
        if (field == 24) {
            return out;
        }
    }
    return std::nullopt;
}

std::optional<std::uint64_t> parse_boot_time(std::string_view text) {
    constexpr std::string_view kKey = "btime ";
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = text.find('\n', pos);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        const auto line = text.substr(pos, end - pos);
        if (line.starts_with(kKey)) {
            return to_u64(line.substr(kKey.size()));
        }
        pos = end + 1;
    }
    return std::nullopt;
}

ProcessStats read_process_stats() {
    ProcessStats out;
    if (const auto text = proc_file("/proc/self/stat")) {
        if (const auto stat = parse_proc_stat(*text)) {
            const long ticks = sysconf(_SC_CLK_TCK);
            const long page = sysconf(_SC_PAGESIZE);
            if (ticks > 0) {
                out.cpu_seconds = static_cast<double>(stat->utime_ticks + stat->stime_ticks) /
                                  static_cast<double>(ticks);
            }
            if (page > 0) {
                out.resident_bytes = stat->rss_pages * static_cast<std::uint64_t>(page);
            }
            out.virtual_bytes = stat->vsize_bytes;
            out.start_time_seconds = start_time_seconds(*stat);
        }
    }
    out.open_fds = count_open_fds();
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        out.max_fds = static_cast<std::uint64_t>(limit.rlim_cur);
    }
    return out;
}

} // namespace boshd::svc
