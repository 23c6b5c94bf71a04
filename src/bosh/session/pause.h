// Pausing (XEP-0124 §10): a client leaving for a while asks for a longer
// inactivity period, up to the advertised `maxpause`.
#pragma once

#include "bosh/attrs.h"
#include "util/time.h"

#include <cstdint>
#include <optional>

namespace boshd::bosh {

class Pause {
public:
    // |max_pause|: the advertised maxpause; zero: pause is not supported.
    explicit Pause(util::Duration max_pause) : max_(max_pause) {}

    // Pause is supported only when maxpause was advertised; otherwise the
    // attribute is ignored like any other the session does not implement.
    bool requested(const BodyAttrs& a) const { return a.pause && max_ > util::Duration::zero(); }
    // Longer than maxpause: policy-violation, boshd's choice (checklist §A-7).
    bool too_long(const BodyAttrs& a) const {
        return requested(a) && util::Seconds(*a.pause) > max_;
    }
    // C124-10-06: the pause of request |rid| begins; until the next request
    // the inactivity period is |length| (C124-10-08, C124-10-09).
    void begin(std::uint64_t rid, util::Duration length) {
        length_ = length;
        rid_ = rid;
    }
    // C124-10-08: the client is back.
    void end() { length_.reset(); }
    util::Duration inactivity(util::Duration normal) const { return length_.value_or(normal); }
    // The last pause request: a resend of it gets an empty body (checklist §A-6).
    bool was_pause(std::uint64_t rid) const { return rid_ != 0 && rid == rid_; }

private:
    util::Duration max_;
    std::optional<util::Duration> length_;
    std::uint64_t rid_ = 0;
};

} // namespace boshd::bosh
