// What boshd tells systemd and takes from it, through libsystemd (optional:
// without it, or outside systemd, every call here does nothing).
//   - Readiness and state (Type=notify, sd_notify(3)): READY=1 once
//     listening, STATUS= with the number of sessions, RELOADING=1 (with
//     MONOTONIC_USEC) then READY=1 around a reload, STOPPING=1 when the drain
//     starts, WATCHDOG=1 while the event loop runs.
//   - Socket activation (sd_listen_fds_with_names(3)): the listening sockets
//     systemd passes, by FileDescriptorName: "bosh" (or unnamed) for the BOSH
//     listener, "admin" for the admin listener.
#pragma once

#include "util/log.h"
#include "util/time.h"

#include <cstddef>
#include <optional>
#include <string_view>

namespace boshd::svc::systemd {

// True when built with libsystemd.
bool available();

struct PassedSockets {
    std::optional<int> bosh;
    std::optional<int> admin;
};

// Takes the listening sockets systemd passed (LISTEN_FDS, LISTEN_PID,
// LISTEN_FDNAMES; unset afterwards so that no child inherits them). A socket
// with another name is closed and logged. Throws std::runtime_error when
// LISTEN_FDS is set but the sockets cannot be used.
PassedSockets take_passed_sockets(const util::Logger& log);

class Notifier {
public:
    // Reads NOTIFY_SOCKET and WATCHDOG_USEC; without them it stays silent.
    Notifier();

    bool enabled() const { return enabled_; }
    // Half the watchdog interval systemd asked for, when it asked.
    std::optional<util::Duration> watchdog_period() const { return watchdog_period_; }

    void ready(std::size_t sessions) const;
    void status(std::size_t sessions) const;
    // RELOADING=1 with MONOTONIC_USEC (systemd 253's Type=notify-reload
    // wants it; older ones ignore it).
    void reloading() const;
    void stopping() const;
    void watchdog() const;

private:
    void send(std::string_view state) const;

    bool enabled_ = false;
    std::optional<util::Duration> watchdog_period_;
};

} // namespace boshd::svc::systemd
