// The BOSH connection manager as a pure state machine (ARCHITECTURE.md §2, §3):
// events in, actions out, `now` passed in, next_deadline() out. No sockets,
// no libevent, no clock. The adapters are the only callers.
#pragma once

#include "bosh/action.h"
#include "bosh/client_limits.h"
#include "bosh/counters.h"
#include "bosh/event.h"
#include "bosh/id_issuer.h"
#include "bosh/limits.h"
#include "bosh/route.h"
#include "bosh/session/session.h"
#include "util/log.h"
#include "util/random.h"
#include "util/time.h"

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace boshd::bosh {

class Engine final {
public:
    // |random| and |log| must outlive the engine.
    Engine(const Limits& limits, RouteTable routes, util::Random& random, const util::Logger& log);

    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Handles |event| at time |now|, appending what must be done to |out|
    // (which the caller empties and applies in order).
    void handle(const Event& event, util::TimePoint now, Actions& out);

    // A reload: new limits and routes for what comes next. Live sessions
    // keep what they negotiated (wait, hold, inactivity) and the route they
    // were created under; one whose domain no longer has a route ends with
    // host-gone on its next request (C124-17.2-05).
    void reconfigure(const Limits& limits, RouteTable routes);

    // When TimerDue should next be delivered; nullopt while nothing is due.
    std::optional<util::TimePoint> next_deadline() const;

    const Counters& counters() const { return counters_; }
    std::size_t session_count() const { return sessions_.size(); }
    // Sessions not yet ended: without those whose end only waits for a
    // request to carry it (C206-6-04). Counts them all, for shutdown.
    std::size_t live_session_count() const;

private:
    struct Slot {
        std::unique_ptr<Session> session;
        std::optional<util::TimePoint> armed; // its entry in timers_
    };

    void on_request(const RequestArrived& r, Context& ctx);
    // A request the front end could not use (engine_unusable.cpp).
    void on_unusable(const RequestUnusable& r, Context& ctx);
    void create_session(RequestId id, Request request, const util::Endpoint& client, Context& ctx);
    // Answers |id| with a terminal |c| and HTTP |status|; one log line, with
    // the client's address.
    void reject(RequestId id, Condition c, std::string_view reason, int status,
                const util::Endpoint& client, Context& ctx);
    // A creation over one of the client's limits (session.max_sessions_per_ip,
    // session.max_new_sessions_per_ip): policy-violation, logged once per
    // client and window (bosh/client_limits.h).
    void refuse_client(RequestId id, ClientLimits::Verdict why, bool legacy,
                       const util::Endpoint& client, Context& ctx);
    void on_timer(Context& ctx);
    void on_drain(Context& ctx);
    void on_shutdown(Context& ctx);
    // Every session's id, for events that visit them all (which may end some).
    std::vector<SessionId> all_sessions() const;
    // Runs |handle| on session |id| (if it still exists), then settles it.
    template <typename F> void run(SessionId id, Context& ctx, F&& handle);
    // The same for the session that owns |link|.
    template <typename F> void on_link(LinkId link, Context& ctx, F&& handle);

    // Bookkeeping after session |id| handled an event: indexes the requests
    // and links its parts reported taken or let go (ctx.lifetimes), re-arms
    // its timer, and removes the session once it has finished.
    void settle(SessionId id, Context& ctx);
    std::string new_sid();

    Limits limits_;
    RouteTable routes_;
    IdIssuer ids_;
    const util::Logger& log_;
    Counters counters_;
    ClientLimits clients_;
    Lifetimes lifetimes_;   // reused for every session call
    bool stopping_ = false; // Drain or Shutdown came: no new session

    std::unordered_map<SessionId, Slot, IdHash> sessions_;
    std::unordered_map<std::string, SessionId> by_sid_;
    std::unordered_map<LinkId, SessionId, IdHash> by_link_;
    std::unordered_map<RequestId, SessionId, IdHash> by_request_; // held or parked requests
    std::set<std::pair<util::TimePoint, SessionId>> timers_;
};

} // namespace boshd::bosh
