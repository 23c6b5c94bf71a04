// One XMPP stream of a session (XEP-0124 §16): its backend link, its
// negotiation state and what it still owes the server. A session holds one
// or more; the first is created with the session, the others by add-stream
// requests (C124-16.3-02).
#pragma once

#include "bosh/ids.h"
#include "bosh/route.h"
#include "util/time.h"
#include "xmpp/server_stream.h"

#include <memory>
#include <optional>
#include <string>

namespace boshd::bosh {

struct Stream {
    Stream(std::string name_, LinkId link_, std::shared_ptr<const Route> route_,
           xmpp::HeaderParams header_, std::size_t max_stanza_size)
        : name(std::move(name_)), link(link_), route(std::move(route_)), header(std::move(header_)),
          server(route->tls == TlsMode::StartTls, max_stanza_size) {}

    // Opaque and unpredictable, unique across the CM (C124-16.2-02); empty
    // while multi-stream support is off.
    std::string name;
    LinkId link;
    std::shared_ptr<const Route> route;
    xmpp::HeaderParams header; // what boshd sent in its stream header

    xmpp::ServerStream server;
    std::string pending; // client payloads written once the stream is negotiated
    std::optional<util::TimePoint> deadline; // the server's features are due by then
    bool link_open = true;                   // CloseBackend not yet asked for
    bool connected = false;
    bool negotiated = false; // first features received: the stream is usable
    std::optional<xmpp::StreamHeader> server_header;
    bool info_sent = false; // from / xmpp:version reached the client
};

// Where a session gets what only the engine can issue: link ids, stream
// names and the routes of served domains (XEP-0124 §16).
class StreamSource {
public:
    virtual ~StreamSource() = default;
    virtual LinkId new_link() = 0;
    virtual std::string new_stream_name() = 0;
    // nullptr: the domain is not served (never an open relay, C124-17.2-06).
    virtual std::shared_ptr<const Route> route_for(std::string_view domain) const = 0;
};

} // namespace boshd::bosh
