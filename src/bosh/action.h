// What the engine asks the adapters to do, in order. Actions are plain data;
// applying them never calls back into the engine synchronously.
#pragma once

#include "bosh/ids.h"
#include "bosh/reply.h"
#include "bosh/route.h"
#include "util/ip_address.h"

#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace boshd::bosh {

// Complete the HTTP request |id| with |reply|. Each RequestId is answered at
// most once; an id the adapter no longer knows (client gone) is ignored.
struct Respond {
    RequestId id;
    ReplyPtr reply;
};

// Connect to |route|'s XMPP server; report BackendConnected or BackendClosed.
// |client| is the session's client, for the route's PROXY protocol header.
struct OpenBackend {
    LinkId link;
    std::shared_ptr<const Route> route;
    util::Endpoint client;
};

struct WriteBackend {
    LinkId link;
    std::string bytes;
};

// Begin the TLS handshake on the link (after STARTTLS <proceed/>); report
// BackendTlsReady or BackendClosed.
struct StartTls {
    LinkId link;
};

// Flush what was written, then close. No event follows for this link.
struct CloseBackend {
    LinkId link;
};

using Action = std::variant<Respond, OpenBackend, WriteBackend, StartTls, CloseBackend>;
using Actions = std::vector<Action>;

} // namespace boshd::bosh
