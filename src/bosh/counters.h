// Plain counters and gauges the engine keeps; the metrics adapter reads them.
// Every rejection bumps one, so what is logged can also be graphed.
#pragma once

#include <cstdint>

namespace boshd::bosh {

struct Counters {
    // gauges
    std::uint64_t sessions_active = 0;
    std::uint64_t requests_pending = 0; // held or parked, all sessions
    // counters
    std::uint64_t sessions_created = 0;
    std::uint64_t sessions_expired = 0;    // inactivity (C124-10-01)
    std::uint64_t sessions_terminated = 0; // by the client, boshd or the server
    std::uint64_t requests = 0;
    std::uint64_t requests_rejected = 0; // answered with a terminal condition
    std::uint64_t rid_repeats = 0;       // answered from the cache or re-attached
    std::uint64_t stanzas_to_server = 0;
    std::uint64_t stanzas_to_client = 0;
    std::uint64_t bytes_to_client = 0;
    std::uint64_t backend_failures = 0;
};

} // namespace boshd::bosh
