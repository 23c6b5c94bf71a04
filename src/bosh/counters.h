// Plain counters and gauges the engine keeps; the metrics adapter reads them
// (svc/telemetry.cpp renders them for GET /metrics without walking any
// session). Every rejection bumps one, so what is logged can also be graphed.
// The core only bumps integers here; it never reads or formats them.
#pragma once

#include "bosh/condition.h"

#include <array>
#include <cstdint>

namespace boshd::bosh {

struct Counters {
    // gauges
    std::uint64_t sessions_active = 0;
    std::uint64_t requests_pending = 0; // held or parked, all sessions
    // counters
    std::uint64_t sessions_created = 0;
    // Every session that ends is counted once, in exactly one of these three:
    std::uint64_t sessions_expired = 0;         // the client went away: inactivity
                                                // (C124-10-01), or it left its creation request
    std::uint64_t sessions_ended_by_client = 0; // the client's own terminate (C124-13-01)
    std::array<std::uint64_t, kConditionCount> sessions_ended_by{}; // boshd or the server
                                                                    // ended it, by condition
    std::uint64_t sessions_terminated = 0; // by the client, boshd or the server
    std::uint64_t requests = 0;
    std::uint64_t requests_rejected = 0; // answered with a terminal condition
    // Creations refused by a limit on sessions (also in requests_rejected):
    std::uint64_t refused_max_sessions = 0;            // session.max_sessions (server full)
    std::uint64_t refused_max_sessions_per_ip = 0;     // session.max_sessions_per_ip
    std::uint64_t refused_max_new_sessions_per_ip = 0; // session.max_new_sessions_per_ip
    // Client addresses forgotten early because the bucket table was full
    // (bosh/client_limits.h).
    std::uint64_t client_table_evictions = 0;
    std::uint64_t rid_repeats = 0; // answered from the cache or re-attached
    std::uint64_t stanzas_to_server = 0;
    std::uint64_t stanzas_to_client = 0;
    std::uint64_t bytes_to_server = 0; // every byte handed to a backend link (WriteBackend)
    std::uint64_t bytes_to_client = 0; // every <body/> handed to the front end (Respond),
                                       // before any content coding
    std::uint64_t backend_failures = 0;
};

} // namespace boshd::bosh
