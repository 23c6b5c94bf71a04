#include "util/log.h"

#include "util/hex.h"

#include <array>
#include <charconv>

namespace boshd::util {

namespace {

constexpr std::array<std::string_view, 5> kLevelNames = {"debug", "info", "notice", "warning",
                                                         "error"};

bool needs_quotes(std::string_view v) {
    if (v.empty()) {
        return true;
    }
    for (unsigned char c : v) {
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) {
            return true;
        }
    }
    return false;
}

void append_quoted(std::string& out, std::string_view v) {
    out += '"';
    for (unsigned char c : v) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < ' ' || c == 0x7f) {
            // Control bytes from untrusted input never reach the log raw.
            const std::uint8_t byte = c;
            out += "\\x";
            append_hex(out, {&byte, 1});
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
}

template <typename T> void append_number(std::string& out, T value) {
    std::array<char, 24> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    out.append(buf.data(), end);
}

} // namespace

std::string_view to_string(LogLevel level) {
    return kLevelNames[static_cast<std::size_t>(level)];
}

std::optional<LogLevel> parse_log_level(std::string_view text) {
    for (std::size_t i = 0; i < kLevelNames.size(); ++i) {
        if (kLevelNames[i] == text) {
            return static_cast<LogLevel>(i);
        }
    }
    return std::nullopt;
}

void LogField::append_to(std::string& out) const {
    out += ' ';
    out += key_;
    out += '=';
    if (const auto* s = std::get_if<std::string_view>(&value_)) {
        if (needs_quotes(*s)) {
            append_quoted(out, *s);
        } else {
            out += *s;
        }
    } else if (const auto* i = std::get_if<std::int64_t>(&value_)) {
        append_number(out, *i);
    } else {
        append_number(out, std::get<std::uint64_t>(value_));
    }
}

void Logger::log(LogLevel level, std::string_view event,
                 std::initializer_list<LogField> fields) const {
    if (!enabled(level)) {
        return;
    }
    std::string line;
    line.reserve(128);
    line += event;
    for (const auto& f : fields) {
        f.append_to(line);
    }
    sink_->write(level, line);
}

} // namespace boshd::util
