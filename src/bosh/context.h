// What a session is handed for one event: the time, where its actions go,
// and the engine's shared state it may read or draw from. A session keeps
// none of it past the call.
#pragma once

#include "bosh/action.h"
#include "bosh/counters.h"
#include "bosh/id_issuer.h"
#include "bosh/limits.h"
#include "bosh/route.h"
#include "util/log.h"
#include "util/time.h"

#include <utility>
#include <vector>

namespace boshd::bosh {

// The lifetimes one session call began or ended, each reported by the part
// that owns it: the RequestWindow for requests, Stream for backend links.
// The engine keeps its indexes (request -> session, link -> session) from
// these alone, never from the actions. Within one call an id is taken before
// it is released, and each at most once.
struct Lifetimes {
    std::vector<RequestId> requests_taken;    // now held or parked by the session
    std::vector<RequestId> requests_released; // answered, dropped, or its client left
    std::vector<LinkId> links_opened;         // an OpenBackend went out
    std::vector<LinkId> links_released;       // a CloseBackend went out: no event names it again

    void clear() {
        requests_taken.clear();
        requests_released.clear();
        links_opened.clear();
        links_released.clear();
    }
};

struct Context {
    util::TimePoint now;
    Actions& actions;
    Counters& counters;
    const util::Logger& log;
    const Limits& limits;
    const RouteTable& routes;
    IdIssuer& ids;
    Lifetimes& lifetimes;

    // Appends the action A{args...}, built in place in the variant.
    template <typename A, typename... Args> void emit(Args&&... args) {
        actions.emplace_back(std::in_place_type<A>, A{std::forward<Args>(args)...});
    }
    // Answers request |id| with |reply|, counting the bytes sent.
    void respond(RequestId id, ReplyPtr reply) {
        counters.bytes_to_client += reply->body.size();
        emit<Respond>(id, std::move(reply));
    }
};

} // namespace boshd::bosh
