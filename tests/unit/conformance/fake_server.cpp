#include "conformance/fake_server.h"

namespace boshd::conformance {

namespace {

constexpr std::string_view kSaslNs = "urn:ietf:params:xml:ns:xmpp-sasl";
constexpr std::string_view kBindNs = "urn:ietf:params:xml:ns:xmpp-bind";

std::string attr_or(const Node& n, std::string_view local, std::string fallback) {
    const Attr* a = n.attr("", local);
    return a ? a->value : fallback;
}

} // namespace

bool FakeServer::open(bosh::LinkId link) {
    if (refuse_next_) {
        refuse_next_ = false;
        return false;
    }
    auto s = std::make_unique<Stream>();
    s->link = link;
    streams_.push_back(std::move(s));
    return true;
}

FakeServer::Stream* FakeServer::stream(std::size_t n) {
    return n >= 1 && n <= streams_.size() ? streams_[n - 1].get() : nullptr;
}

FakeServer::Stream* FakeServer::by_link(bosh::LinkId link) {
    for (auto& s : streams_) {
        if (s->link == link) {
            return s.get();
        }
    }
    return nullptr;
}

void FakeServer::closed_by_cm(bosh::LinkId link) {
    if (auto* s = by_link(link)) {
        s->closed = true;
    }
}

std::string FakeServer::receive(bosh::LinkId link, std::string_view bytes, Vars& vars) {
    Stream* s = by_link(link);
    if (!s || s->closed) {
        return {};
    }
    std::vector<StreamItem> items;
    if (!s->reader.feed(bytes, items)) {
        s->broken = s->reader.error();
    }
    std::string out;
    for (auto& item : items) {
        out += answer(*s, item, vars);
    }
    return out;
}

std::string FakeServer::answer(Stream& s, const StreamItem& item, Vars& vars) {
    switch (item.kind) {
    case StreamItem::Kind::Close:
        // A real server answers with its own closing tag and hangs up; the
        // scenario only needs to know the CM closed the stream.
        s.closed = true;
        return {};
    case StreamItem::Kind::Header: {
        s.headers.push_back(item.node);
        std::size_t index = 0;
        for (std::size_t i = 0; i < streams_.size(); ++i) {
            if (streams_[i].get() == &s) {
                index = i + 1;
            }
        }
        const auto id = "fake-" + std::to_string(index) + "-" + std::to_string(s.headers.size());
        vars["stream_id"] = id;
        const auto& features = s.headers.size() == 1 ? features_ : restart_features_;
        return "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
               "xmlns:stream='http://etherx.jabber.org/streams' id='" +
               id + "' from='" + attr_or(item.node, "to", "") +
               "' version='1.0' xml:lang='en'><stream:features>" + features + "</stream:features>";
    }
    case StreamItem::Kind::Element:
        break;
    }
    const Node& e = item.node;
    s.elements.push_back(e);
    if (e.ns == kSaslNs && e.local == "auth") {
        return "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>";
    }
    if (e.local == "iq" && attr_or(e, "type", "") == "set" && e.children.size() == 1 &&
        e.children[0].ns == kBindNs && e.children[0].local == "bind") {
        std::string resource = "bosh";
        for (const auto& c : e.children[0].children) {
            if (c.local == "resource") {
                resource = c.text;
            }
        }
        const auto domain =
            s.headers.empty() ? std::string("example.com") : attr_or(s.headers.back(), "to", "");
        return "<iq type='result' id='" + attr_or(e, "id", "") +
               "'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>user@" + domain + "/" +
               resource + "</jid></bind></iq>";
    }
    return {};
}

} // namespace boshd::conformance
