// The order in which a domain's SRV targets are tried (RFC 2782 "Usage
// rules", as RFC 6120 §3.2.1 applies them to _xmpp-client._tcp): lowest
// priority first; within a priority, a weighted random pick, again and again
// over what is left. Pure: the randomness is injected, so tests fix it.
#pragma once

#include "util/random.h"

#include <cstdint>
#include <string>
#include <vector>

namespace boshd::net {

struct SrvRecord {
    std::uint16_t priority = 0;
    std::uint16_t weight = 0;
    std::uint16_t port = 0;
    std::string target; // without the trailing dot; "." is the root

    bool operator==(const SrvRecord&) const = default;
};

// RFC 2782: a single record whose target is "." says the service is
// decidedly not available at this domain (RFC 6120 §3.2.1: do not
// fall back to the domain's address records).
bool srv_service_refused(const std::vector<SrvRecord>& records);

// |records| in the order to try them. Records whose target is "." are
// dropped (they name no host).
std::vector<SrvRecord> order_srv(std::vector<SrvRecord> records, util::Random& random);

// A number in [0, bound], drawn from |random| (order_srv's one draw per pick).
std::uint32_t draw_upto(util::Random& random, std::uint32_t bound);

} // namespace boshd::net
