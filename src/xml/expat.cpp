#include "xml/expat.h"

#include <cstdio>
#include <cstdlib>

namespace boshd::xml {

namespace {

// expat 2.6 may defer parsing a token until more input arrives; a stanza must
// be delivered as soon as its end tag is in, so turn that off. The version
// macros cannot tell whether the switch exists: Debian backported it to
// 2.5.0 (CVE-2023-52425, 2.5.0-1+deb12u1), where deferral is on and a stanza
// fed in small pieces waited for unrelated later bytes. So look for the
// declaration instead: the call depends on |P|, and overload resolution
// falls back to the no-op when <expat.h> does not declare the function.
template <typename P>
auto disable_reparse_deferral(P p, int) -> decltype(XML_SetReparseDeferralEnabled(p, XML_FALSE)) {
    return XML_SetReparseDeferralEnabled(p, XML_FALSE);
}
template <typename P> XML_Bool disable_reparse_deferral(P, long) {
    return XML_TRUE; // this expat never defers
}

void configure(XML_Parser p) {
    XML_SetReturnNSTriplet(p, 1);
    // Never load external entities or DTDs; documents with a DOCTYPE are
    // rejected by our handlers anyway (C124-6-05).
    XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
    disable_reparse_deferral(p, 0);
}

} // namespace

QName split_qname(std::string_view name) {
    QName q;
    const auto first = name.find(kNamespaceSeparator);
    if (first == std::string_view::npos) {
        q.local = name;
        return q;
    }
    q.ns = name.substr(0, first);
    const auto rest = name.substr(first + 1);
    const auto second = rest.find(kNamespaceSeparator);
    if (second == std::string_view::npos) {
        q.local = rest;
    } else {
        q.local = rest.substr(0, second);
        q.prefix = rest.substr(second + 1);
    }
    return q;
}

// Bodies and streams are read as UTF-8 (C124-7.2-17), whatever their XML
// declaration says.
ExpatParser make_expat_parser() {
    ExpatParser p(XML_ParserCreateNS("UTF-8", kNamespaceSeparator));
    if (!p) {
        std::fputs("boshd: fatal: out of memory creating an XML parser\n", stderr);
        std::abort();
    }
    configure(p.get());
    return p;
}

} // namespace boshd::xml
