#include "svc/systemd.h"

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <memory>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#if BOSHD_HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace boshd::svc::systemd {

namespace {

std::string sessions_status(std::size_t sessions) {
    return "STATUS=" + std::to_string(sessions) + (sessions == 1 ? " session" : " sessions");
}

} // namespace

#if BOSHD_HAVE_LIBSYSTEMD

bool available() {
    return true;
}

PassedSockets take_passed_sockets(const util::Logger& log) {
    char** names = nullptr;
    const int n = sd_listen_fds_with_names(1, &names);
    if (n < 0) {
        throw std::runtime_error(std::string("socket activation: ") + std::strerror(-n));
    }
    // The names are ours to free, each and then the array.
    struct FreeNames {
        int n;
        void operator()(char** names) const {
            for (int i = 0; i < n; ++i) {
                std::free(names[i]);
            }
            std::free(static_cast<void*>(names));
        }
    };
    const std::unique_ptr<char*, FreeNames> guard(names, FreeNames{n});
    PassedSockets passed;
    for (int i = 0; i < n; ++i) {
        const int fd = SD_LISTEN_FDS_START + i;
        // A .socket without FileDescriptorName= passes the unit's name, so
        // "boshd.socket" counts as the BOSH listener too.
        const std::string_view name = names != nullptr ? names[i] : "";
        const bool stream = sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) > 0;
        std::optional<int>* slot = nullptr;
        if (name == "admin") {
            slot = &passed.admin;
        } else if (name == "bosh" || name == "boshd.socket" || name == "unknown" || name.empty()) {
            slot = &passed.bosh;
        }
        if (slot == nullptr || slot->has_value() || !stream) {
            log.warning("systemd.socket_ignored",
                        {{"fd", fd},
                         {"name", name},
                         {"reason", !stream           ? "not a listening stream socket"
                                    : slot == nullptr ? "unknown FileDescriptorName"
                                                      : "a second socket of that name"}});
            ::close(fd);
            continue;
        }
        // Passed sockets are blocking unless the unit says NonBlocking=:
        // accept() on one would stall the event loop.
        const int flags = fcntl(fd, F_GETFL);
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        *slot = fd;
        log.info("systemd.socket", {{"fd", fd}, {"name", name}});
    }
    return passed;
}

Notifier::Notifier() {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    enabled_ = socket != nullptr && *socket != '\0';
    std::uint64_t usec = 0;
    if (enabled_ && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        watchdog_period_ =
            std::chrono::duration_cast<util::Duration>(std::chrono::microseconds(usec / 2));
    }
}

void Notifier::send(std::string_view state) const {
    if (enabled_) {
        sd_notify(0, std::string(state).c_str());
    }
}

#else // without libsystemd: nothing is passed, nothing is told

bool available() {
    return false;
}

PassedSockets take_passed_sockets(const util::Logger& log) {
    if (std::getenv("LISTEN_FDS") != nullptr) {
        log.warning("systemd.socket_ignored",
                    {{"reason", "boshd was built without libsystemd; it binds its own sockets"}});
    }
    return {};
}

Notifier::Notifier() = default;

void Notifier::send(std::string_view) const {}

#endif

void Notifier::ready(std::size_t sessions) const {
    send("READY=1\n" + sessions_status(sessions));
}

void Notifier::status(std::size_t sessions) const {
    send(sessions_status(sessions));
}

void Notifier::reloading() const {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    const auto usec = static_cast<std::uint64_t>(ts.tv_sec) * 1000000u +
                      static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
    send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void Notifier::stopping() const {
    send("STOPPING=1");
}

void Notifier::watchdog() const {
    send("WATCHDOG=1");
}

} // namespace boshd::svc::systemd
