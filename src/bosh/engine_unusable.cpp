// Requests the front end could not use (RequestUnusable): the one place that
// decides what an HTTP-level problem means in BOSH. No session is named or
// touched; the answer is a terminal <body/> and one log line.
#include "bosh/body_builder.h"
#include "bosh/engine.h"

#include <string>

namespace boshd::bosh {

namespace {

struct Verdict {
    int status;
    Condition condition;
    std::string reason; // for the log
};

Verdict verdict(const RequestUnusable& r) {
    switch (r.why) {
    case UnusableReason::BodyTooLarge:
        return {413, Condition::PolicyViolation, "body over http.max_body_size"};
    case UnusableReason::DecodedTooLarge:
        // A zip bomb: refused like an oversized body (C124-7.2-14).
        return {413, Condition::PolicyViolation, "decoded body over http.max_body_size"};
    case UnusableReason::UnsupportedCoding:
        // RFC 9110 §15.5.16: 415 for a content coding the server does not
        // support (the front end says which ones it does, RFC 7694 §3).
        return {415, Condition::BadRequest, "unsupported Content-Encoding"};
    case UnusableReason::CorruptCoding:
        break;
    }
    // Undecodable bytes are a body that cannot be parsed: XEP-0124 §17.2
    // bad-request, with HTTP 200 as for any unparseable body, since no `ver`
    // can be read to call the client legacy (C124-17.1-01).
    return {200, Condition::BadRequest, "corrupt " + std::string(r.detail) + " content"};
}

} // namespace

void Engine::on_unusable(const RequestUnusable& r, Context& ctx) {
    const Verdict v = verdict(r);
    // README: Log events. Logged once, here, for every such request.
    ctx.log.notice("request.rejected", {{"req", value_of(r.id)},
                                        {"ip", r.client.address.to_string()},
                                        {"peer", r.peer},
                                        {"condition", to_string(v.condition)},
                                        {"reason", v.reason},
                                        {"bytes", r.bytes}});
    ++counters_.requests;
    ++counters_.requests_rejected;
    ctx.respond(r.id, make_reply(BodyBuilder().terminate(v.condition).finish(), kDefaultContentType,
                                 v.status));
}

} // namespace boshd::bosh
