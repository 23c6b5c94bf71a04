#include "bosh/engine.h"

#include "bosh/body_builder.h"
#include "xml/body_parser.h"

#include <algorithm>

namespace boshd::bosh {

namespace {

template <class... Ts> struct Overloaded : Ts... { using Ts::operator()...; };
template <class... Ts> Overloaded(Ts...) -> Overloaded<Ts...>;

} // namespace

Engine::Engine(const Limits& limits, RouteTable routes, util::Random& random,
               const util::Logger& log)
    : limits_(limits), routes_(std::move(routes)), ids_(random), log_(log), clients_(log) {}

void Engine::reconfigure(const Limits& limits, RouteTable routes) {
    limits_ = limits;
    routes_ = std::move(routes);
}

void Engine::handle(const Event& event, util::TimePoint now, Actions& out) {
    Context ctx{now, out, counters_, log_, limits_, routes_, ids_, lifetimes_};
    std::visit(
        Overloaded{
            [&](const RequestArrived& e) { on_request(e, ctx); },
            [&](const RequestUnusable& e) { on_unusable(e, ctx); },
            [&](const RequestAborted& e) {
                auto it = by_request_.find(e.id);
                if (it == by_request_.end()) {
                    return;
                }
                // The client is gone; no action names the request again.
                const SessionId sid = it->second;
                by_request_.erase(it);
                run(sid, ctx, [&](Session& s) { s.on_aborted(e.id, ctx); });
            },
            [&](const BackendConnected& e) {
                on_link(e.link, ctx, [&](Session& s) { s.on_backend_connected(e.link, ctx); });
            },
            [&](const BackendTlsReady& e) {
                on_link(e.link, ctx, [&](Session& s) { s.on_backend_tls_ready(e.link, ctx); });
            },
            [&](const BackendData& e) {
                on_link(e.link, ctx, [&](Session& s) { s.on_backend_data(e.link, e.bytes, ctx); });
            },
            [&](const BackendClosed& e) {
                // The adapter has let go of the link; no event names it again.
                on_link(e.link, ctx,
                        [&](Session& s) { s.on_backend_closed(e.link, e.reason, ctx); });
                by_link_.erase(e.link);
            },
            [&](const TimerDue&) { on_timer(ctx); },
            [&](const Drain&) { on_drain(ctx); },
            [&](const Shutdown&) { on_shutdown(ctx); },
        },
        event);
    counters_.sessions_active = sessions_.size();
    counters_.requests_pending = by_request_.size();
    counters_.client_table_evictions = clients_.evictions();
}

template <typename F> void Engine::run(SessionId id, Context& ctx, F&& handle) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
        return;
    }
    ctx.lifetimes.clear();
    handle(*it->second.session);
    settle(id, ctx);
}

template <typename F> void Engine::on_link(LinkId link, Context& ctx, F&& handle) {
    auto it = by_link_.find(link);
    if (it != by_link_.end()) { // else the session ended and let go of the link already
        run(it->second, ctx, std::forward<F>(handle));
    }
}

void Engine::reject(RequestId id, Condition c, std::string_view reason, int status,
                    const util::Endpoint& client, Context& ctx) {
    ctx.log.notice("request.rejected", {{"req", value_of(id)},
                                        {"ip", client.address.to_string()},
                                        {"condition", to_string(c)},
                                        {"reason", reason}});
    ++counters_.requests_rejected;
    ctx.respond(id, make_reply(BodyBuilder().terminate(c).finish(), kDefaultContentType, status));
}

void Engine::on_request(const RequestArrived& r, Context& ctx) {
    ++counters_.requests;
    auto body = xml::parse_body(r.body, {limits_.max_xml_depth, limits_.max_xml_elements});
    if (!body) {
        // Not a binding element at all, so no session can be named and whether
        // the client is a legacy one (no `ver`) cannot be known: answer as to a
        // current client, 200 with bad-request (C124-17.1-01, C124-17.2-04).
        return reject(r.id, Condition::BadRequest, body.error(), 200, r.client, ctx);
    }
    auto attrs = parse_attrs(body.value());
    // Only a body without `sid` creates a session; one with a sid is looked
    // up, never used to create one (C124-7.1-01).
    const auto sid = body->attribute({}, "sid");
    if (!sid) {
        if (!attrs) {
            // A creation request that breaks the schema (C124-6-10); legacy
            // clients (no ver) get HTTP 400 (C124-17.1-02).
            const bool legacy = !body->attribute({}, "ver");
            return reject(r.id, Condition::BadRequest, attrs.error(), legacy ? 400 : 200, r.client,
                          ctx);
        }
        return create_session(r.id, Request{std::move(attrs.value()), std::move(body->payloads)},
                              r.client, ctx);
    }
    auto found = by_sid_.find(std::string(*sid));
    if (found == by_sid_.end()) {
        // Unknown (or ended: C124-10-02) session: item-not-found (C124-17.2-09). Whether
        // the client is a legacy one cannot be known here, so 200 (§A-4).
        return reject(r.id, Condition::ItemNotFound, "unknown sid", 200, r.client, ctx);
    }
    const SessionId id = found->second;
    run(id, ctx, [&](Session& s) {
        if (!s.ended() && !routes_.find(s.params().route->domain)) {
            s.on_route_gone(r.id, ctx); // C124-17.2-05
        } else if (!attrs) {
            s.on_bad_request(r.id, attrs.error(), ctx);
        } else if (!attrs->rid) {
            s.on_bad_request(r.id, "missing rid", ctx); // C124-6-09
        } else {
            s.on_request(r.id, Request{std::move(attrs.value()), std::move(body->payloads)}, ctx);
        }
    });
}

void Engine::create_session(RequestId id, Request request, const util::Endpoint& client,
                            Context& ctx) {
    const auto& a = request.attrs;
    // A client that sent no `ver` is a legacy one: 400/403/404 (C124-17.1-02).
    const auto refuse = [&](Condition c, std::string_view reason) {
        reject(id, c, reason, a.ver ? 200 : legacy_http_status(c), client, ctx);
    };
    if (stopping_) {
        return refuse(Condition::SystemShutdown, "shutting down"); // C124-17.2-14
    }
    if (!a.rid) {
        return refuse(Condition::BadRequest, "missing rid"); // C124-6-09
    }
    if (!a.to || a.to->empty()) {
        return refuse(Condition::ImproperAddressing, "missing to"); // C124-17.2-07
    }
    auto route = routes_.find(*a.to);
    if (!route) {
        // boshd is never an open relay (C124-17.2-06; `route` is ignored, C124-7.1-05).
        return refuse(Condition::HostUnknown, "no route for the domain");
    }
    if (std::any_of(request.payloads.begin(), request.payloads.end(),
                    xmpp::is_stream_negotiation)) {
        return refuse(Condition::BadRequest,
                      "TLS or compression negotiation over BOSH"); // C206-2-06, C206-4-06
    }
    if (xml::total_bytes(request.payloads) > limits_.max_server_queue) {
        return refuse(Condition::PolicyViolation, "payloads over session.max_server_queue");
    }
    if (sessions_.size() >= limits_.max_sessions) {
        // No other condition fits a full server (C124-17.2-15).
        ++counters_.refused_max_sessions;
        return refuse(Condition::UndefinedCondition, "session.max_sessions reached");
    }
    // Last, so that only a creation that goes ahead takes a token.
    if (const auto verdict = clients_.admit(client.address, ctx.now, limits_);
        verdict != ClientLimits::Verdict::Allowed) {
        return refuse_client(id, verdict, !a.ver, client, ctx);
    }

    SessionParams p;
    p.id = ids_.session();
    p.link = ids_.link();
    p.sid = new_sid();
    p.client = client;
    p.ip = client.address.to_string();
    if (limits_.max_streams > 1) {
        p.stream_name = ids_.token(); // C124-16.2-01, C124-16.2-02
    }
    p.route = std::move(route);
    p.creation_rid = *a.rid;
    // C124-7.2-03: never longer than the client asked for; C124-7.2-10: never
    // hold more than the client asked for.
    const auto wait =
        util::Seconds(a.wait.value_or(static_cast<std::uint32_t>(limits_.max_wait.count())));
    p.wait = std::min<util::Duration>(wait, limits_.max_wait);
    p.hold = std::min(a.hold.value_or(1), limits_.max_hold);
    // C124-7.2-04, C124-7.2-05: the recommended hold + 1, so never forced
    // polling with requests='1' (C124-12-01).
    p.requests = p.hold + 1;
    p.polling = limits_.polling;
    // C124-12-02: polling sessions get a longer inactivity, by more than `polling`.
    p.inactivity =
        limits_.inactivity + (p.polling_session() ? 2 * limits_.polling : util::Seconds::zero());
    p.ver = a.ver;
    // C124-7.1-08, C124-7.1-09: `content`, or text/xml; charset=utf-8.
    p.content_type = a.content.value_or(std::string(kDefaultContentType));
    p.acks = limits_.request_acks;
    p.accept = limits_.accept;
    p.client_acks = a.ack == 1u;     // XEP-0124 §9.2: ack='1' on creation
    p.max_pause = limits_.max_pause; // §10; zero: no pause support
    p.newkey = a.newkey;             // §15: a key chain starts here (C124-15.4-01)
    p.header.to = *a.to;             // the first stream's target domain (C124-7.1-02)
    p.header.lang = a.lang.value_or("");
    p.header.from = a.from.value_or("");
    p.header.version = a.xmpp_version.value_or("1.0"); // C206-3-01

    const SessionId sid = p.id;
    std::string sid_text = p.sid;
    ctx.log.info("session.created",
                 {{"sid", sid_text},
                  {"ip", p.ip},
                  {"to", *a.to},
                  {"rid", *a.rid},
                  {"wait", static_cast<std::int64_t>(
                               std::chrono::duration_cast<util::Seconds>(p.wait).count())},
                  {"hold", p.hold}});
    ctx.lifetimes.clear();
    auto session = std::make_unique<Session>(std::move(p), id, std::move(request.payloads), ctx);
    sessions_.emplace(sid, Slot{std::move(session), std::nullopt});
    by_sid_.emplace(std::move(sid_text), sid);
    clients_.opened(client.address);
    ++counters_.sessions_created;
    settle(sid, ctx);
}

void Engine::refuse_client(RequestId id, ClientLimits::Verdict why, bool legacy,
                           const util::Endpoint& client, Context& ctx) {
    const bool open = why == ClientLimits::Verdict::TooManySessions;
    ++(open ? counters_.refused_max_sessions_per_ip : counters_.refused_max_new_sessions_per_ip);
    ++counters_.requests_rejected;
    // A client over its limit may be a flood: one line per client and
    // window, saying how many went unlogged since the last (README: Log events).
    if (const auto unlogged = clients_.refused(client.address, ctx.now, limits_)) {
        ctx.log.notice("session.refused", {{"req", value_of(id)},
                                           {"ip", client.address.to_string()},
                                           {"limit", open ? "session.max_sessions_per_ip"
                                                          : "session.max_new_sessions_per_ip"},
                                           {"condition", to_string(Condition::PolicyViolation)},
                                           {"unlogged", *unlogged}});
    }
    // Terminal, and no OpenBackend: the XMPP server never hears of it. A
    // legacy client (no `ver`) gets 403 (C124-17.1-02).
    const int status = legacy ? legacy_http_status(Condition::PolicyViolation) : 200;
    ctx.respond(id, make_reply(BodyBuilder().terminate(Condition::PolicyViolation).finish(),
                               kDefaultContentType, status));
}

std::string Engine::new_sid() {
    std::string sid;
    do {
        sid = ids_.token(); // C124-7.2-01
    } while (by_sid_.contains(sid));
    return sid;
}

void Engine::settle(SessionId id, Context& ctx) {
    const Lifetimes& lt = ctx.lifetimes;
    // Taken before released within one call (Lifetimes), so in this order.
    for (RequestId r : lt.requests_taken) {
        by_request_.emplace(r, id);
    }
    for (RequestId r : lt.requests_released) {
        by_request_.erase(r);
    }
    for (LinkId l : lt.links_opened) {
        by_link_.emplace(l, id);
    }
    for (LinkId l : lt.links_released) {
        by_link_.erase(l);
    }
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
        return;
    }
    Slot& slot = it->second;
    if (slot.armed) {
        timers_.erase({*slot.armed, id});
    }
    if (slot.session->finished()) {
        // Its requests and links are already gone from the indexes: each
        // was released above or ended by its event (RequestAborted,
        // BackendClosed).
        clients_.closed(slot.session->params().client.address);
        by_sid_.erase(slot.session->params().sid);
        sessions_.erase(it);
        return;
    }
    slot.armed = slot.session->next_deadline();
    if (slot.armed) {
        timers_.emplace(*slot.armed, id);
    }
}

void Engine::on_timer(Context& ctx) {
    std::vector<SessionId> due;
    for (auto it = timers_.begin(); it != timers_.end() && it->first <= ctx.now; ++it) {
        due.push_back(it->second);
    }
    for (auto id : due) {
        run(id, ctx, [&](Session& s) { s.on_timer(ctx); });
    }
}

void Engine::on_drain(Context& ctx) {
    stopping_ = true;
    for (auto id : all_sessions()) {
        run(id, ctx, [&](Session& s) { s.drain(ctx); });
    }
}

void Engine::on_shutdown(Context& ctx) {
    stopping_ = true;
    for (auto id : all_sessions()) {
        run(id, ctx, [&](Session& s) { s.shutdown(ctx); });
    }
}

std::vector<SessionId> Engine::all_sessions() const {
    std::vector<SessionId> all;
    all.reserve(sessions_.size());
    for (const auto& [id, slot] : sessions_) {
        all.push_back(id);
    }
    return all;
}

std::size_t Engine::live_session_count() const {
    return static_cast<std::size_t>(
        std::count_if(sessions_.begin(), sessions_.end(),
                      [](const auto& s) { return !s.second.session->ended(); }));
}

std::optional<util::TimePoint> Engine::next_deadline() const {
    if (timers_.empty()) {
        return std::nullopt;
    }
    return timers_.begin()->first;
}

} // namespace boshd::bosh
