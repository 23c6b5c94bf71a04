// Reading SRV records out of a DNS reply (RFC 1035 §4.1, RFC 2782). c-ares
// 1.18's ares_parse_srv_reply drops the TTL, which the cache needs, so the
// answer section is walked here; names, compressed or not, are expanded by
// c-ares (ares_expand_name). A reply comes from the network: every length is
// checked against the buffer, and anything malformed is refused whole.
#pragma once

#include "net/srv_order.h"

#include <cstdint>
#include <span>
#include <vector>

namespace boshd::net {

struct SrvAnswer {
    std::vector<SrvRecord> records; // in the order of the reply; "." for the root target
    std::uint32_t ttl = 0;          // the least TTL of those records
};

// The SRV records of class IN in the answer section of |reply|, skipping
// other types (a CNAME on the way); false when the reply is malformed.
bool parse_srv_reply(std::span<const unsigned char> reply, SrvAnswer& out);

} // namespace boshd::net
