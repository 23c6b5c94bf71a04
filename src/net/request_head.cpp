#include "net/request_head.h"

#include "util/ascii.h"

#include <array>
#include <charconv>

namespace boshd::net {

namespace {

// Enough of a header line to read "Content-Length: <digits>".
constexpr std::size_t kLineStartKept = 64;
// Longer than any method evhttp knows; a longer token is none of them.
constexpr std::size_t kMaxMethod = 16;

// The methods libevent 2.1.12 parses (evhttp_parse_request_line); the front
// end answers the ones BOSH does not use with its own 405.
constexpr std::array<std::string_view, 9> kKnownMethods = {
    "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PATCH"};

std::optional<std::uint64_t> content_length_of(std::string_view line) {
    constexpr std::string_view kName = "content-length:";
    if (line.size() < kName.size() || !util::ascii::iequals(line.substr(0, kName.size()), kName)) {
        return std::nullopt;
    }
    std::string_view value = line.substr(kName.size());
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
    }
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end == value.data()) {
        return std::nullopt; // malformed: evhttp refuses it (400)
    }
    return n;
}

} // namespace

std::optional<HeadRefusal> RequestHeadScanner::feed(std::string_view bytes) {
    std::size_t i = 0;
    while (i < bytes.size() && !refused_) {
        if (phase_ == Phase::Body) {
            const auto n = std::min<std::uint64_t>(body_left_, bytes.size() - i);
            body_left_ -= n;
            i += n;
            if (body_left_ == 0) {
                phase_ = Phase::Idle;
            }
            continue;
        }
        if (phase_ == Phase::Idle) {
            phase_ = Phase::Head;
            ++started_;
            in_request_line_ = true;
            method_checked_ = false;
            method_bytes_ = 0;
            line_bytes_ = 0;
            header_bytes_ = 0;
            line_start_.clear();
            content_length_.reset();
        }
        if (auto refusal = line_byte(bytes[i++])) {
            refused_ = true;
            return refusal;
        }
    }
    return std::nullopt;
}

std::optional<HeadRefusal> RequestHeadScanner::line_byte(char ch) {
    ++line_bytes_;
    if (!in_request_line_) {
        ++header_bytes_;
    }
    if (ch == '\n') {
        return end_of_line();
    }
    if (line_start_.size() < kLineStartKept && ch != '\r') {
        line_start_.push_back(ch);
    }
    if (in_request_line_) {
        if (!method_checked_ && ch == ' ') {
            method_checked_ = true;
            if (auto refusal = check_method()) {
                return refusal;
            }
        } else if (!method_checked_) {
            ++method_bytes_;
        }
        if (line_bytes_ > kMaxRequestLine) {
            return HeadRefusal{414, "URI Too Long", "request line over 8 KiB"};
        }
    } else if (header_bytes_ > max_header_size_) {
        return HeadRefusal{431, "Request Header Fields Too Large",
                           "header block over http.max_header_size"};
    }
    return std::nullopt;
}

// The method, as evhttp reads it: what comes before the first space. One
// evhttp knows, or 405; a request line without a space is evhttp's to
// refuse as malformed (400).
std::optional<HeadRefusal> RequestHeadScanner::check_method() const {
    if (method_bytes_ <= kMaxMethod) {
        const std::string_view token = std::string_view(line_start_).substr(0, method_bytes_);
        for (const auto known : kKnownMethods) {
            if (token == known) {
                return std::nullopt;
            }
        }
    }
    return HeadRefusal{405, "Method Not Allowed", "unknown method"};
}

std::optional<HeadRefusal> RequestHeadScanner::end_of_line() {
    const bool blank = line_start_.empty();
    if (in_request_line_) {
        in_request_line_ = false;
    } else if (blank) {
        // The end of the head: the body, if any, follows.
        body_left_ = content_length_.value_or(0);
        phase_ = body_left_ > 0 ? Phase::Body : Phase::Idle;
        if (phase_ == Phase::Body) {
            ++started_;
        }
    } else if (!content_length_) {
        content_length_ = content_length_of(line_start_);
    }
    line_bytes_ = 0;
    line_start_.clear();
    return std::nullopt;
}

} // namespace boshd::net
