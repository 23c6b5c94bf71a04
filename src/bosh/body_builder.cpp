#include "bosh/body_builder.h"

#include "xml/body_parser.h"

#include <algorithm>

namespace boshd::bosh {

namespace {

constexpr std::size_t kTypicalSize = 160; // a reply without payloads

} // namespace

BodyBuilder::BodyBuilder() : body_("body", kTypicalSize) {
    body_.attribute("xmlns", xml::kHttpBindNs);
}

BodyBuilder& BodyBuilder::attribute(std::string_view qname, std::string_view value) {
    body_.attribute(qname, value);
    return *this;
}

BodyBuilder& BodyBuilder::attribute(std::string_view qname, std::uint64_t value) {
    body_.attribute(qname, value);
    return *this;
}

BodyBuilder& BodyBuilder::terminate(Condition c) {
    attribute("type", "terminate");
    return attribute("condition", to_string(c));
}

BodyBuilder& BodyBuilder::payloads(std::span<const xml::Fragment> fragments) {
    if (std::any_of(fragments.begin(), fragments.end(),
                    [](const xml::Fragment& f) { return f.needs_stream_prefix; })) {
        attribute("xmlns:stream", xml::kStreamsNs);
    }
    for (const auto& f : fragments) {
        body_.raw(f.bytes);
    }
    return *this;
}

std::string BodyBuilder::finish() {
    return std::move(body_).finish();
}

} // namespace boshd::bosh
