#include "xmpp/stream_protocol.h"

#include "xml/element_reader.h"
#include "xml/writer.h"

#include <algorithm>

namespace boshd::xmpp {

namespace {

constexpr std::string_view kStreamErrorNs = "urn:ietf:params:xml:ns:xmpp-streams";
constexpr std::string_view kSaslNs = "urn:ietf:params:xml:ns:xmpp-sasl";
// XEP-0440: the channel-binding types the server supports.
constexpr std::string_view kSaslChannelBindingNs = "urn:xmpp:sasl-cb:0";
constexpr std::size_t kMaxLoggedText = 200; // bytes of a stream error's <text/> in the log

// The bytes of |child| inside |parent|.
std::string_view bytes_of(const xml::Fragment& parent, const xml::ChildElement& child) {
    return std::string_view(parent.bytes).substr(child.begin, child.end - child.begin);
}

// |starttls| (a child of |features|) carries <required/>.
bool is_required(const xml::Fragment& features, const xml::ChildElement& starttls) {
    const auto tls = xml::read_element(bytes_of(features, starttls));
    return tls && std::any_of(tls->children.begin(), tls->children.end(), [](const auto& c) {
               return c.ns == kTlsNs && c.local == "required";
           });
}

// Channel binding ties a SASL exchange to the TLS channel it runs over
// (RFC 5056; SCRAM's "-PLUS" mechanisms, RFC 5802 §6). Behind boshd that
// channel is boshd's own link to the server: the BOSH client is not party to
// it and cannot bind to it, so a -PLUS mechanism can only fail. StanzaJS 12
// picks SCRAM-SHA-256-PLUS whenever it is offered, and ejabberd then answers
// "Invalid channel binding". Adds those <mechanism/> children of
// |mechanisms| (a child of |features|) to |cut|; without them clients choose
// plain SCRAM, with the gs2 flag that the server accepts.
void cut_channel_binding(const xml::Fragment& features, const xml::ChildElement& mechanisms,
                         std::vector<xml::ChildElement>& cut) {
    const auto list = xml::read_element(bytes_of(features, mechanisms));
    if (!list) {
        return;
    }
    for (const auto& m : list->children) {
        const auto first = m.text.find_first_not_of(" \t\r\n");
        const auto last = m.text.find_last_not_of(" \t\r\n");
        const auto name = first == std::string::npos
                              ? std::string_view{}
                              : std::string_view(m.text).substr(first, last - first + 1);
        if (m.ns == kSaslNs && m.local == "mechanism" && name.ends_with("-PLUS")) {
            cut.push_back({m.ns, m.local, mechanisms.begin + m.begin, mechanisms.begin + m.end});
        }
    }
}

// RFC 6120 §4.9.3: the defined condition and the <text/> of a stream error,
// for the log line that says why the server ended the stream.
void describe(server::StreamError& e) {
    for (const auto& c : e.error.children) {
        if (c.ns != kStreamErrorNs) {
            continue;
        }
        if (c.local != "text") {
            if (e.condition.empty()) {
                e.condition = c.local;
            }
        } else if (auto text = xml::read_element(bytes_of(e.error, c))) {
            e.text = std::move(text->text);
            if (e.text.size() > kMaxLoggedText) {
                // The server writes it: one log line stays short. Cut before
                // a UTF-8 continuation byte, never inside a character.
                auto cut = kMaxLoggedText;
                while (cut > 0 && (static_cast<unsigned char>(e.text[cut]) & 0xC0) == 0x80) {
                    --cut;
                }
                e.text.resize(cut);
                e.text += "...";
            }
        }
    }
}

// Removes the children listed in |cut| from |f.bytes|. The remaining child
// offsets would be stale afterwards, so the list is cleared.
void remove_children(xml::Fragment& f, std::vector<xml::ChildElement> cut) {
    std::sort(cut.begin(), cut.end(),
              [](const auto& a, const auto& b) { return a.begin > b.begin; });
    for (const auto& c : cut) {
        f.bytes.erase(c.begin, c.end - c.begin);
    }
    f.children.clear();
}

} // namespace

bool is_stream_negotiation(const xml::Fragment& payload) {
    return payload.ns == kTlsNs || payload.ns == kCompressProtocolNs;
}

StreamProtocol::StreamProtocol(bool starttls, std::size_t max_element_size)
    : starttls_(starttls), parser_(max_element_size) {}

std::string StreamProtocol::header() const {
    // C206-3-03: boshd opens and owns the stream; the client never sends one.
    // Its to, from (C206-3-02, C124-7.1-07), version (C206-3-01) and xml:lang
    // (C124-7.1-03) come from the session's creation request, or from a
    // restart or add-stream request.
    xml::ElementWriter w("stream:stream");
    w.attribute("xmlns", kClientNs);
    w.attribute("xmlns:stream", xml::kStreamsNs);
    w.attribute("to", params_.to);
    if (!params_.from.empty()) {
        w.attribute("from", params_.from);
    }
    if (!params_.version.empty()) {
        w.attribute("version", params_.version);
    }
    if (!params_.lang.empty()) {
        w.attribute("xml:lang", params_.lang);
    }
    std::string out = "<?xml version='1.0'?>";
    std::string tag = std::move(w).finish();
    // ElementWriter closes empty elements with "/>"; a stream header stays open.
    tag.replace(tag.size() - 2, 2, ">");
    return out + tag;
}

std::string StreamProtocol::open(HeaderParams params) {
    params_ = std::move(params);
    state_ = State::AwaitingHeader;
    return header();
}

// Stream restarts are supported (C206-4-04).
std::string StreamProtocol::restart(const HeaderParams& params) {
    if (!params.to.empty()) {
        params_.to = params.to;
    }
    if (!params.lang.empty()) {
        params_.lang = params.lang;
    }
    if (!params.version.empty()) {
        params_.version = params.version; // the contract covers every field
    }
    if (!params.from.empty()) {
        params_.from = params.from;
    }
    parser_.reset();
    state_ = State::AwaitingHeader;
    return header();
}

std::string StreamProtocol::tls_established() {
    tls_done_ = true;
    parser_.reset();
    state_ = State::AwaitingHeader;
    return header();
}

void StreamProtocol::receive(std::string_view bytes, std::vector<ServerEvent>& out) {
    if (state_ == State::Closed || state_ == State::Idle) {
        return;
    }
    parsed_.clear();
    parser_.feed(bytes, parsed_);
    for (auto& ev : parsed_) {
        if (state_ == State::Closed) {
            break;
        }
        if (auto* o = std::get_if<StreamOpened>(&ev)) {
            state_ = State::AwaitingFeatures;
            out.push_back(server::Opened{std::move(o->header)});
        } else if (auto* e = std::get_if<StreamElement>(&ev)) {
            on_element(std::move(e->element), out);
        } else if (std::holds_alternative<StreamEnded>(ev)) {
            state_ = State::Closed;
            out.push_back(server::Ended{});
        } else {
            state_ = State::Closed;
            out.push_back(server::Failed{std::move(std::get<StreamBroken>(ev).reason)});
        }
    }
}

void StreamProtocol::on_element(xml::Fragment element, std::vector<ServerEvent>& out) {
    if (element.is(xml::kStreamsNs, "error")) {
        state_ = State::Closed;
        server::StreamError error{std::move(element), {}, {}};
        describe(error);
        out.push_back(std::move(error));
        return;
    }
    switch (state_) {
    case State::AwaitingFeatures:
        if (element.is(xml::kStreamsNs, "features")) {
            return on_features(std::move(element), out);
        }
        if (starttls_ && !tls_done_) {
            // Nothing read before TLS reaches the client on a starttls route.
            state_ = State::Closed;
            out.push_back(server::Failed{"element before STARTTLS"});
            return;
        }
        break;
    case State::AwaitingProceed:
        if (element.is(kTlsNs, "proceed")) {
            state_ = State::Handshaking;
            out.push_back(server::BeginTls{});
            return;
        }
        state_ = State::Closed;
        out.push_back(server::Failed{"server refused STARTTLS"});
        return;
    case State::Handshaking:
        // RFC 6120 §5.4.3.3: nothing follows <proceed/> until the handshake.
        // Plaintext sent after it (in the same read) would otherwise pass as
        // data of the secured stream: the STARTTLS injection of CVE-2011-0411.
        state_ = State::Closed;
        out.push_back(server::Failed{"data after <proceed/>"});
        return;
    default:
        break;
    }
    // Everything else goes to the client as the server sent it: stanzas,
    // their errors (C124-17.4-01) and SASL elements (C206-2-05), never
    // parsed for meaning (N206-08).
    out.push_back(server::Stanza{std::move(element)});
}

void StreamProtocol::on_features(xml::Fragment features, std::vector<ServerEvent>& out) {
    std::vector<xml::ChildElement> cut;
    bool offers_starttls = false;
    bool required_starttls = false; // RFC 6120 §5.3.1: <required/> inside <starttls/>
    for (const auto& c : features.children) {
        if (c.ns == kTlsNs && c.local == "starttls") {
            offers_starttls = true;
            required_starttls = required_starttls || is_required(features, c);
            cut.push_back(c); // C206-2-06, N206-06: no TLS negotiation over BOSH
        } else if (c.ns == kCompressFeatureNs && c.local == "compression") {
            cut.push_back(c); // C206-4-06: compression belongs to HTTP
        } else if (c.ns == kSaslNs && c.local == "mechanisms") {
            cut_channel_binding(features, c, cut);
        } else if (c.ns == kSaslChannelBindingNs && c.local == "sasl-channel-binding") {
            cut.push_back(c); // see cut_channel_binding
        }
    }
    if (!starttls_ && required_starttls) {
        // A route with tls = "none" to a server that insists on TLS: the
        // client would get features with no way to log in, and the server
        // would close the stream a while later. Say so now.
        state_ = State::Closed;
        out.push_back(
            server::Failed{"the server requires STARTTLS: set tls = \"starttls\" on this route"});
        return;
    }
    if (starttls_ && !tls_done_) {
        if (!offers_starttls) {
            state_ = State::Closed;
            out.push_back(server::Failed{"server does not offer STARTTLS"});
            return;
        }
        state_ = State::AwaitingProceed;
        out.push_back(server::Send{"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"});
        return;
    }
    remove_children(features, std::move(cut));
    state_ = State::Open;
    out.push_back(server::Features{std::move(features)});
}

} // namespace boshd::xmpp
