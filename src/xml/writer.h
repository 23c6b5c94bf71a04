// Outbound XML is built here and only here: escaping, start tags with
// attributes, raw payload bytes appended as they came (ARCHITECTURE.md §1).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace boshd::xml {

// Appends |value| escaped for a single- or double-quoted attribute value.
void append_escaped_attribute(std::string& out, std::string_view value);

// Appends " qname='value'" to a start tag being written, |value| escaped.
void append_attribute(std::string& out, std::string_view qname, std::string_view value);

// Builds one element: a start tag with attributes, then raw children, then
// the end tag, or a self-closing tag when there are no children.
//
//   ElementWriter w("body");
//   w.attribute("xmlns", kHttpBindNs).attribute("rid", 5);
//   w.raw(stanza_bytes);
//   std::string doc = std::move(w).finish();
class ElementWriter {
public:
    explicit ElementWriter(std::string_view qname, std::size_t reserve = 256);

    ElementWriter& attribute(std::string_view qname, std::string_view value);
    ElementWriter& attribute(std::string_view qname, std::uint64_t value);

    // Appends well-formed, namespace-complete XML as it is; closes the start
    // tag first if needed. Attributes may not be added after this.
    ElementWriter& raw(std::string_view xml);

    std::string finish() &&;

private:
    std::string qname_;
    std::string out_;
    bool has_children_ = false;
};

} // namespace boshd::xml
