// Structured logging: one line per event, `event key=value ...`, with the
// object tags (sid=, rid=, link=, req=) as fields (ARCHITECTURE.md §1).
// The Logger formats; a LogSink decides where lines go (stderr, journald,
// or a vector in tests, which is how "logged once" is asserted).
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace boshd::util {

enum class LogLevel { Debug, Info, Notice, Warning, Error };

std::string_view to_string(LogLevel level);
std::optional<LogLevel> parse_log_level(std::string_view text);

class LogField {
public:
    LogField(std::string_view key, std::string_view value) : key_(key), value_(value) {}
    LogField(std::string_view key, const char* value)
        : key_(key), value_(std::string_view(value)) {}
    LogField(std::string_view key, const std::string& value)
        : key_(key), value_(std::string_view(value)) {}
    template <std::signed_integral T>
    LogField(std::string_view key, T value) : key_(key), value_(static_cast<std::int64_t>(value)) {}
    template <std::unsigned_integral T>
    LogField(std::string_view key, T value)
        : key_(key), value_(static_cast<std::uint64_t>(value)) {}
    LogField(std::string_view key, bool value)
        : key_(key), value_(std::string_view(value ? "true" : "false")) {}

    // Appends ` key=value` to |out|, quoting values that hold spaces, quotes,
    // '=' or control characters so that every line stays machine-splittable.
    void append_to(std::string& out) const;

private:
    std::string_view key_;
    std::variant<std::string_view, std::int64_t, std::uint64_t> value_;
};

class LogSink {
public:
    virtual ~LogSink() = default;
    virtual void write(LogLevel level, std::string_view line) = 0;
};

class Logger {
public:
    Logger(LogSink& sink, LogLevel min_level) : sink_(&sink), min_level_(min_level) {}

    bool enabled(LogLevel level) const { return level >= min_level_; }
    void set_level(LogLevel level) { min_level_ = level; }

    void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) const;

    void debug(std::string_view event, std::initializer_list<LogField> fields = {}) const {
        log(LogLevel::Debug, event, fields);
    }
    void info(std::string_view event, std::initializer_list<LogField> fields = {}) const {
        log(LogLevel::Info, event, fields);
    }
    void notice(std::string_view event, std::initializer_list<LogField> fields = {}) const {
        log(LogLevel::Notice, event, fields);
    }
    void warning(std::string_view event, std::initializer_list<LogField> fields = {}) const {
        log(LogLevel::Warning, event, fields);
    }
    void error(std::string_view event, std::initializer_list<LogField> fields = {}) const {
        log(LogLevel::Error, event, fields);
    }

private:
    LogSink* sink_;
    LogLevel min_level_;
};

// Discards everything; for components constructed without a logger in tests.
class NullLogSink final : public LogSink {
public:
    void write(LogLevel, std::string_view) override {}
};

} // namespace boshd::util
