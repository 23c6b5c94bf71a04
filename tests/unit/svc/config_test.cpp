#include "svc/config.h"

#include <cstdint>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <unistd.h>

using boshd::bosh::Route;
using boshd::bosh::TlsMode;
using boshd::svc::Config;
using boshd::svc::ConfigError;
using boshd::svc::load_config;
using boshd::svc::parse_config;
using boshd::util::LogLevel;

namespace {

constexpr const char* kSource = "t.toml";
// A route that every document needs; appended last so that the keys under
// test keep their line numbers.
const std::string kRoute = "[[route]]\ndomain = \"example.org\"\n";

Config parse(const std::string& text) {
    return parse_config(text, kSource);
}

// The message of the ConfigError |text| raises, or a marker when it parses.
std::string error_of(const std::string& text) {
    try {
        parse(text);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "<parsed without error>";
}

void check_route_eq(const Route& a, const Route& b) {
    CHECK(a.domain == b.domain);
    CHECK(a.host == b.host);
    CHECK(a.port == b.port);
    CHECK(a.tls == b.tls);
    CHECK(a.tls_verify == b.tls_verify);
    CHECK(a.tls_server_name == b.tls_server_name);
    CHECK(a.tls_ca_file == b.tls_ca_file);
    CHECK(a.srv == b.srv);
}

// Everything but the routes, which callers compare explicitly.
void check_settings_eq(const Config& a, const Config& b) {
    CHECK(a.http.listen_host == b.http.listen_host);
    CHECK(a.http.listen_port == b.http.listen_port);
    CHECK(a.http.path == b.http.path);
    CHECK(a.http.max_body_size == b.http.max_body_size);
    CHECK(a.http.idle_timeout.count() == b.http.idle_timeout.count());
    CHECK(a.http.compress_min_size == b.http.compress_min_size);
    CHECK(a.http.cors_origins == b.http.cors_origins);
    CHECK(a.limits.max_wait.count() == b.limits.max_wait.count());
    CHECK(a.limits.max_hold == b.limits.max_hold);
    CHECK(a.limits.inactivity.count() == b.limits.inactivity.count());
    CHECK(a.limits.polling.count() == b.limits.polling.count());
    CHECK(a.limits.max_sessions == b.limits.max_sessions);
    CHECK(a.limits.max_pause.count() == b.limits.max_pause.count());
    CHECK(a.limits.max_streams == b.limits.max_streams);
    CHECK(a.limits.max_stanza_size == b.limits.max_stanza_size);
    CHECK(a.limits.max_client_queue == b.limits.max_client_queue);
    CHECK(a.limits.max_server_queue == b.limits.max_server_queue);
    CHECK(a.limits.backend_timeout.count() == b.limits.backend_timeout.count());
    CHECK(a.limits.max_xml_depth == b.limits.max_xml_depth);
    CHECK(a.limits.max_xml_elements == b.limits.max_xml_elements);
    CHECK(a.limits.request_acks == b.limits.request_acks);
    CHECK(a.log.level == b.log.level);
    CHECK(a.admin.listen_host == b.admin.listen_host);
    CHECK(a.admin.listen_port == b.admin.listen_port);
    CHECK(a.backend.resolver == b.backend.resolver);
}

Route route(std::string domain, std::string host, std::uint16_t port, TlsMode tls) {
    Route r;
    r.domain = std::move(domain);
    r.host = std::move(host);
    r.port = port;
    r.tls = tls;
    return r;
}

struct IntKeyCase {
    std::string section; // "" for the route table
    std::string key;
    std::int64_t min;
    std::int64_t max;
    std::function<std::int64_t(const Config&)> get;
};

const std::vector<IntKeyCase>& int_keys() {
    static const std::vector<IntKeyCase> cases = {
        {"http", "max_body_size", 1024, 16777216,
         [](const Config& c) {
             return std::int64_t(c.http.max_body_size);
         }},
        {"http", "idle_timeout", 1, 3600,
         [](const Config& c) {
             return std::int64_t(c.http.idle_timeout.count());
         }},
        {"http", "compress_min_size", 0, 16777216,
         [](const Config& c) {
             return std::int64_t(c.http.compress_min_size);
         }},
        {"session", "max_wait", 1, 3600,
         [](const Config& c) {
             return std::int64_t(c.limits.max_wait.count());
         }},
        {"session", "max_hold", 0, 16,
         [](const Config& c) {
             return std::int64_t(c.limits.max_hold);
         }},
        {"session", "inactivity", 1, 3600,
         [](const Config& c) {
             return std::int64_t(c.limits.inactivity.count());
         }},
        {"session", "polling", 0, 600,
         [](const Config& c) {
             return std::int64_t(c.limits.polling.count());
         }},
        {"session", "max_sessions", 1, 1000000,
         [](const Config& c) {
             return std::int64_t(c.limits.max_sessions);
         }},
        {"session", "max_pause", 0, 86400,
         [](const Config& c) {
             return std::int64_t(c.limits.max_pause.count());
         }},
        {"session", "max_streams", 1, 16,
         [](const Config& c) {
             return std::int64_t(c.limits.max_streams);
         }},
        {"session", "max_client_queue", 4096, 1073741824,
         [](const Config& c) {
             return std::int64_t(c.limits.max_client_queue);
         }},
        {"session", "max_server_queue", 4096, 1073741824,
         [](const Config& c) {
             return std::int64_t(c.limits.max_server_queue);
         }},
        {"session", "max_unacked_responses", 16, 65536,
         [](const Config& c) {
             return std::int64_t(c.limits.max_unacked_responses);
         }},
        {"session", "max_xml_depth", 2, 256,
         [](const Config& c) {
             return std::int64_t(c.limits.max_xml_depth);
         }},
        {"session", "max_xml_elements", 2, 1000000,
         [](const Config& c) {
             return std::int64_t(c.limits.max_xml_elements);
         }},
        {"backend", "timeout", 1, 600,
         [](const Config& c) {
             return std::int64_t(c.limits.backend_timeout.count());
         }},
        {"backend", "max_stanza_size", 1024, 16777216,
         [](const Config& c) {
             return std::int64_t(c.limits.max_stanza_size);
         }},
        {"", "port", 1, 65535,
         [](const Config& c) {
             return std::int64_t(c.routes.at(0).port);
         }},
    };
    return cases;
}

// A document setting |key| to |value| on line 2, and the key's display name.
std::pair<std::string, std::string> int_doc(const IntKeyCase& k, const std::string& value) {
    if (k.section.empty()) {
        return {"[[route]]\n" + k.key + " = " + value + "\ndomain = \"example.org\"\n",
                "route[0]." + k.key};
    }
    return {"[" + k.section + "]\n" + k.key + " = " + value + "\n" + kRoute,
            k.section + "." + k.key};
}

std::string source_dir_path(const std::string& rel) {
    return std::string(BOSHD_SOURCE_DIR) + "/" + rel;
}

// A file under the temp directory, removed again at scope exit.
struct TempFile {
    std::filesystem::path path;
    explicit TempFile(const std::string& content)
        : path(std::filesystem::temp_directory_path() /
               ("boshd_config_test_" + std::to_string(::getpid()) + ".toml")) {
        std::ofstream(path) << content;
    }
    ~TempFile() {
        std::error_code ec;
        std::filesystem::remove(path, ec);
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
};

} // namespace

TEST_SUITE("svc/config") {
    TEST_CASE("a minimal file gives the built-in defaults for every other key") {
        const auto config = parse(R"([http]
listen = "127.0.0.1:5280"
path = "/http-bind"

[[route]]
domain = "example.org"
host = "xmpp.example.org"
port = 5222
tls = "starttls"
tls_verify = true
)");
        check_settings_eq(config, Config{});
        REQUIRE(config.routes.size() == 1);
        check_route_eq(config.routes[0],
                       route("example.org", "xmpp.example.org", 5222, TlsMode::StartTls));
    }

    TEST_CASE("a route with only a domain takes host, port and TLS defaults") {
        const auto config = parse(kRoute);
        check_settings_eq(config, Config{});
        REQUIRE(config.routes.size() == 1);
        check_route_eq(config.routes[0],
                       route("example.org", "example.org", 5222, TlsMode::StartTls));
    }

    TEST_CASE("every key is read into its field") {
        const auto config = parse(R"(
[http]
listen = "[::1]:8080"
path = "/bosh"
max_body_size = 2048
idle_timeout = 30
compress_min_size = 0
cors_origins = ["https://chat.example.org", "http://localhost:8080"]

[session]
max_wait = 45
max_hold = 3
inactivity = 90
polling = 0
max_sessions = 500
max_pause = 0
max_client_queue = 8192
max_server_queue = 16384
max_unacked_responses = 64
max_xml_depth = 16
max_xml_elements = 100
request_acks = false

[backend]
timeout = 20
max_stanza_size = 4096

[log]
level = "debug"

[[route]]
domain = "Example.ORG"
host = "10.0.0.5"
port = 15222
tls = "direct"
tls_verify = false
tls_server_name = "xmpp.example.org"
tls_ca_file = "/etc/boshd/ca.pem"

[[route]]
domain = "other.example"
host = "::1"
tls = "none"
)");
        Config want;
        want.http.listen_host = "::1";
        want.http.listen_port = 8080;
        want.http.path = "/bosh";
        want.http.max_body_size = 2048;
        want.http.idle_timeout = std::chrono::seconds(30);
        want.http.compress_min_size = 0;
        want.http.cors_origins = {"https://chat.example.org", "http://localhost:8080"};
        want.limits.max_wait = std::chrono::seconds(45);
        want.limits.max_hold = 3;
        want.limits.inactivity = std::chrono::seconds(90);
        want.limits.polling = std::chrono::seconds(0);
        want.limits.max_sessions = 500;
        want.limits.max_pause = std::chrono::seconds(0);
        want.limits.max_client_queue = 8192;
        want.limits.max_unacked_responses = 64;
        want.limits.max_server_queue = 16384;
        want.limits.max_xml_depth = 16;
        want.limits.max_xml_elements = 100;
        want.limits.request_acks = false;
        want.limits.backend_timeout = std::chrono::seconds(20);
        want.limits.max_stanza_size = 4096;
        want.log.level = LogLevel::Debug;
        check_settings_eq(config, want);

        REQUIRE(config.routes.size() == 2);
        auto first = route("example.org", "10.0.0.5", 15222, TlsMode::Direct);
        first.tls_verify = false;
        first.tls_server_name = "xmpp.example.org";
        first.tls_ca_file = "/etc/boshd/ca.pem";
        check_route_eq(config.routes[0], first);
        check_route_eq(config.routes[1], route("other.example", "::1", 5222, TlsMode::None));
    }

    TEST_CASE("integer keys accept their bounds and refuse one past them") {
        for (const auto& k : int_keys()) {
            CAPTURE(k.key);
            for (auto v : {k.min, k.max}) {
                CHECK(k.get(parse(int_doc(k, std::to_string(v)).first)) == v);
            }
            for (auto v : {k.min - 1, k.max + 1}) {
                const auto [doc, name] = int_doc(k, std::to_string(v));
                const auto column = std::to_string(k.key.size() + 4);
                CHECK(error_of(doc) == std::string(kSource) + ":2:" + column + ": " + name +
                                           ": must be an integer in [" + std::to_string(k.min) +
                                           ", " + std::to_string(k.max) + "]");
            }
        }
    }

    TEST_CASE("integer keys refuse floats, strings and booleans") {
        for (const auto& k : int_keys()) {
            CAPTURE(k.key);
            for (std::string value : {"60.0", "\"60\"", "true", "[60]"}) {
                const auto [doc, name] = int_doc(k, value);
                CHECK(error_of(doc).find(name + ": must be an integer in [") != std::string::npos);
            }
        }
    }

    TEST_CASE("other keys name the type they expect") {
        CHECK(error_of("[session]\nrequest_acks = \"yes\"\n" + kRoute) ==
              "t.toml:2:16: session.request_acks: must be a boolean (true or false)");
        CHECK(error_of("[session]\nrequest_acks = 1\n" + kRoute) ==
              "t.toml:2:16: session.request_acks: must be a boolean (true or false)");
        CHECK(error_of("[http]\npath = 5\n" + kRoute) == "t.toml:2:8: http.path: must be a string");
        CHECK(error_of("[http]\nlisten = 5280\n" + kRoute) ==
              "t.toml:2:10: http.listen: must be a string");
        CHECK(error_of("[http]\ncors_origins = \"*\"\n" + kRoute) ==
              "t.toml:2:16: http.cors_origins: must be an array of strings");
        CHECK(error_of("[http]\ncors_origins = [\"*\", 1]\n" + kRoute) ==
              "t.toml:2:22: http.cors_origins[1]: must be a string");
        CHECK(error_of("[log]\nlevel = 3\n" + kRoute) == "t.toml:2:9: log.level: must be a string");
        CHECK(error_of("http = 5\n" + kRoute) == "t.toml:1:8: http: must be a table");
        CHECK(error_of("route = 5\n") ==
              "t.toml:1:9: route: must be an array of tables, written [[route]]");
        CHECK(error_of("route = [1]\n") ==
              "t.toml:1:10: route[0]: must be a table, written [[route]]");
        CHECK(error_of("[[route]]\ndomain = 1\n") ==
              "t.toml:2:10: route[0].domain: must be a string");
        CHECK(error_of("[[route]]\ndomain = \"a.org\"\ntls_verify = \"no\"\n") ==
              "t.toml:3:14: route[0].tls_verify: must be a boolean (true or false)");
        CHECK(error_of("[[route]]\ndomain = \"a.org\"\ntls_ca_file = false\n") ==
              "t.toml:3:15: route[0].tls_ca_file: must be a string");
    }

    TEST_CASE("unknown keys and tables are errors at their position") {
        CHECK(error_of("[http]\nlisten = \"127.0.0.1:1\"\n  listne = 5\n" + kRoute) ==
              "t.toml:3:3: http.listne: unknown key");
        CHECK(error_of("[sesion]\nmax_wait = 5\n" + kRoute) == "t.toml:1:2: sesion: unknown key");
        CHECK(error_of("verbose = true\n" + kRoute) == "t.toml:1:1: verbose: unknown key");
        CHECK(error_of("[session]\nmax_body_size = 2048\n" + kRoute) ==
              "t.toml:2:1: session.max_body_size: unknown key");
        CHECK(error_of("[http.tls]\ncert = \"x\"\n" + kRoute) ==
              "t.toml:1:7: http.tls: unknown key");
        CHECK(error_of(kRoute + "prot = 5222\n") == "t.toml:3:1: route[0].prot: unknown key");
    }

    TEST_CASE("a TOML syntax error reports the position and toml++'s description") {
        const auto header = error_of("[http\n");
        CHECK(header.starts_with("t.toml:1:6: syntax: "));
        CHECK(header.find("expected ']'") != std::string::npos);
        CHECK(error_of("[http]\nlisten = \"127.0.0.1:5280\n" + kRoute)
                  .starts_with("t.toml:2:25: syntax: "));
        const auto redefined = error_of("a = 1\na = 2\n");
        CHECK(redefined.starts_with("t.toml:2:5: syntax: "));
        CHECK(redefined.find("'a'") != std::string::npos);
    }

    TEST_CASE("at least one route is required") {
        CHECK(error_of("") == "t.toml:1:1: route: at least one [[route]] is required");
        CHECK(error_of("[http]\npath = \"/x\"\n") ==
              "t.toml:1:1: route: at least one [[route]] is required");
        CHECK(error_of("route = []\n") == "t.toml:1:9: route: at least one [[route]] is required");
        CHECK(error_of("[[route]]\nhost = \"a.org\"\n") ==
              "t.toml:1:1: route[0].domain: is required");
    }

    TEST_CASE("two routes for the same domain, in any case, are an error") {
        CHECK(error_of("[[route]]\ndomain = \"Example.org\"\n[[route]]\ndomain = \"b.org\"\n"
                       "[[route]]\ndomain = \"example.ORG\"\n") ==
              "t.toml:6:10: route[2].domain: \"example.org\" is already routed by route[0]");
    }

    TEST_CASE("route domains are DNS names, stored in lower case") {
        CHECK(parse("[[route]]\ndomain = \"Chat.Example.ORG\"\n").routes.at(0).domain ==
              "chat.example.org");
        for (std::string bad :
             std::initializer_list<std::string>{"", "exa mple.org", "a..b", ".a", "a.", "a_b.org",
                                                "[::1]", std::string(64, 'a') + ".org"}) {
            CAPTURE(bad);
            CHECK(error_of("[[route]]\ndomain = \"" + bad + "\"\n") ==
                  "t.toml:2:10: route[0].domain: must be a non-empty DNS name "
                  "(letters, digits, '-', '.')");
        }
        CHECK(error_of("[[route]]\ndomain = \"a.org\"\nhost = \"\"\n") ==
              "t.toml:3:8: route[0].host: must be a DNS name or an IP address "
              "(IPv6 without brackets)");
        CHECK(error_of("[[route]]\ndomain = \"a.org\"\nhost = \"[::1]\"\n").find("route[0].host") !=
              std::string::npos);
        CHECK(error_of("[[route]]\ndomain = \"a.org\"\ntls_server_name = \"a b\"\n") ==
              "t.toml:3:19: route[0].tls_server_name: must be empty or a DNS name "
              "(letters, digits, '-', '.')");
    }

    TEST_CASE("listen is host:port with IPv6 in brackets") {
        struct Good {
            std::string text;
            std::string host;
            std::uint16_t port;
        };
        for (const auto& g : std::initializer_list<Good>{{"127.0.0.1:5280", "127.0.0.1", 5280},
                                                         {"0.0.0.0:0", "0.0.0.0", 0},
                                                         {"localhost:80", "localhost", 80},
                                                         {"[::1]:5280", "::1", 5280},
                                                         {"[::]:65535", "::", 65535},
                                                         {"[fe80::1:2]:1", "fe80::1:2", 1}}) {
            CAPTURE(g.text);
            const auto config = parse("[http]\nlisten = \"" + g.text + "\"\n" + kRoute);
            CHECK(config.http.listen_host == g.host);
            CHECK(config.http.listen_port == g.port);
        }
        for (std::string bad : {"localhost", "1.2.3.4:99999", "1.2.3.4:65536", "[::1", ":5280",
                                "::1:5280", "[::1]", "[::1]5280", "[zz]:1", "[]:80",
                                "host:", "host:-1", "host:+1", "host: 1", "host:1x", "a b:1", ""}) {
            CAPTURE(bad);
            CHECK(error_of("[http]\nlisten = \"" + bad + "\"\n" + kRoute)
                      .starts_with("t.toml:2:10: http.listen: "));
        }
        CHECK(error_of("[http]\nlisten = \"localhost\"\n" + kRoute) ==
              "t.toml:2:10: http.listen: must be \"host:port\" (IPv6 as \"[::1]:5280\")");
        CHECK(error_of("[http]\nlisten = \"1.2.3.4:99999\"\n" + kRoute) ==
              "t.toml:2:10: http.listen: port must be an integer in [0, 65535]");
        CHECK(error_of("[http]\nlisten = \"[::1\"\n" + kRoute) ==
              "t.toml:2:10: http.listen: IPv6 address lacks its closing ']'");
        CHECK(error_of("[http]\nlisten = \"::1:5280\"\n" + kRoute) ==
              "t.toml:2:10: http.listen: an IPv6 address must be in brackets, as \"[::1]:5280\"");
    }

    TEST_CASE("admin.listen: off by default and when empty, else host:port as http.listen") {
        CHECK_FALSE(parse(kRoute).admin.enabled());
        const auto off = parse("[admin]\nlisten = \"\"\n" + kRoute);
        CHECK_FALSE(off.admin.enabled());
        CHECK(off == parse(kRoute));
        const auto on = parse("[admin]\nlisten = \"127.0.0.1:5281\"\n" + kRoute);
        CHECK(on.admin.enabled());
        CHECK(on.admin.listen_host == "127.0.0.1");
        CHECK(on.admin.listen_port == 5281);
        const auto v6 = parse("[admin]\nlisten = \"[::1]:0\"\n" + kRoute);
        CHECK(v6.admin.listen_host == "::1");
        CHECK(v6.admin.listen_port == 0);
        CHECK(error_of("[admin]\nlisten = 5281\n" + kRoute) ==
              "t.toml:2:10: admin.listen: must be a string");
        CHECK(error_of("[admin]\nlisten = \"localhost\"\n" + kRoute) ==
              "t.toml:2:10: admin.listen: must be \"host:port\" (IPv6 as \"[::1]:5280\") (or "
              "\"\" for no admin listener)");
        CHECK(error_of("[admin]\nlisten = \"127.0.0.1:5281\"\nport = 1\n" + kRoute) ==
              "t.toml:3:1: admin.port: unknown key");
    }

    TEST_CASE("path starts with a slash and holds no spaces, query or fragment") {
        for (std::string good : {"/", "/http-bind", "/xmpp/bosh", "/a%20b"}) {
            CHECK(parse("[http]\npath = \"" + good + "\"\n" + kRoute).http.path == good);
        }
        CHECK(error_of("[http]\npath = \"http-bind\"\n" + kRoute) ==
              "t.toml:2:8: http.path: must start with '/'");
        CHECK(error_of("[http]\npath = \"\"\n" + kRoute) ==
              "t.toml:2:8: http.path: must start with '/'");
        for (std::string bad : {"/a b", "/a?b", "/a#b", "/a\\tb", "/\\u00e9"}) {
            CAPTURE(bad);
            CHECK(error_of("[http]\npath = \"" + bad + "\"\n" + kRoute) ==
                  "t.toml:2:8: http.path: must not contain spaces, control characters, '?' or "
                  "'#'");
        }
    }

    TEST_CASE("cors_origins holds \"*\" or scheme://host[:port] origins") {
        CHECK(parse("[http]\ncors_origins = []\n" + kRoute).http.cors_origins.empty());
        const auto config = parse("[http]\ncors_origins = [\"*\", \"https://chat.example.org\", "
                                  "\"http://localhost:8080\", \"HTTPS://Chat.Example.ORG\", "
                                  "\"https://[::1]:8443\", \"app+x://host\"]\n" +
                                  kRoute);
        CHECK(config.http.cors_origins ==
              std::vector<std::string>{"*", "https://chat.example.org", "http://localhost:8080",
                                       "https://chat.example.org", "https://[::1]:8443",
                                       "app+x://host"});
        for (std::string bad :
             {"", "**", "chat.example.org", "https://", "https://chat.org/", "https://chat.org/x",
              "https://x:0", "https://x:99999", "://x", "1http://x", "ht tp://x", "https://x?y",
              "https://x#y", "https://[::1", "https://::1:80", "https://user@x"}) {
            CAPTURE(bad);
            CHECK(error_of("[http]\ncors_origins = [\"*\", \"" + bad + "\"]\n" + kRoute) ==
                  "t.toml:2:22: http.cors_origins[1]: must be \"*\" or an origin such as "
                  "\"https://chat.example.org\" (scheme://host[:port], no path)");
        }
    }

    TEST_CASE("trusted_proxies: networks or addresses, IPv4 and IPv6; errors name the entry") {
        CHECK(parse(kRoute).http.trusted_proxies.empty()); // the default
        const auto config = parse("[http]\ntrusted_proxies = [\"127.0.0.1\", \"::1\", "
                                  "\"10.0.0.0/8\", \"2001:db8::/32\"]\n" +
                                  kRoute);
        const auto& nets = config.http.trusted_proxies;
        REQUIRE(nets.size() == 4);
        CHECK(nets[0].to_string() == "127.0.0.1/32");
        CHECK(nets[1].to_string() == "::1/128");
        CHECK(nets[2].to_string() == "10.0.0.0/8");
        CHECK(nets[3].to_string() == "2001:db8::/32");
        CHECK(error_of("[http]\ntrusted_proxies = \"127.0.0.1\"\n" + kRoute) ==
              "t.toml:2:19: http.trusted_proxies: must be an array of strings");
        CHECK(error_of("[http]\ntrusted_proxies = [\"127.0.0.1\", 7]\n" + kRoute) ==
              "t.toml:2:33: http.trusted_proxies[1]: must be a string");
        CHECK(error_of("[http]\ntrusted_proxies = [\"::1\", \"10.1.2.3/8\"]\n" + kRoute) ==
              "t.toml:2:27: http.trusted_proxies[1]: \"10.1.2.3/8\" has bits set past its prefix "
              "length; the network is 10.0.0.0/8 (a network such as \"10.0.0.0/8\" or "
              "\"::1/128\", or an address)");
        for (std::string bad : {"", "proxy.example", "10.0.0.0/33", "[::1]", "::1/129", "1.2.3"}) {
            CAPTURE(bad);
            CHECK(error_of("[http]\ntrusted_proxies = [\"" + bad + "\"]\n" + kRoute)
                      .starts_with("t.toml:2:20: http.trusted_proxies[0]: "));
        }
    }

    TEST_CASE("proxy_protocol: off, v1 or v2") {
        CHECK(parse(kRoute).routes.at(0).proxy_protocol == boshd::bosh::ProxyProtocol::Off);
        CHECK(parse(kRoute + "proxy_protocol = \"v1\"\n").routes.at(0).proxy_protocol ==
              boshd::bosh::ProxyProtocol::V1);
        CHECK(parse(kRoute + "proxy_protocol = \"v2\"\n").routes.at(0).proxy_protocol ==
              boshd::bosh::ProxyProtocol::V2);
        CHECK(parse(kRoute + "proxy_protocol = \"off\"\n").routes.at(0).proxy_protocol ==
              boshd::bosh::ProxyProtocol::Off);
        CHECK(error_of(kRoute + "proxy_protocol = \"V2\"\n") ==
              "t.toml:3:18: route[0].proxy_protocol: must be one of \"off\", \"v1\", \"v2\"");
    }

    TEST_CASE("per-client session limits: defaults, 0 turns them off") {
        const auto defaults = parse(kRoute);
        CHECK(defaults.limits.max_sessions_per_ip == 100);
        CHECK(defaults.limits.max_new_sessions_per_ip == 60);
        const auto off =
            parse("[session]\nmax_sessions_per_ip = 0\nmax_new_sessions_per_ip = 0\n" + kRoute);
        CHECK(off.limits.max_sessions_per_ip == 0);
        CHECK(off.limits.max_new_sessions_per_ip == 0);
        CHECK(error_of("[session]\nmax_new_sessions_per_ip = 60001\n" + kRoute)
                  .find("session.max_new_sessions_per_ip: must be an integer in [0, 60000]") !=
              std::string::npos);
    }

    TEST_CASE("tls modes, and direct TLS defaults to port 5223") {
        const auto port_for = [](const std::string& extra) {
            return parse(kRoute + extra).routes.at(0).port;
        };
        CHECK(port_for("tls = \"direct\"\n") == 5223);
        CHECK(port_for("tls = \"direct\"\nport = 443\n") == 443);
        CHECK(port_for("port = 443\ntls = \"direct\"\n") == 443);
        CHECK(port_for("tls = \"starttls\"\n") == 5222);
        CHECK(port_for("tls = \"none\"\n") == 5222);
        CHECK(parse(kRoute + "tls = \"none\"\n").routes.at(0).tls == TlsMode::None);
        CHECK(parse(kRoute + "tls = \"direct\"\n").routes.at(0).tls == TlsMode::Direct);
        CHECK(parse(kRoute).routes.at(0).tls == TlsMode::StartTls);
        for (std::string bad : {"STARTTLS", "tls", "", "ssl"}) {
            CHECK(error_of(kRoute + "tls = \"" + bad + "\"\n") ==
                  "t.toml:3:7: route[0].tls: must be one of \"none\", \"starttls\", \"direct\"");
        }
    }

    TEST_CASE("route srv: off by default; on, host and port stay the fall-back, the SRV name "
              "follows tls") {
        CHECK_FALSE(parse(kRoute).routes.at(0).srv);
        const auto on = parse(kRoute + "srv = true\n").routes.at(0);
        CHECK(on.srv);
        CHECK(on.host == "example.org");
        CHECK(on.port == 5222);
        CHECK(on.srv_name() == "_xmpp-client._tcp.example.org");
        const auto direct = parse(kRoute + "srv = true\ntls = \"direct\"\n").routes.at(0);
        CHECK(direct.port == 5223);
        CHECK(direct.srv_name() == "_xmpps-client._tcp.example.org");
        const auto both = parse(kRoute + "srv = true\nhost = \"h.example.org\"\nport = 5999\n");
        CHECK(both.routes.at(0).host == "h.example.org");
        CHECK(both.routes.at(0).port == 5999);
        CHECK(error_of(kRoute + "srv = \"yes\"\n") ==
              "t.toml:3:7: route[0].srv: must be a boolean (true or false)");
    }

    TEST_CASE("backend.resolver: the system's by default, else an IP address and a port") {
        CHECK(parse(kRoute).backend.resolver.empty());
        CHECK(parse("[backend]\nresolver = \"\"\n" + kRoute).backend.resolver.empty());
        const std::pair<std::string, std::string> good[] = {
            {"127.0.0.1:5353", "127.0.0.1:5353"},
            {"10.0.0.53", "10.0.0.53:53"},
            {"[::1]:5353", "[::1]:5353"},
            {"[2001:db8::1]", "[2001:db8::1]:53"},
        };
        for (const auto& [text, csv] : good) {
            CAPTURE(text);
            CHECK(parse("[backend]\nresolver = \"" + text + "\"\n" + kRoute).backend.resolver ==
                  csv);
        }
        CHECK(error_of("[backend]\nresolver = \"ns.example.org:53\"\n" + kRoute) ==
              "t.toml:2:12: backend.resolver: must be an IP address, optionally with a port "
              "(\"127.0.0.1:5353\", \"[::1]:53\")");
        CHECK(error_of("[backend]\nresolver = \"127.0.0.1:0\"\n" + kRoute) ==
              "t.toml:2:12: backend.resolver: port must be an integer in [1, 65535] (or \"\" "
              "for the system's resolver)");
        CHECK(error_of("[backend]\nresolver = \"::1\"\n" + kRoute) ==
              "t.toml:2:12: backend.resolver: an IPv6 address must be in brackets, as "
              "\"[::1]:5280\" (or \"\" for the system's resolver)");
        CHECK(error_of("[backend]\nresolver = 53\n" + kRoute) ==
              "t.toml:2:12: backend.resolver: must be a string");
    }

    TEST_CASE("log levels") {
        const std::pair<std::string, LogLevel> levels[] = {{"debug", LogLevel::Debug},
                                                           {"info", LogLevel::Info},
                                                           {"notice", LogLevel::Notice},
                                                           {"warning", LogLevel::Warning},
                                                           {"error", LogLevel::Error}};
        for (const auto& [text, level] : levels) {
            CHECK(parse("[log]\nlevel = \"" + text + "\"\n" + kRoute).log.level == level);
        }
        CHECK(error_of("[log]\nlevel = \"verbose\"\n" + kRoute) ==
              "t.toml:2:9: log.level: must be one of \"debug\", \"info\", \"notice\", "
              "\"warning\", \"error\"");
    }

    TEST_CASE("load_config reports a file it cannot read") {
        const std::string missing = "/nonexistent-boshd-dir/boshd.toml";
        CHECK_THROWS_WITH_AS(load_config(missing),
                             (missing + ": cannot read: No such file or directory").c_str(),
                             ConfigError);
        const auto dir = std::filesystem::temp_directory_path().string();
        CHECK_THROWS_WITH_AS(load_config(dir), (dir + ": cannot read: Is a directory").c_str(),
                             ConfigError);
    }

    TEST_CASE("load_config names the file in errors") {
        const TempFile file("[session]\nmax_wait = 0\n" + kRoute);
        CHECK_THROWS_WITH_AS(
            load_config(file.path.string()),
            (file.path.string() + ":2:12: session.max_wait: must be an integer in [1, 3600]")
                .c_str(),
            ConfigError);
    }

    TEST_CASE("the shipped conf/boshd.toml holds every key at its built-in default") {
        const auto path = source_dir_path("conf/boshd.toml");
        const auto config = load_config(path);
        check_settings_eq(config, Config{});
        REQUIRE(config.routes.size() == 1);
        // tls = "none" is the one deliberate difference: the sample talks to
        // a server on loopback.
        check_route_eq(config.routes[0], route("localhost", "127.0.0.1", 5222, TlsMode::None));

        std::ifstream in(path);
        const std::string text((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
        for (std::string key : {"listen",
                                "path",
                                "max_body_size",
                                "idle_timeout",
                                "compress_min_size",
                                "cors_origins",
                                "max_wait",
                                "max_hold",
                                "inactivity",
                                "polling",
                                "max_sessions",
                                "max_pause",
                                "max_client_queue",
                                "max_server_queue",
                                "max_unacked_responses",
                                "max_xml_depth",
                                "max_xml_elements",
                                "request_acks",
                                "timeout",
                                "max_stanza_size",
                                "level",
                                "domain",
                                "host",
                                "port",
                                "tls",
                                "tls_verify",
                                "tls_server_name",
                                "tls_ca_file"}) {
            CAPTURE(key);
            CHECK(text.find("\n" + key + " = ") != std::string::npos);
        }
    }
}
