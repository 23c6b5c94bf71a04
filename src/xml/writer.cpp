#include "xml/writer.h"

#include <array>
#include <cassert>
#include <charconv>

namespace boshd::xml {

// Every attribute value boshd writes goes through here, so what it sends is
// well-formed XML (C124-6-02) whatever the value holds.
void append_escaped_attribute(std::string& out, std::string_view value) {
    for (char c : value) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '\'':
            out += "&apos;";
            break;
        case '"':
            out += "&quot;";
            break;
        // Attribute-value normalisation would turn these into spaces on the
        // other side; character references keep them.
        case '\t':
            out += "&#9;";
            break;
        case '\n':
            out += "&#10;";
            break;
        case '\r':
            out += "&#13;";
            break;
        default:
            out += c;
        }
    }
}

void append_attribute(std::string& out, std::string_view qname, std::string_view value) {
    out += ' ';
    out += qname;
    out += "='";
    append_escaped_attribute(out, value);
    out += '\'';
}

ElementWriter::ElementWriter(std::string_view qname, std::size_t reserve) : qname_(qname) {
    out_.reserve(reserve);
    out_ += '<';
    out_ += qname;
}

ElementWriter& ElementWriter::attribute(std::string_view qname, std::string_view value) {
    assert(!has_children_);
    append_attribute(out_, qname, value);
    return *this;
}

ElementWriter& ElementWriter::attribute(std::string_view qname, std::uint64_t value) {
    std::array<char, 24> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    return attribute(qname,
                     std::string_view(buf.data(), static_cast<std::size_t>(end - buf.data())));
}

ElementWriter& ElementWriter::raw(std::string_view xml) {
    if (xml.empty()) {
        return *this;
    }
    if (!has_children_) {
        out_ += '>';
        has_children_ = true;
    }
    out_ += xml;
    return *this;
}

std::string ElementWriter::finish() && {
    if (has_children_) {
        out_ += "</";
        out_ += qname_;
        out_ += '>';
    } else {
        out_ += "/>";
    }
    return std::move(out_);
}

} // namespace boshd::xml
