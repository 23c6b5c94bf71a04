#include "xml/writer.h"

#include <array>
#include <cassert>
#include <charconv>

namespace boshd::xml {

namespace {

// The characters an attribute value never carries as themselves.
constexpr std::string_view kReferenced = "&<>'\"\t\n\r";

constexpr std::array<bool, 256> kNeedsReference = [] {
    std::array<bool, 256> table{};
    for (char c : kReferenced) {
        table[static_cast<unsigned char>(c)] = true;
    }
    return table;
}();

// The character reference that stands for |c| (one of kReferenced) in an
// attribute value. Tab, newline and carriage return are
// written as references: attribute-value normalisation would turn them into
// spaces on the other side.
const char* attribute_reference(char c) {
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '\'':
        return "&apos;";
    case '"':
        return "&quot;";
    case '\t':
        return "&#9;";
    case '\n':
        return "&#10;";
    default: // '\r'
        return "&#13;";
    }
}

} // namespace

// Every attribute value boshd writes goes through here, so what it sends is
// well-formed XML (C124-6-02) whatever the value holds. Values rarely need a
// reference, so the runs between them are copied whole.
void append_escaped_attribute(std::string& out, std::string_view value) {
    std::size_t run = 0;
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (kNeedsReference[static_cast<unsigned char>(value[i])]) {
            out.append(value.substr(run, i - run));
            out += attribute_reference(value[i]);
            run = i + 1;
        }
    }
    out.append(value.substr(run));
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
