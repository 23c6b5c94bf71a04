// The XMPP server of the in-process runner. It reads what the CM writes on
// each backend link with an expat-based stream reader, answers the routine
// parts of a login on its own (stream header + features, <auth/> with
// <success/>, resource binding) and keeps every element it received so that
// server_expect steps can check them in order.
#pragma once

#include "bosh/ids.h"
#include "conformance/pattern.h"
#include "conformance/xml_tree.h"

#include <memory>
#include <string>
#include <vector>

namespace boshd::conformance {

class FakeServer {
public:
    // One backend connection ("stream N" in scenarios, counted from 1).
    struct Stream {
        bosh::LinkId link{};
        StreamReader reader;
        std::vector<Node> headers;  // <stream:stream> headers received
        std::vector<Node> elements; // top-level elements received
        std::size_t header_cursor = 0;
        std::size_t element_cursor = 0;
        bool closed = false; // the CM closed it, or the server dropped it
        std::string broken;  // not well-formed: why
    };

    FakeServer(std::string features, std::string restart_features)
        : features_(std::move(features)), restart_features_(std::move(restart_features)) {}

    // The CM opens |link|. Returns false when the connection is refused
    // (a server_refuse step armed it).
    bool open(bosh::LinkId link);
    void refuse_next() { refuse_next_ = true; }

    // The CM wrote |bytes| on |link|. Returns what the server answers at once
    // (possibly nothing). |vars| receives stream_id.
    std::string receive(bosh::LinkId link, std::string_view bytes, Vars& vars);
    void closed_by_cm(bosh::LinkId link);

    // Stream |n| (1-based), or nullptr when it was never opened.
    Stream* stream(std::size_t n);
    Stream* by_link(bosh::LinkId link);
    std::size_t count() const { return streams_.size(); }

private:
    std::string answer(Stream& s, const StreamItem& item, Vars& vars);

    std::string features_;
    std::string restart_features_;
    bool refuse_next_ = false;
    std::vector<std::unique_ptr<Stream>> streams_;
};

} // namespace boshd::conformance
