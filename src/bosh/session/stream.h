// One XMPP stream of a session: its backend link, its negotiation state and
// what it still owes the server. "Stream" in boshd always means this: one
// XMPP stream between boshd and the server, carried by one backend link
// (XEP-0124 §16 calls several of them in one session multiple streams). A
// session holds one or more; the first is created with the session, the
// others by add-stream requests (C124-16.3-02).
#pragma once

#include "bosh/context.h"
#include "bosh/ids.h"
#include "bosh/route.h"
#include "util/ip_address.h"
#include "util/time.h"
#include "xml/fragment.h"
#include "xmpp/stream_protocol.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace boshd::bosh {

struct Stream {
    // Opens the stream: asks for its backend link (OpenBackend, on behalf of
    // the session's |client|) and gives the server until backend_timeout to
    // send its features.
    Stream(std::string name, LinkId link, std::shared_ptr<const Route> route,
           xmpp::HeaderParams header, const util::Endpoint& client, Context& ctx);

    // Sends |bytes| while the link is open.
    void write(std::string bytes, Context& ctx);
    // Sends client payloads, or keeps them (in order) until the stream is up.
    void send(const std::vector<xml::Fragment>& payloads, Context& ctx);
    // The server's first features arrived: the stream is usable, and what
    // waited for it goes out. Returns false when it already was.
    bool features_arrived(Context& ctx);
    // Closes the link (after </stream:stream> when connected); no event names
    // it afterwards.
    void close(Context& ctx);
    // The link is up and the stream negotiated: bounces can be sent.
    bool usable() const { return negotiated && link_open && connected; }

    // Opaque and unpredictable, unique across the CM (C124-16.2-02); empty
    // while multi-stream support is off.
    std::string name;
    LinkId link;
    std::shared_ptr<const Route> route;
    xmpp::HeaderParams header; // what boshd sent in its stream header
    xmpp::StreamProtocol protocol;
    std::string pending; // client payloads written once the stream is negotiated
    std::optional<util::TimePoint> deadline; // the server's features are due by then
    bool link_open = true;                   // CloseBackend not yet asked for
    bool connected = false;
    bool negotiated = false; // first features received: the stream is usable
    std::optional<xmpp::StreamHeader> server_header;
    bool info_sent = false; // from / xmpp:version reached the client
};

} // namespace boshd::bosh
