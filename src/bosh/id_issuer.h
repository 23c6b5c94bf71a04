// Where the engine's ids and the tokens clients see come from. Ids are
// issued from counters and never reused within the process (ids.h); sids and
// stream names are 128 bits from the CSPRNG (C124-7.2-01, C124-16.2-02).
// Sessions get it handed in (Context::ids) to open added streams.
#pragma once

#include "bosh/ids.h"
#include "util/random.h"

#include <cstdint>
#include <string>

namespace boshd::bosh {

class IdIssuer {
public:
    // |random| must outlive the issuer.
    explicit IdIssuer(util::Random& random) : random_(random) {}

    SessionId session() { return SessionId{next_session_++}; }
    LinkId link() { return LinkId{next_link_++}; }
    // 32 lower-case hex digits: opaque, unpredictable and, with overwhelming
    // probability, unique; nothing about it derives from a counter.
    std::string token();

private:
    util::Random& random_;
    std::uint64_t next_session_ = 1;
    std::uint64_t next_link_ = 1;
};

} // namespace boshd::bosh
