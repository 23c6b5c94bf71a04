#include "bosh/condition.h"

namespace boshd::bosh {

std::string_view to_string(Condition c) {
    switch (c) {
    case Condition::BadRequest:
        return "bad-request";
    case Condition::HostGone:
        return "host-gone";
    case Condition::HostUnknown:
        return "host-unknown";
    case Condition::ImproperAddressing:
        return "improper-addressing";
    case Condition::InternalServerError:
        return "internal-server-error";
    case Condition::ItemNotFound:
        return "item-not-found";
    case Condition::OtherRequest:
        return "other-request";
    case Condition::PolicyViolation:
        return "policy-violation";
    case Condition::RemoteConnectionFailed:
        return "remote-connection-failed";
    case Condition::RemoteStreamError:
        return "remote-stream-error";
    case Condition::SeeOtherUri:
        return "see-other-uri";
    case Condition::SystemShutdown:
        return "system-shutdown";
    case Condition::UndefinedCondition:
        return "undefined-condition";
    }
    return "undefined-condition";
}

int legacy_http_status(Condition c) {
    switch (c) {
    case Condition::BadRequest:
        return 400;
    case Condition::PolicyViolation:
        return 403;
    case Condition::ItemNotFound:
        return 404;
    default:
        return 200;
    }
}

} // namespace boshd::bosh
