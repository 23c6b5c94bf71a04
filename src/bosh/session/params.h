// The parameters a session negotiated at creation (XEP-0124 §7.2), fixed for
// its whole life: creation attributes on later requests never change them
// (C124-7.1-10). And the rules that follow from them alone.
#pragma once

#include "bosh/attrs.h"
#include "bosh/ids.h"
#include "bosh/route.h"
#include "util/ip_address.h"
#include "util/time.h"
#include "xmpp/stream_protocol.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace boshd::bosh {

struct SessionParams {
    SessionId id{};
    LinkId link{};           // the first stream's
    std::string stream_name; // the first stream's; empty: multi-stream support is off
    std::string sid;
    // Who created the session (the request's client, README: "The client
    // address behind a proxy"): its address is `ip=` on every log line about
    // the session, the key its per-client limits count under, and what a
    // route's PROXY protocol header names as the source of every stream.
    util::Endpoint client;
    std::string ip; // client.address as text, for the log
    std::shared_ptr<const Route> route;
    std::uint64_t creation_rid = 0;
    util::Duration wait{};
    std::uint32_t hold = 1;
    std::uint32_t requests = 2;
    util::Duration inactivity{};
    util::Duration polling{};
    std::optional<Version> ver; // nullopt: a legacy client, HTTP error codes apply
    std::string content_type;
    bool acks = false;
    std::string accept; // `accept` for the creation reply; empty: none
    // The client put ack='1' on its creation request: it acknowledges
    // responses (XEP-0124 §9.2).
    bool client_acks = false;
    // Advertised `maxpause`; zero: pause is not supported (XEP-0124 §10).
    util::Duration max_pause{};
    // The creation request's `newkey`: the session uses key sequencing (§15).
    std::optional<std::string> newkey;
    xmpp::HeaderParams header;

    // XEP-0124 §16 is on for this session: streams have names.
    bool multi_stream() const { return !stream_name.empty(); }
    // Polling sessions (hold or wait of zero) get every request answered at
    // once (C124-12-04).
    bool polling_session() const { return hold == 0 || wait == util::Duration::zero(); }
    // How long a request may wait behind a gap: clients resend a lost request
    // after about 1.1 x wait (Strophe), so twice the wait; never less than
    // the inactivity period, which matters for polling sessions (wait 0).
    util::Duration gap_timeout() const { return std::max<util::Duration>(2 * wait, inactivity); }
};

} // namespace boshd::bosh
