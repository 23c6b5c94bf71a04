// The one entry point for inbound <body/> documents (ARCHITECTURE.md §1, §4).
//
// expat, not a DOM: it is a conformant parser (duplicate attributes, invalid
// UTF-8, undefined entities, unbound prefixes and trailing junk are all
// errors), it resolves namespaces, and it reports byte offsets, so payloads
// are forwarded as the bytes the client sent (stanzas travel as bytes).
// On top of what XML 1.0 allows, XMPP forbids DTDs, comments and processing
// instructions (RFC 6120 §11.1; C124-6-04, C124-6-05, C124-6-06): those are
// rejected here.
#pragma once

#include "util/result.h"
#include "xml/fragment.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boshd::xml {

inline constexpr std::string_view kHttpBindNs = "http://jabber.org/protocol/httpbind";

struct Attribute {
    std::string ns; // empty for unqualified attributes
    std::string local;
    std::string value; // entity references resolved
};

struct Body {
    std::vector<Attribute> attributes;
    std::vector<Fragment> payloads;

    // Value of the attribute (|ns|, |local|); |ns| is empty for unqualified ones.
    // Matching is by namespace URI, never by prefix (C206-11-01).
    std::optional<std::string_view> attribute(std::string_view ns, std::string_view local) const;
};

struct BodyLimits {
    std::size_t max_depth = 32;      // nesting, counting <body/> itself
    std::size_t max_elements = 2000; // elements in the whole document
};

// Parses |bytes| as one <body xmlns='http://jabber.org/protocol/httpbind'/>
// document. The error is a short human-readable reason for the log; every
// failure is a bad-request to the client (C124-17.2-04).
util::Result<Body, std::string> parse_body(std::string_view bytes, const BodyLimits& limits);

} // namespace boshd::xml
