// XEP-0206 §7: what to tell the sender of a stanza that boshd could not
// deliver because the client's session ended first.
#pragma once

#include "xml/fragment.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boshd::xmpp {

// The routing attributes of a stanza's root element.
struct StanzaHead {
    std::string to;
    std::string from;
    std::string id;
    std::string type;
    // The root's children as written (empty for <x/>), and the prefixed
    // namespaces its start tag declares, which those children may use.
    std::string_view content;
    std::vector<std::pair<std::string, std::string>> prefixes; // prefix, uri
};

// Reads the attributes of |bytes|'s root start tag with expat. nullopt when
// the bytes do not begin with a well-formed start tag.
std::optional<StanzaHead> read_stanza_head(std::string_view bytes);

// The error stanza to send to the XMPP server for |stanza|, never delivered to
// the client, or nullopt when none is due (C206-7-01, C206-7-02, C206-7-03):
// presence and anything outside jabber:client get none; an iq get/set gets
// service-unavailable; a message other than type='error' gets
// recipient-unavailable, with the original children (RFC 6120 §8.3.1) so the
// server may store it offline (C206-7-04). An error is never answered with an
// error.
std::optional<std::string> bounce(const xml::Fragment& stanza);

} // namespace boshd::xmpp
