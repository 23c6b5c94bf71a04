// Every protocol limit of the session engine, with its default. The config
// layer fills this from [session] and [backend]; the engine never reads a
// constant of its own for a size or a time (ARCHITECTURE.md §1).
#pragma once

#include "util/time.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace boshd::bosh {

struct Limits {
    // Longest a request is held; a client's larger `wait` is clamped (C124-7.2-03).
    util::Seconds max_wait{60};
    // Most requests held at once; a client's larger `hold` is lowered (C124-7.2-10).
    // 1, as Prosody and ejabberd grant whatever the client asks: StanzaJS asks
    // for hold='2' but keeps only two connections, so a second held request
    // leaves it none to send on until `wait` expires; and each held request
    // is one more descriptor per session.
    std::uint32_t max_hold = 1;
    // Advertised `inactivity`: longest time with no request held before the
    // session is dropped silently (C124-10-01, C124-10-05).
    util::Seconds inactivity{60};
    // Advertised `polling`: shortest interval between two empty requests
    // (C124-11-04, C124-12-03). Zero disables the check and is not advertised.
    util::Seconds polling{2};
    // Sessions open at once; creation beyond it gets undefined-condition
    // (no §17.2 condition fits a full server; policy-violation blames the client).
    std::size_t max_sessions = 10000;
    // Per client address (IPv6: per /64), README "Per-client limits": sessions
    // open at once, and sessions created per `client_window` (a token bucket
    // of that many tokens, refilled evenly over the window). Beyond either a
    // creation gets policy-violation and opens no backend connection. 0: no
    // such limit.
    std::size_t max_sessions_per_ip = 100;
    std::size_t max_new_sessions_per_ip = 60;
    // The window of max_new_sessions_per_ip, and the least time between two
    // log lines about one client's refused creations. Not in the file: the
    // keys say "per minute".
    util::Seconds client_window{60};
    // Client addresses whose creations are being counted at once (the
    // bucket table's bound; a full bucket is forgotten). Not in the file.
    std::size_t max_tracked_clients = 65536;
    // Advertised `maxpause` (XEP-0124 §10): the longest `pause` a client may
    // ask for. Zero disables pause support, and the attribute is not sent.
    util::Seconds max_pause{120};
    // Streams one session may hold (XEP-0124 §16, multiple streams). 1, the
    // default, disables the feature: no `stream` is advertised and a `to` on a
    // later request is ignored, as before (C124-16.3-01).
    std::size_t max_streams = 1;
    // Bytes of one stanza from the XMPP server; larger ends the session.
    std::size_t max_stanza_size = 256 * 1024;
    // Bytes queued for a client that is not polling; beyond it the session
    // ends with policy-violation rather than growing without bound. The same
    // bound applies to the responses kept for a client that acknowledges
    // them (XEP-0124 §9.2, C124-9.2-03) and has not yet done so.
    std::size_t max_client_queue = 1024 * 1024;
    // Most responses kept for a client that acknowledges them and has not
    // yet done so (C124-9.2-03); beyond it the session ends with
    // policy-violation. Bytes alone would let tiny replies pile up.
    std::size_t max_unacked_responses = 256;
    // Bytes queued for an XMPP server that is not reading them (it throttles
    // the client, or hangs); beyond it the session ends rather than growing
    // without bound.
    std::size_t max_server_queue = 1024 * 1024;
    // Time from session creation until the server's stream features arrive
    // (TCP connect, TLS, stream open); beyond it remote-connection-failed.
    util::Seconds backend_timeout{10};
    // XML limits on a request body (depth of nesting, element count).
    std::size_t max_xml_depth = 32;
    std::size_t max_xml_elements = 2000;
    // Put `ack` on responses (XEP-0124 §9.1 request acknowledgements).
    bool request_acks = true;
    // Content codings the HTTP front end decodes in requests, advertised
    // verbatim as `accept` on the creation reply (C124-7.2-13); empty: not
    // advertised. The engine never decodes anything itself: bodies reach it
    // decoded, so it only passes the list on.
    std::string accept;

    bool operator==(const Limits&) const = default;
};

} // namespace boshd::bosh
