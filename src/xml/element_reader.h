// Reads one self-contained element for the few facts boshd needs from the
// server's stream-level elements: which children it has (a STARTTLS feature
// marked <required/>, the SASL mechanisms offered) and the character data
// directly inside it (the text of a stream error). Stanzas are never read
// this way: they travel as bytes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boshd::xml {

struct ChildSummary {
    std::string ns;
    std::string local;
    std::size_t begin = 0; // its bytes in the input: [begin, end)
    std::size_t end = 0;
    std::string text; // character data directly inside it
};

struct ElementSummary {
    std::vector<ChildSummary> children; // the direct children, in order
    std::string text;                   // character data directly inside the root
};

// Parses |bytes|, one element with the namespace declarations it uses (a
// Fragment, or a child of one: the stream parser has already refused DTDs).
// nullopt when it is not well-formed on its own.
std::optional<ElementSummary> read_element(std::string_view bytes);

} // namespace boshd::xml
