#include "svc/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>

namespace boshd::svc::metrics {

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char ch : value) {
        switch (ch) {
        case '\\':
            out += "\\\\";
            break;
        case '"':
            out += "\\\"";
            break;
        case '\n':
            out += "\\n";
            break;
        default:
            out += ch;
        }
    }
    return out;
}

std::string escape_help(std::string_view help) {
    std::string out;
    out.reserve(help.size());
    for (const char ch : help) {
        if (ch == '\\') {
            out += "\\\\";
        } else if (ch == '\n') {
            out += "\\n";
        } else {
            out += ch;
        }
    }
    return out;
}

std::string format_value(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    // The shortest digits that read back exactly, written out in full
    // ("0.0005", "60", "1796601374.67") unless that would be long; then in
    // scientific notation ("1e-09").
    char buf[64];
    constexpr std::size_t kMaxFixed = 24;
    if (const auto [end, ec] = std::to_chars(buf, buf + kMaxFixed, value, std::chars_format::fixed);
        ec == std::errc()) {
        return std::string(buf, end);
    }
    const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    return ec == std::errc() ? std::string(buf, end) : "NaN";
}

void TextWriter::family(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ").append(escape_help(help)).append("\n");
    out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void TextWriter::begin_sample(std::string_view name, std::span<const Label> labels) {
    out_.append(name);
    if (!labels.empty()) {
        out_ += '{';
        bool first = true;
        for (const auto& label : labels) {
            if (!first) {
                out_ += ',';
            }
            first = false;
            out_.append(label.name).append("=\"").append(escape_label_value(label.value)) += '"';
        }
        out_ += '}';
    }
    out_ += ' ';
}

void TextWriter::sample(std::string_view name, std::span<const Label> labels, double value) {
    begin_sample(name, labels);
    out_.append(format_value(value)) += '\n';
}

void TextWriter::sample(std::string_view name, std::span<const Label> labels, std::uint64_t value) {
    begin_sample(name, labels);
    out_.append(std::to_string(value)) += '\n';
}

void TextWriter::single(std::string_view name, std::string_view type, std::string_view help,
                        std::uint64_t value) {
    family(name, type, help);
    sample(name, std::span<const Label>{}, value);
}

void TextWriter::single(std::string_view name, std::string_view type, std::string_view help,
                        double value) {
    family(name, type, help);
    sample(name, std::span<const Label>{}, value);
}

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds), buckets_(bounds.size() + 1, 0) {}

void Histogram::observe(double value) {
    // The first bucket whose bound is at least |value| (le: less or equal).
    const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
    ++buckets_[static_cast<std::size_t>(it - bounds_.begin())];
    ++count_;
    sum_ += value;
}

void Histogram::write(TextWriter& out, std::string_view name, std::span<const Label> labels) const {
    const std::string bucket = std::string(name) + "_bucket";
    std::vector<Label> with_le(labels.begin(), labels.end());
    with_le.push_back({"le", {}});
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        cumulative += buckets_[i];
        const std::string le = i < bounds_.size() ? format_value(bounds_[i]) : "+Inf";
        with_le.back().value = le;
        out.sample(bucket, with_le, cumulative);
    }
    out.sample(std::string(name) + "_sum", labels, sum_);
    out.sample(std::string(name) + "_count", labels, count_);
}

} // namespace boshd::svc::metrics
