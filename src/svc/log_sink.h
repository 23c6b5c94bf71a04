// Where log lines go: stderr, one line each. Under systemd (JOURNAL_STREAM
// set) lines get the sd-daemon "<N>" priority prefix and no timestamp, since
// journald adds its own; elsewhere an ISO-8601 UTC timestamp and the level.
#pragma once

#include "util/log.h"

namespace boshd::svc {

class StderrSink final : public util::LogSink {
public:
    StderrSink();
    void write(util::LogLevel level, std::string_view line) override;

private:
    bool journald_;
};

} // namespace boshd::svc
