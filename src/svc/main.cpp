// boshd: a BOSH (XEP-0124, XEP-0206) connection manager.
//
//   boshd [--config FILE]          run (FILE defaults to SYSCONFDIR/boshd/boshd.toml)
//   boshd [--config FILE] --check-config
//
// Exit codes follow sysexits(3): 64 usage, 78 configuration, 69 the listener
// or another resource is unavailable, 70 an internal error.
#include "svc/config.h"
#include "svc/log_sink.h"
#include "svc/server.h"
#include "svc/systemd.h"
#include "util/log.h"
#include "util/random.h"

#include <csignal>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <sysexits.h>

namespace {

// Set by the build from meson's prefix and sysconfdir.
constexpr std::string_view kDefaultConfig = BOSHD_DEFAULT_CONFIG;

constexpr std::string_view kUsage =
    "usage: boshd [--config FILE] [--check-config]\n"
    "       boshd --version | --help\n"
    "\n"
    "  --config FILE    TOML configuration (default " BOSHD_DEFAULT_CONFIG ")\n"
    "  --check-config   validate the configuration and the files it names, and exit\n"
    "                   (0 valid, 78 invalid)\n";

struct Options {
    std::string config{kDefaultConfig};
    bool check_only = false;
};

int usage_error(std::string_view message) {
    std::fprintf(stderr, "boshd: %.*s\n%.*s", static_cast<int>(message.size()), message.data(),
                 static_cast<int>(kUsage.size()), kUsage.data());
    return EX_USAGE;
}

} // namespace

int main(int argc, char** argv) {
    Options opts;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
            return EX_OK;
        }
        if (arg == "--version") {
            std::puts("boshd " BOSHD_VERSION);
            return EX_OK;
        }
        if (arg == "--check-config") {
            opts.check_only = true;
        } else if (arg == "--config" && i + 1 < argc) {
            opts.config = argv[++i];
        } else if (arg.starts_with("--config=")) {
            opts.config = std::string(arg.substr(9));
        } else {
            return usage_error("unknown argument '" + std::string(arg) + "'");
        }
    }
    if (opts.config.empty()) {
        return usage_error("--config needs a file name");
    }

    boshd::svc::Config config;
    try {
        config = boshd::svc::load_config(opts.config);
    } catch (const boshd::svc::ConfigError& e) {
        std::fprintf(stderr, "boshd: %s\n", e.what());
        return EX_CONFIG;
    }
    if (opts.check_only) {
        // Every file the configuration names is opened, as a start would.
        try {
            boshd::svc::Server::load_tls(config);
            boshd::svc::Server::load_https(config);
        } catch (const boshd::net::TlsFileError& e) {
            std::fprintf(stderr, "boshd: %s: %s\n", opts.config.c_str(), e.what());
            return EX_CONFIG;
        }
        std::printf("boshd: %s is valid\n", opts.config.c_str());
        return EX_OK;
    }

    // Writes to a peer that has gone must fail with EPIPE, not kill us.
    std::signal(SIGPIPE, SIG_IGN);

    boshd::svc::StderrSink sink;
    boshd::util::Logger log(sink, config.log.level);
    boshd::util::CryptoRandom random;
    try {
        boshd::svc::Server server(config, opts.config, log, random);
        std::uint16_t port = 0;
        std::optional<std::uint16_t> admin_port; // [admin], or systemd's admin socket
        try {
            // Socket activation: serve what systemd passed instead of binding.
            const auto passed = boshd::svc::systemd::take_passed_sockets(log);
            port = server.listen(passed.bosh);
            admin_port = server.listen_admin(passed.admin);
        } catch (const std::exception& e) {
            log.error("startup.failed", {{"reason", e.what()}});
            return EX_UNAVAILABLE;
        }
        log.notice("boshd.listening", {{"address", config.http.listen_host},
                                       {"port", port},
                                       {"path", config.http.path},
                                       {"routes", config.routes.size()}});
        if (admin_port) {
            log.notice("admin.listening",
                       {{"address", config.admin.listen_host}, {"port", *admin_port}});
        }
        // One machine-readable line for scripts and tests that start boshd on
        // port 0; with [admin], a second one after it names the admin port.
        std::printf("READY port=%u\n", static_cast<unsigned>(port));
        if (admin_port) {
            std::printf("ADMIN port=%u\n", static_cast<unsigned>(*admin_port));
        }
        std::fflush(stdout);
        server.run();
        log.notice("boshd.stopped", {});
    } catch (const boshd::net::TlsFileError& e) {
        log.error("startup.failed", {{"config", opts.config}, {"reason", e.what()}});
        return EX_CONFIG;
    } catch (const std::exception& e) {
        log.error("startup.failed", {{"reason", e.what()}});
        return EX_SOFTWARE;
    }
    return EX_OK;
}
