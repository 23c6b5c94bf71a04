// Reads one self-contained element for the few facts boshd needs from the
// server's stream-level elements: which children it has (a STARTTLS feature
// marked <required/>) and the character data directly inside it (the text of
// a stream error). Stanzas are never read this way: they travel as bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boshd::xml {

struct ElementName {
    std::string ns;
    std::string local;
};

struct ElementSummary {
    std::vector<ElementName> children; // the direct children, in order
    std::string text;                  // character data directly inside the root
};

// Parses |bytes|, one element with the namespace declarations it uses (a
// Fragment, or a child of one: the stream parser has already refused DTDs).
// nullopt when it is not well-formed on its own.
std::optional<ElementSummary> read_element(std::string_view bytes);

} // namespace boshd::xml
