#include "xmpp/bounce.h"

#include "xml/expat.h"
#include "xml/writer.h"
#include "xmpp/stream_protocol.h"

#include <cstring>

namespace boshd::xmpp {

namespace {

constexpr std::string_view kStanzasNs = "urn:ietf:params:xml:ns:xmpp-stanzas";

struct HeadReader {
    XML_Parser parser = nullptr;
    std::string_view bytes;
    std::optional<StanzaHead> head;
    std::vector<std::pair<std::string, std::string>> prefixes;
};

void on_namespace(void* data, const XML_Char* prefix, const XML_Char* uri) {
    auto* r = static_cast<HeadReader*>(data);
    if (prefix != nullptr && uri != nullptr && !r->head) {
        r->prefixes.emplace_back(prefix, uri);
    }
}

// The children of the root element whose start tag is the current event.
std::string_view root_content(const HeadReader& r) {
    const auto begin = static_cast<std::size_t>(XML_GetCurrentByteIndex(r.parser));
    const auto count = static_cast<std::size_t>(XML_GetCurrentByteCount(r.parser));
    const auto end = r.bytes.rfind("</");
    if (count < 2 || begin + count > r.bytes.size() || r.bytes[begin + count - 2] == '/' ||
        end == std::string_view::npos || end < begin + count) {
        return {};
    }
    return r.bytes.substr(begin + count, end - (begin + count));
}

void on_start(void* data, const XML_Char*, const XML_Char** attrs) {
    auto* r = static_cast<HeadReader*>(data);
    StanzaHead h;
    // Unprefixed attributes have no namespace, so expat names them plainly;
    // a prefixed `to` (say, in another namespace) is not a routing attribute.
    for (auto a = attrs; a[0] != nullptr; a += 2) {
        const std::string_view name(a[0]);
        if (name == "to") {
            h.to = a[1];
        } else if (name == "from") {
            h.from = a[1];
        } else if (name == "id") {
            h.id = a[1];
        } else if (name == "type") {
            h.type = a[1];
        }
    }
    h.content = root_content(*r);
    h.prefixes = std::move(r->prefixes);
    r->head = std::move(h);
    // Only the root's start tag matters: no need to read the rest.
    XML_StopParser(r->parser, XML_FALSE);
}

// RFC 6120 §8.3: the condition inside <error type='...'/>.
std::string error_child(std::string_view error_type, std::string_view condition) {
    xml::ElementWriter cond(condition);
    cond.attribute("xmlns", kStanzasNs);
    xml::ElementWriter error("error");
    error.attribute("type", error_type).raw(std::move(cond).finish());
    return std::move(error).finish();
}

} // namespace

std::optional<StanzaHead> read_stanza_head(std::string_view bytes) {
    auto parser = xml::make_expat_parser();
    HeadReader r{parser.get(), bytes, std::nullopt, {}};
    XML_SetUserData(parser.get(), &r);
    XML_SetStartElementHandler(parser.get(), on_start);
    XML_SetStartNamespaceDeclHandler(parser.get(), on_namespace);
    // Stopped after the first start tag (an "aborted" status), or fails
    // before it on bytes that are not XML: either way |head| tells.
    XML_Parse(parser.get(), bytes.data(), static_cast<int>(bytes.size()), XML_TRUE);
    return std::move(r.head);
}

std::optional<std::string> bounce(const xml::Fragment& stanza) {
    if (stanza.ns != kClientNs) {
        return std::nullopt; // stream features, SASL and the like: not stanzas
    }
    const bool iq = stanza.local == "iq";
    const bool message = stanza.local == "message";
    if (!iq && !message) {
        return std::nullopt; // C206-7-01: presence for a gone client is dropped
    }
    const auto head = read_stanza_head(stanza.bytes);
    if (!head || head->from.empty()) {
        // Without a sender there is nobody to tell (a stanza from the
        // client's own server about its account).
        return std::nullopt;
    }
    std::string child;
    if (iq) {
        if (head->type != "get" && head->type != "set") {
            return std::nullopt; // C206-7-02: no error for result or error (RFC 6120 §8.2.3)
        }
        if (head->id.empty()) {
            return std::nullopt; // an iq without id cannot be answered
        }
        child = error_child("cancel", "service-unavailable"); // C206-7-02
    } else {
        if (head->type == "error") {
            return std::nullopt; // C206-7-03: never an error for an error
        }
        child = error_child("wait", "recipient-unavailable"); // C206-7-03
    }
    xml::ElementWriter w(stanza.local);
    w.attribute("xmlns", kClientNs).attribute("type", "error");
    if (!head->id.empty()) {
        w.attribute("id", head->id);
    }
    // Back to the sender. No `from`: on a client-to-server stream the server
    // stamps the session's own address (RFC 6120 §8.1.2.1), and one that does
    // not match exactly would be an invalid-from stream error.
    w.attribute("to", head->from);
    if (message) {
        // RFC 6120 §8.3.1: the original payload may come back with the error,
        // so the server can store the message offline (C206-7-04).
        for (const auto& [prefix, uri] : head->prefixes) {
            w.attribute("xmlns:" + prefix, uri);
        }
        w.raw(std::string(head->content));
    }
    w.raw(child);
    return std::move(w).finish();
}

} // namespace boshd::xmpp
