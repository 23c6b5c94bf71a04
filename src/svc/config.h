// The configuration file: TOML (toml++), validated into one immutable Config.
// Every key but the route table has a default, so a file holding only
// [http] listen/path and one [[route]] works. Errors name the file position:
// "boshd.toml:14:9: session.max_wait: must be an integer in [1, 3600]".
#pragma once

#include "bosh/limits.h"
#include "bosh/route.h"
#include "net/http_config.h"
#include "util/log.h"
#include "util/time.h"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace boshd::svc {

// The HTTP front end's settings are its own (net/http_config.h); the file
// fills them from [http].
using HttpConfig = net::HttpConfig;

struct LogConfig {
    util::LogLevel level = util::LogLevel::Info;

    bool operator==(const LogConfig&) const = default;
};

// [service]: the process as a system service.
struct ServiceConfig {
    // On SIGTERM, how long live sessions may go on before they are ended.
    util::Seconds shutdown_grace{10};

    bool operator==(const ServiceConfig&) const = default;
};

// [admin]: the listener of GET /metrics, /healthz and the status page
// (svc/admin.h). Off unless `listen` names an address.
struct AdminConfig {
    std::string listen_host; // empty: no admin listener
    std::uint16_t listen_port = 0;

    bool enabled() const { return !listen_host.empty(); }
    bool operator==(const AdminConfig&) const = default;
};

// [backend], what is not an engine limit: the DNS servers of the backend
// links (net/dns_resolver.h).
struct BackendConfig {
    // "" for the system's (/etc/resolv.conf), else "address:port" in c-ares'
    // server form ("127.0.0.1:5353", "[::1]:53").
    std::string resolver;

    bool operator==(const BackendConfig&) const = default;
};

struct Config {
    HttpConfig http;
    bosh::Limits limits; // [session] and [backend]
    BackendConfig backend;
    std::vector<bosh::Route> routes;
    LogConfig log;
    ServiceConfig service;
    AdminConfig admin;

    bool operator==(const Config&) const = default;
};

class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Parses |text|; |source| names it in error messages. Throws ConfigError.
Config parse_config(std::string_view text, std::string_view source);

// Reads and parses the file at |path|. Throws ConfigError (also when the file
// cannot be read).
Config load_config(const std::string& path);

} // namespace boshd::svc
