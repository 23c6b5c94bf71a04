#include "svc/log_sink.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

namespace boshd::svc {

namespace {

// sd-daemon(3) priorities.
int syslog_priority(util::LogLevel level) {
    switch (level) {
    case util::LogLevel::Debug:
        return 7;
    case util::LogLevel::Info:
        return 6;
    case util::LogLevel::Notice:
        return 5;
    case util::LogLevel::Warning:
        return 4;
    case util::LogLevel::Error:
        return 3;
    }
    return 6;
}

} // namespace

StderrSink::StderrSink() : journald_(std::getenv("JOURNAL_STREAM") != nullptr) {}

void StderrSink::write(util::LogLevel level, std::string_view line) {
    std::string out;
    out.reserve(line.size() + 48);
    if (journald_) {
        out += '<';
        out += std::to_string(syslog_priority(level));
        out += '>';
    } else {
        // Wall-clock time is for people reading logs only (ARCHITECTURE.md §6).
        const auto now = std::chrono::system_clock::now();
        const std::time_t secs = std::chrono::system_clock::to_time_t(now);
        const auto millis =
            std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
            1000;
        std::tm tm{};
        gmtime_r(&secs, &tm);
        char stamp[64];
        std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ ",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                      tm.tm_sec, static_cast<int>(millis));
        out += stamp;
        out += util::to_string(level);
        out += ' ';
    }
    out += line;
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stderr);
}

} // namespace boshd::svc
