// svc::Server, continued: stopping. SIGTERM or SIGINT starts a drain
// (Running -> Draining), the grace period or the last session ends it
// (Ending), and the loop exits once every link is closed.
#include "net/clock.h"
#include "svc/server.h"

#include <csignal>
#include <event2/event.h>
#include <exception>

namespace boshd::svc {

namespace {

// After the shutdown answers are out and every XMPP stream is closed, leave
// the loop a moment to flush the last HTTP replies; never wait for the
// streams' closing handshakes longer than kCloseLimit.
constexpr timeval kFlushDelay{0, 250 * 1000};
constexpr timeval kCloseLimit{5, 0};

} // namespace

void Server::on_signal(int signal, short, void* self) noexcept {
    auto* server = static_cast<Server*>(self);
    if (signal == SIGHUP) {
        if (server->phase_ == Phase::Running) {
            try {
                server->reload();
            } catch (const std::exception& e) { // no exception crosses a libevent callback
                server->log_.error("config.reload_failed", {{"reason", e.what()}});
            }
        } else {
            server->log_.notice("signal.ignored", {{"signal", "HUP"}, {"reason", "stopping"}});
        }
        return;
    }
    if (server->phase_ != Phase::Running) {
        server->log_.notice("shutdown.forced", {});
        event_base_loopbreak(server->base_.get());
        return;
    }
    server->begin_drain(signal == SIGTERM ? "TERM" : "INT");
}

void Server::begin_drain(const char* signal) {
    phase_ = Phase::Draining;
    notify_.stopping();
    const auto grace = config_.service.shutdown_grace;
    log_.notice("shutdown.begin", {{"signal", signal},
                                   {"sessions", engine_.live_session_count()},
                                   {"grace", static_cast<std::int64_t>(grace.count())}});
    if (grace.count() == 0) {
        return end_sessions();
    }
    // New sessions get system-shutdown (C124-17.2-14), held requests their
    // answer; the listener stays open so that live sessions go on.
    dispatch(bosh::Drain{});
    if (phase_ == Phase::Draining) { // not already over: no session was live
        const timeval tv = net::to_timeval(grace);
        evtimer_add(grace_timer_.get(), &tv);
    }
}

void Server::on_grace_over(int, short, void* self) noexcept {
    static_cast<Server*>(self)->end_sessions();
}

void Server::end_sessions() {
    if (phase_ == Phase::Ending) {
        return;
    }
    phase_ = Phase::Ending;
    evtimer_del(grace_timer_.get());
    log_.notice("shutdown.end", {{"sessions", engine_.live_session_count()}});
    http_->stop_listening();
    // C124-17.2-14: every session still open ends with system-shutdown.
    dispatch(bosh::Shutdown{});
    event_base_loopexit(base_.get(), &kCloseLimit);
    check_stopping();
}

void Server::check_stopping() {
    if (phase_ == Phase::Draining && engine_.live_session_count() == 0) {
        end_sessions();
    } else if (phase_ == Phase::Ending && links_.empty() && !exiting_) {
        exiting_ = true;
        event_base_loopexit(base_.get(), &kFlushDelay);
    }
}

} // namespace boshd::svc
