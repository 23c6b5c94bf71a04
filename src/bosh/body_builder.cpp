#include "bosh/body_builder.h"

#include "xml/body_parser.h"
#include "xml/writer.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>

namespace boshd::bosh {

BodyBuilder::BodyBuilder() {
    out_.reserve(160);
    out_ += "<body xmlns='";
    out_ += xml::kHttpBindNs;
    out_ += '\'';
}

BodyBuilder& BodyBuilder::attribute(std::string_view qname, std::string_view value) {
    assert(open_);
    out_ += ' ';
    out_ += qname;
    out_ += "='";
    xml::append_escaped_attribute(out_, value);
    out_ += '\'';
    return *this;
}

BodyBuilder& BodyBuilder::attribute(std::string_view qname, std::uint64_t value) {
    std::array<char, 24> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    return attribute(qname,
                     std::string_view(buf.data(), static_cast<std::size_t>(end - buf.data())));
}

BodyBuilder& BodyBuilder::terminate(Condition c) {
    attribute("type", "terminate");
    return attribute("condition", to_string(c));
}

BodyBuilder& BodyBuilder::payloads(std::span<const xml::Fragment> fragments) {
    if (fragments.empty()) {
        return *this;
    }
    if (std::any_of(fragments.begin(), fragments.end(),
                    [](const xml::Fragment& f) { return f.needs_stream_prefix; })) {
        attribute("xmlns:stream", xml::kStreamsNs);
    }
    out_ += '>';
    open_ = false;
    for (const auto& f : fragments) {
        out_ += f.bytes;
    }
    return *this;
}

std::string BodyBuilder::finish() {
    out_ += open_ ? "/>" : "</body>";
    return std::move(out_);
}

} // namespace boshd::bosh
