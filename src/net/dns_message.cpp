#include "net/dns_message.h"

#include <algorithm>
#include <ares.h>
#include <arpa/nameser.h>
#include <limits>
#include <string>

namespace boshd::net {

namespace {

constexpr std::uint16_t kTypeSrv = 33;
constexpr std::uint16_t kClassIn = 1;

std::uint16_t read16(const unsigned char* p) {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t read32(const unsigned char* p) {
    return (static_cast<std::uint32_t>(read16(p)) << 16) | read16(p + 2);
}

// Expands the (possibly compressed) name at |p|; false if malformed.
bool expand_name(const unsigned char* p, const unsigned char* abuf, int alen, std::string* out,
                 long* length) {
    char* name = nullptr;
    if (ares_expand_name(p, abuf, alen, &name, length) != ARES_SUCCESS) {
        return false;
    }
    if (out) {
        *out = name;
    }
    ares_free_string(name);
    return true;
}

} // namespace

bool parse_srv_reply(std::span<const unsigned char> reply, SrvAnswer& answer) {
    answer = SrvAnswer{};
    if (reply.size() < HFIXEDSZ ||
        reply.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        return false;
    }
    const unsigned char* abuf = reply.data();
    const int alen = static_cast<int>(reply.size());
    const unsigned char* end = abuf + alen;
    const unsigned qdcount = read16(abuf + 4);
    const unsigned ancount = read16(abuf + 6);
    const unsigned char* p = abuf + HFIXEDSZ;
    long len = 0;
    for (unsigned i = 0; i < qdcount; ++i) {
        if (p >= end || !expand_name(p, abuf, alen, nullptr, &len) || end - p < len + QFIXEDSZ) {
            return false;
        }
        p += len + QFIXEDSZ;
    }
    std::uint32_t ttl = std::numeric_limits<std::uint32_t>::max();
    for (unsigned i = 0; i < ancount; ++i) {
        if (p >= end || !expand_name(p, abuf, alen, nullptr, &len) || end - p < len + RRFIXEDSZ) {
            return false;
        }
        p += len;
        const std::uint16_t type = read16(p);
        const std::uint16_t klass = read16(p + 2);
        // RFC 2181 §8: a TTL with the top bit set is read as 0.
        const std::uint32_t rr_ttl = read32(p + 4) > 0x7fffffffU ? 0 : read32(p + 4);
        const std::uint16_t rdlength = read16(p + 8);
        p += RRFIXEDSZ;
        if (end - p < rdlength) {
            return false;
        }
        if (type == kTypeSrv && klass == kClassIn) {
            // priority, weight, port, then the target, which must end
            // inside the record (it may point back into the reply).
            SrvRecord r;
            if (rdlength < 7 || !expand_name(p + 6, abuf, alen, &r.target, &len) ||
                6 + len > rdlength) {
                return false;
            }
            r.priority = read16(p);
            r.weight = read16(p + 2);
            r.port = read16(p + 4);
            if (r.target.empty()) {
                r.target = "."; // the root: "no service here" (RFC 2782)
            }
            answer.records.push_back(std::move(r));
            ttl = std::min(ttl, rr_ttl);
        }
        p += rdlength; // CNAMEs and the like are skipped
    }
    answer.ttl = answer.records.empty() ? 0 : ttl;
    return true;
}

} // namespace boshd::net
