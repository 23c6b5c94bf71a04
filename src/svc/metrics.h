// The Prometheus text exposition format, version 0.0.4: a writer for metric
// families and their samples, and a histogram with fixed buckets. Plain
// values and strings, no I/O, so the format is unit-tested on its own
// (tests/unit/svc/metrics_test.cpp). What boshd exposes is in telemetry.h.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace boshd::svc::metrics {

// The media type of what TextWriter writes.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

struct Label {
    std::string_view name;
    std::string_view value;
};

// A label value with `\`, `"` and line feeds escaped, as the format asks.
std::string escape_label_value(std::string_view value);
// A HELP text with `\` and line feeds escaped.
std::string escape_help(std::string_view help);
// A sample value in the shortest form that reads back exactly, in positional
// notation unless that is long ("0.0005", "60", "1e-09"); "+Inf", "-Inf",
// "NaN" for the rest.
std::string format_value(double value);

class TextWriter {
public:
    // Starts a family: its `# HELP` and `# TYPE` lines. |type| is "counter",
    // "gauge" or "histogram".
    void family(std::string_view name, std::string_view type, std::string_view help);
    // One sample line: `name{label="value",...} value`.
    void sample(std::string_view name, std::span<const Label> labels, double value);
    void sample(std::string_view name, std::initializer_list<Label> labels, double value) {
        sample(name, std::span<const Label>(labels.begin(), labels.size()), value);
    }
    void sample(std::string_view name, std::span<const Label> labels, std::uint64_t value);
    void sample(std::string_view name, std::initializer_list<Label> labels, std::uint64_t value) {
        sample(name, std::span<const Label>(labels.begin(), labels.size()), value);
    }

    // A family of one sample without labels.
    void single(std::string_view name, std::string_view type, std::string_view help,
                std::uint64_t value);
    void single(std::string_view name, std::string_view type, std::string_view help, double value);

    const std::string& text() const { return out_; }
    std::string take() { return std::move(out_); }

private:
    void begin_sample(std::string_view name, std::span<const Label> labels);

    std::string out_;
};

// Observations counted into buckets with fixed upper bounds. Observing is
// O(buckets) and allocates nothing; the counts are kept per bucket and made
// cumulative when written.
class Histogram {
public:
    // |bounds|: ascending upper bounds, without +Inf (always added); the
    // span must outlive the histogram.
    explicit Histogram(std::span<const double> bounds);

    void observe(double value);

    std::uint64_t count() const { return count_; }
    double sum() const { return sum_; }
    std::span<const double> bounds() const { return bounds_; }

    // The samples of |name| (whose family line the caller wrote):
    // name_bucket{labels...,le="..."} for each bound and +Inf, cumulative,
    // then name_sum and name_count, each with |labels|.
    void write(TextWriter& out, std::string_view name, std::span<const Label> labels) const;

private:
    std::span<const double> bounds_;
    std::vector<std::uint64_t> buckets_; // per bound, not cumulative; the last is +Inf
    std::uint64_t count_ = 0;
    double sum_ = 0;
};

} // namespace boshd::svc::metrics
