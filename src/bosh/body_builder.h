// The builder for the <body/> documents the engine answers with (the bytes of
// a bosh::Reply, bosh/reply.h).
#pragma once

#include "bosh/condition.h"
#include "xml/fragment.h"
#include "xml/writer.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace boshd::bosh {

// Builds one <body xmlns='http://jabber.org/protocol/httpbind'/> document on
// xml::ElementWriter, which does all the escaping: every response entity is
// exactly one such element (C124-6-01), with no XML declaration (P124-05).
// Attributes first, then payloads; finish() seals it.
class BodyBuilder {
public:
    BodyBuilder();

    BodyBuilder& attribute(std::string_view qname, std::string_view value);
    BodyBuilder& attribute(std::string_view qname, std::uint64_t value);
    // type='terminate' with |c|: any reply may end the session (C124-17.2-01).
    BodyBuilder& terminate(Condition c);

    // Appends the fragments as they are. Declares xmlns:stream on <body/> when
    // one of them needs it (C206-2-02); must be the last call before finish().
    BodyBuilder& payloads(std::span<const xml::Fragment> fragments);

    std::string finish(); // moves the document out; the builder is spent

private:
    xml::ElementWriter body_;
};

} // namespace boshd::bosh
