// What the adapters tell the engine. Every event carries ids and bytes only;
// the engine never sees a socket, a libevent object or the clock (`now` is
// passed beside the event).
#pragma once

#include "bosh/ids.h"
#include "util/ip_address.h"

#include <cstddef>
#include <string_view>
#include <variant>

namespace boshd::bosh {

// An HTTP POST arrived on the BOSH path. |body| is valid during the call.
// |client| is who sent it: the TCP peer, or the client a trusted proxy names
// (README: "The client address behind a proxy"); it is `ip=` in the log, the
// key of the per-client limits and, for a creation, what the PROXY protocol
// tells the XMPP server.
struct RequestArrived {
    RequestId id;
    std::string_view body;
    util::Endpoint client;
};

// Why the front end cannot hand a POST's entity over as a body: problems of
// HTTP, found before any BOSH is read. The engine decides what they mean in
// BOSH (status and condition); the front end only names them.
enum class UnusableReason {
    BodyTooLarge,      // the entity is over http.max_body_size
    DecodedTooLarge,   // it decodes to more than http.max_body_size (a zip bomb)
    UnsupportedCoding, // a Content-Encoding the front end does not decode
    CorruptCoding,     // bytes that do not decode in their Content-Encoding
};

// An HTTP POST arrived on the BOSH path whose entity cannot be used. The
// request is held like any other until the engine answers it (Respond).
// |bytes| is the entity size as received; |detail|, |peer| and |client| are
// for the log only (the content coding concerned, if any; the TCP peer as
// host:port; who sent it, as in RequestArrived).
struct RequestUnusable {
    RequestId id;
    UnusableReason why;
    std::size_t bytes = 0;
    std::string_view detail;
    std::string_view peer;
    util::Endpoint client;
};

// The client went away before its request was answered (connection closed).
struct RequestAborted {
    RequestId id;
};

// The backend connection is up: TCP connected (and for direct TLS, the
// handshake done).
struct BackendConnected {
    LinkId link;
};

// The STARTTLS handshake the engine asked for with StartTls completed.
struct BackendTlsReady {
    LinkId link;
};

struct BackendData {
    LinkId link;
    std::string_view bytes;
};

// The backend connection is gone or could not be made; |reason| is for the log.
struct BackendClosed {
    LinkId link;
    std::string_view reason;
};

// Deadlines may have passed; the engine checks them against `now`.
struct TimerDue {};

// boshd is stopping, gently: new sessions are refused with system-shutdown
// (C124-17.2-14) and every held request is answered now; live sessions go on
// until they end or Shutdown comes.
struct Drain {};

// Graceful shutdown: answer everything with system-shutdown, refuse new
// sessions, close every backend stream (C124-17.2-14).
struct Shutdown {};

using Event = std::variant<RequestArrived, RequestUnusable, RequestAborted, BackendConnected,
                           BackendTlsReady, BackendData, BackendClosed, TimerDue, Drain, Shutdown>;

} // namespace boshd::bosh
