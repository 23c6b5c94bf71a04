#include "net/request_head.h"

#include "util/ascii.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace boshd::net {

namespace {

// Longer than any method evhttp knows; a longer token is none of them.
constexpr std::size_t kMaxMethod = 16;

// The methods libevent 2.1.12 parses (evhttp_parse_request_line); the front
// end answers the ones BOSH does not use with its own 405.
constexpr std::array<std::string_view, 9> kKnownMethods = {
    "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PATCH"};

// The methods whose body evhttp does not read (2.1.12
// evhttp_method_may_have_body): after them the next request starts at the
// end of the head, whatever their Content-Length says.
constexpr std::array<std::string_view, 2> kMethodsWithoutBody = {"HEAD", "TRACE"};

constexpr std::string_view kContentLength = "content-length:";
constexpr HeadRefusal kBadContentLength{400, "Bad Request", "malformed Content-Length"};

bool is_space(char c) {
    return c == ' ' || c == '\t';
}

// |line| names header |name| (lower case, with its colon).
bool names(std::string_view line, std::string_view name) {
    return line.size() >= name.size() && util::ascii::iequals(line.substr(0, name.size()), name);
}

// RFC 9110 §8.6: Content-Length = 1*DIGIT, between optional spaces.
std::optional<std::uint64_t> digits_value(std::string_view value) {
    while (!value.empty() && is_space(value.front())) {
        value.remove_prefix(1);
    }
    while (!value.empty() && is_space(value.back())) {
        value.remove_suffix(1);
    }
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || value.empty() || end != value.data() + value.size()) {
        return std::nullopt;
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
            line_kept_ = 0;
            line_cut_ = false;
            may_have_body_ = false;
            opaque_body_ = false;
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
    if (ch != '\r') {
        if (line_kept_ < line_start_.size()) {
            line_start_[line_kept_++] = ch;
        } else {
            line_cut_ = true;
        }
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
std::optional<HeadRefusal> RequestHeadScanner::check_method() {
    if (method_bytes_ <= kMaxMethod) {
        const std::string_view token = line_start().substr(0, method_bytes_);
        for (const auto known : kKnownMethods) {
            if (token == known) {
                may_have_body_ = std::find(kMethodsWithoutBody.begin(), kMethodsWithoutBody.end(),
                                           token) == kMethodsWithoutBody.end();
                return std::nullopt;
            }
        }
    }
    return HeadRefusal{405, "Method Not Allowed", "unknown method"};
}

// A header line: the first Content-Length, read as evhttp will read it or
// refused; a Transfer-Encoding makes the body's end evhttp's alone.
std::optional<HeadRefusal> RequestHeadScanner::header_line() {
    if (names(line_start(), "transfer-encoding:")) {
        opaque_body_ = true;
    } else if (!content_length_ && names(line_start(), kContentLength)) {
        if (line_cut_) {
            return kBadContentLength; // longer than any length written in digits
        }
        content_length_ = digits_value(line_start().substr(kContentLength.size()));
        if (!content_length_) {
            return kBadContentLength;
        }
    }
    return std::nullopt;
}

std::optional<HeadRefusal> RequestHeadScanner::end_of_line() {
    const bool blank = line_kept_ == 0;
    if (in_request_line_) {
        in_request_line_ = false;
    } else if (blank) {
        // The end of the head: the body, if evhttp reads one, follows. After
        // a Transfer-Encoding (refused once evhttp has read the request, the
        // connection closed) nothing more is read as a head.
        body_left_ = !may_have_body_ ? 0 : opaque_body_ ? UINT64_MAX : content_length_.value_or(0);
        phase_ = body_left_ > 0 ? Phase::Body : Phase::Idle;
        if (phase_ == Phase::Body) {
            ++started_;
        }
    } else if (auto refusal = header_line()) {
        return refusal;
    }
    line_bytes_ = 0;
    line_kept_ = 0;
    line_cut_ = false;
    return std::nullopt;
}

} // namespace boshd::net
