// The terminal binding conditions of XEP-0124 §17.2 (C124-17.2-02: only these
// thirteen values ever appear in a `condition` attribute) and the legacy HTTP
// status codes of §17.1.
#pragma once

#include <cstddef>
#include <string_view>

namespace boshd::bosh {

enum class Condition {
    BadRequest,
    HostGone,
    HostUnknown,
    ImproperAddressing,
    InternalServerError,
    ItemNotFound,
    OtherRequest,
    PolicyViolation,
    RemoteConnectionFailed,
    RemoteStreamError,
    SeeOtherUri,
    SystemShutdown,
    UndefinedCondition,
};

// How many conditions there are: arrays indexed by a Condition (Counters).
inline constexpr std::size_t kConditionCount =
    static_cast<std::size_t>(Condition::UndefinedCondition) + 1;

inline constexpr std::size_t index_of(Condition c) {
    return static_cast<std::size_t>(c);
}

std::string_view to_string(Condition c);

// HTTP status for a client that sent no `ver` at creation (C124-17.1-02):
// 400, 403 and 404 for the three conditions that had one; 200 for the rest
// (C124-17.1-03: no invented error statuses).
int legacy_http_status(Condition c);

} // namespace boshd::bosh
