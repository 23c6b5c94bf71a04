// What the adapters tell the engine. Every event carries ids and bytes only;
// the engine never sees a socket, a libevent object or the clock (`now` is
// passed beside the event).
#pragma once

#include "bosh/ids.h"

#include <string_view>
#include <variant>

namespace boshd::bosh {

// An HTTP POST arrived on the BOSH path. |body| is valid during the call.
struct RequestArrived {
    RequestId id;
    std::string_view body;
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

// Graceful shutdown: answer everything with system-shutdown, refuse new
// sessions, close every backend stream (C124-17.2-14).
struct Shutdown {};

using Event = std::variant<RequestArrived, RequestAborted, BackendConnected, BackendTlsReady,
                           BackendData, BackendClosed, TimerDue, Shutdown>;

} // namespace boshd::bosh
