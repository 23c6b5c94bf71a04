// RAII owner for an expat parser, and the conventions both of our parsers
// share: namespace processing with (uri, local, prefix) triplets split on a
// space, which no namespace URI can contain.
#pragma once

#include <expat.h>
#include <memory>
#include <string_view>

namespace boshd::xml {

struct ExpatDeleter {
    void operator()(XML_Parser p) const noexcept { XML_ParserFree(p); }
};
using ExpatParser = std::unique_ptr<XML_ParserStruct, ExpatDeleter>;

inline constexpr char kNamespaceSeparator = ' ';

// A name as expat reports it with XML_SetReturnNSTriplet: "uri local prefix",
// "uri local" (default namespace) or "local" (no namespace).
struct QName {
    std::string_view ns;
    std::string_view local;
    std::string_view prefix;

    // Length of the name as written in the document: "prefix:local" or "local".
    std::size_t raw_length() const {
        return prefix.empty() ? local.size() : prefix.size() + 1 + local.size();
    }
};

QName split_qname(std::string_view expat_name);

// Creates a namespace-aware parser that reads UTF-8 whatever the document's
// XML declaration says, so that byte offsets index the bytes we were given
// (C124-7.2-17: bodies are UTF-8). Never returns null (aborts on OOM).
ExpatParser make_expat_parser();

} // namespace boshd::xml
