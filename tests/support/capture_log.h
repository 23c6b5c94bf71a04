// A LogSink that keeps every line, so tests can assert that bad input is
// logged exactly once and with the right condition.
#pragma once

#include "util/log.h"

#include <algorithm>
#include <string>
#include <vector>

namespace boshd::test {

class CaptureLog final : public util::LogSink {
public:
    struct Entry {
        util::LogLevel level;
        std::string line;
    };

    void write(util::LogLevel level, std::string_view line) override {
        lines.push_back({level, std::string(line)});
    }

    // Number of lines whose text contains |needle|.
    std::size_t count(std::string_view needle) const {
        return static_cast<std::size_t>(
            std::count_if(lines.begin(), lines.end(), [&](const Entry& e) {
                return e.line.find(needle) != std::string::npos;
            }));
    }

    std::vector<Entry> lines;
};

} // namespace boshd::test
