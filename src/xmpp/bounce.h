// XEP-0206 §7: what to tell the sender of a stanza that boshd could not
// deliver because the client's session ended first.
#pragma once

#include "xml/fragment.h"

#include <optional>
#include <string>
#include <string_view>

namespace boshd::xmpp {

// The routing attributes of a stanza's root element.
struct StanzaHead {
    std::string to;
    std::string from;
    std::string id;
    std::string type;
};

// Reads the attributes of |bytes|'s root start tag with expat. nullopt when
// the bytes do not begin with a well-formed start tag.
std::optional<StanzaHead> read_stanza_head(std::string_view bytes);

// The error stanza to send to the XMPP server for |stanza|, never delivered to
// the client, or nullopt when none is due (C206-7-01..03): presence and
// anything outside jabber:client get none; an iq get/set gets
// service-unavailable; a message other than type='error' gets
// recipient-unavailable. An error is never answered with an error.
std::optional<std::string> bounce(const xml::Fragment& stanza);

} // namespace boshd::xmpp
