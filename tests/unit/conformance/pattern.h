// The scenario pattern language (xep/FORMAT.md, "Patterns"): one XML element
// compared namespace-aware with an actual element, attribute order ignored,
// with {*} wildcards and {name} / {name+N} variables.
#pragma once

#include "conformance/xml_tree.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace boshd::conformance {

using Vars = std::map<std::string, std::string>;

// Compares |actual| with |pattern|. Returns an empty string on a match (and
// binds the captures in |vars|), otherwise why it does not match (and leaves
// |vars| as it was). |absent| names attributes of the root that must not be
// present: "name" is an unqualified attribute, "prefix:name" one of that
// local name in any namespace.
std::string match(const Node& pattern, const Node& actual, Vars& vars,
                  const std::vector<std::string>& absent = {});

// Replaces {name}, {name+N} and {name-N} by bound values; "{{" and "}}" stand
// for literal braces. An unbound name is an error (returned in |error|).
std::string substitute(std::string_view text, const Vars& vars, std::string& error);

} // namespace boshd::conformance
