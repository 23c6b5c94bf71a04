// The configuration file: TOML (toml++), validated into one immutable Config.
// Every key but the route table has a default, so a file holding only
// [http] listen/path and one [[route]] works. Errors name the file position:
// "boshd.toml:14:9: session.max_wait: must be an integer in [1, 3600]".
#pragma once

#include "bosh/limits.h"
#include "bosh/route.h"
#include "util/log.h"
#include "util/time.h"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace boshd::svc {

struct HttpConfig {
    std::string listen_host = "127.0.0.1"; // from `listen = "host:port"`; IPv6 as "[::1]:5280"
    std::uint16_t listen_port = 5280;      // 0 picks a free port (tests)
    std::string path = "/http-bind";
    std::size_t max_body_size = 64 * 1024;
    // Idle keep-alive connections and slow request reads are closed after
    // this; it never cuts a held request (evhttp stops reading while holding).
    util::Seconds idle_timeout{60};
    // Origins allowed by CORS; "*" allows any. Empty: no CORS headers at all.
    std::vector<std::string> cors_origins = {"*"};
};

struct LogConfig {
    util::LogLevel level = util::LogLevel::Info;
};

struct Config {
    HttpConfig http;
    bosh::Limits limits; // [session] and [backend]
    std::vector<bosh::Route> routes;
    LogConfig log;
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
