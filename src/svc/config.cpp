// The TOML reader. Every accepted key is an entry in one of the tables below,
// so the key set, the ranges and the "unknown key" check cannot drift apart:
// a key that is in no table is a typo and is refused rather than ignored.
#include "svc/config.h"

#include "svc/address_syntax.h"
#include "util/ascii.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <toml++/toml.h>
#include <type_traits>
#include <vector>

namespace boshd::svc {
namespace {

// An integer key: its accepted range and where it goes. Ranges are sanity
// bounds against typos and resource exhaustion, not tuning advice.
template <class T> struct IntKey {
    std::string_view name; // as looked up: "section.key" for Config, "key" for a route
    std::int64_t min;
    std::int64_t max;
    void (*set)(T&, std::int64_t);
};

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;
constexpr std::int64_t kGiB = 1024 * kMiB;

// Stores |v| in config.*Section.*Field, converted to the field's type
// (size_t, uint32_t or util::Seconds); the range check has already run.
template <auto Section, auto Field> void put(Config& config, std::int64_t v) {
    auto& field = config.*Section.*Field;
    field = static_cast<std::remove_reference_t<decltype(field)>>(v);
}

using bosh::Limits;
constexpr auto kHttp = &Config::http;
constexpr auto kLimits = &Config::limits;

constexpr auto kConfigInts = std::to_array<IntKey<Config>>({
    {"http.max_body_size", kKiB, 16 * kMiB, put<kHttp, &HttpConfig::max_body_size>},
    {"http.idle_timeout", 1, 3600, put<kHttp, &HttpConfig::idle_timeout>},
    {"http.compress_min_size", 0, 16 * kMiB, put<kHttp, &HttpConfig::compress_min_size>},
    {"session.max_wait", 1, 3600, put<kLimits, &Limits::max_wait>},
    {"session.max_hold", 0, 16, put<kLimits, &Limits::max_hold>},
    {"session.inactivity", 1, 3600, put<kLimits, &Limits::inactivity>},
    {"session.polling", 0, 600, put<kLimits, &Limits::polling>},
    {"session.max_sessions", 1, 1000000, put<kLimits, &Limits::max_sessions>},
    {"session.max_pause", 0, 86400, put<kLimits, &Limits::max_pause>},
    {"session.max_streams", 1, 16, put<kLimits, &Limits::max_streams>},
    {"session.max_client_queue", 4 * kKiB, kGiB, put<kLimits, &Limits::max_client_queue>},
    {"session.max_server_queue", 4 * kKiB, kGiB, put<kLimits, &Limits::max_server_queue>},
    {"session.max_unacked_responses", 16, 65536, put<kLimits, &Limits::max_unacked_responses>},
    {"session.max_xml_depth", 2, 256, put<kLimits, &Limits::max_xml_depth>},
    {"session.max_xml_elements", 2, 1000000, put<kLimits, &Limits::max_xml_elements>},
    {"backend.timeout", 1, 600, put<kLimits, &Limits::backend_timeout>},
    {"backend.max_stanza_size", kKiB, 16 * kMiB, put<kLimits, &Limits::max_stanza_size>},
});

constexpr auto kRouteInts = std::to_array<IntKey<bosh::Route>>({
    {"port", 1, std::numeric_limits<std::uint16_t>::max(),
     [](bosh::Route& r, std::int64_t v) {
         r.port = static_cast<std::uint16_t>(v);
     }},
});

// XEP-0368 direct TLS is conventionally served on 5223, so tls = "direct"
// without a port means that rather than the STARTTLS port 5222.
constexpr std::uint16_t kDirectTlsPort = 5223;

constexpr std::array<std::string_view, 4> kSections{"http", "session", "backend", "log"};

// ---------------------------------------------------------------------------

[[noreturn]] void fail_at(std::string_view source, toml::source_position pos, std::string_view key,
                          std::string_view reason) {
    // Positions are 1-based; a node without one (never the case for parsed
    // nodes) is reported at the start of the file so the format stays uniform.
    const auto line = pos.line == 0 ? 1u : pos.line;
    const auto column = pos.column == 0 ? 1u : pos.column;
    std::string msg(source);
    msg += ':' + std::to_string(line) + ':' + std::to_string(column) + ": ";
    msg.append(key).append(": ").append(reason);
    throw ConfigError(msg);
}

// The key being read, for error messages.
struct Ctx {
    std::string_view source;
    std::string key; // as displayed: "session.max_wait", "route[0].port"

    [[noreturn]] void fail(const toml::node& node, std::string_view reason) const {
        fail_at(source, node.source().begin, key, reason);
    }
};

const std::string& require_string(const toml::node& node, const Ctx& ctx) {
    if (const auto* s = node.as_string()) {
        return s->get();
    }
    ctx.fail(node, "must be a string");
}

bool require_bool(const toml::node& node, const Ctx& ctx) {
    if (const auto* b = node.as_boolean()) {
        return b->get();
    }
    ctx.fail(node, "must be a boolean (true or false)");
}

// --- value keys (everything that is not a plain integer) -------------------

template <class T> struct ValueKey {
    std::string_view name;
    void (*parse)(T&, const toml::node&, const Ctx&);
};

void set_listen(Config& c, const toml::node& node, const Ctx& ctx) {
    std::optional<std::uint32_t> port;
    const auto reason =
        parse_host_port(require_string(node, ctx), true, 0, c.http.listen_host, port);
    if (!reason.empty()) {
        ctx.fail(node, reason);
    }
    c.http.listen_port = static_cast<std::uint16_t>(*port);
}

void set_path(Config& c, const toml::node& node, const Ctx& ctx) {
    const auto& path = require_string(node, ctx);
    if (!path.starts_with('/')) {
        ctx.fail(node, "must start with '/'");
    }
    // The path is matched verbatim against the request target, so anything
    // that would be escaped, or start a query or fragment, can never match.
    if (!std::all_of(path.begin(), path.end(),
                     [](char ch) { return ch > ' ' && ch < 0x7f && ch != '?' && ch != '#'; })) {
        ctx.fail(node, "must not contain spaces, control characters, '?' or '#'");
    }
    c.http.path = path;
}

void set_cors_origins(Config& c, const toml::node& node, const Ctx& ctx) {
    const auto* array = node.as_array();
    if (array == nullptr) {
        ctx.fail(node, "must be an array of strings");
    }
    std::vector<std::string> origins;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto& item = *array->get(i);
        const Ctx item_ctx{ctx.source, ctx.key + '[' + std::to_string(i) + ']'};
        auto origin = parse_origin(require_string(item, item_ctx));
        if (!origin) {
            item_ctx.fail(item, "must be \"*\" or an origin such as \"https://chat.example.org\" "
                                "(scheme://host[:port], no path)");
        }
        origins.push_back(std::move(*origin));
    }
    c.http.cors_origins = std::move(origins);
}

void set_request_acks(Config& c, const toml::node& node, const Ctx& ctx) {
    c.limits.request_acks = require_bool(node, ctx);
}

void set_log_level(Config& c, const toml::node& node, const Ctx& ctx) {
    const auto level = util::parse_log_level(require_string(node, ctx));
    if (!level) {
        ctx.fail(node, R"(must be one of "debug", "info", "notice", "warning", "error")");
    }
    c.log.level = *level;
}

constexpr auto kConfigValues = std::to_array<ValueKey<Config>>({
    {"http.listen", set_listen},
    {"http.path", set_path},
    {"http.cors_origins", set_cors_origins},
    {"session.request_acks", set_request_acks},
    {"log.level", set_log_level},
});

void set_domain(bosh::Route& r, const toml::node& node, const Ctx& ctx) {
    const auto& domain = require_string(node, ctx);
    if (!is_dns_name(domain)) {
        ctx.fail(node, "must be a non-empty DNS name (letters, digits, '-', '.')");
    }
    r.domain = util::ascii::to_lower(domain);
}

void set_host(bosh::Route& r, const toml::node& node, const Ctx& ctx) {
    const auto& host = require_string(node, ctx);
    if (!is_dns_name(host) && !is_ipv6(host)) {
        ctx.fail(node, "must be a DNS name or an IP address (IPv6 without brackets)");
    }
    r.host = host;
}

void set_tls(bosh::Route& r, const toml::node& node, const Ctx& ctx) {
    const auto mode = bosh::parse_tls_mode(require_string(node, ctx));
    if (!mode) {
        ctx.fail(node, R"(must be one of "none", "starttls", "direct")");
    }
    r.tls = *mode;
}

void set_tls_verify(bosh::Route& r, const toml::node& node, const Ctx& ctx) {
    r.tls_verify = require_bool(node, ctx);
}

void set_tls_server_name(bosh::Route& r, const toml::node& node, const Ctx& ctx) {
    const auto& name = require_string(node, ctx);
    if (!name.empty() && !is_dns_name(name)) {
        ctx.fail(node, "must be empty or a DNS name (letters, digits, '-', '.')");
    }
    r.tls_server_name = util::ascii::to_lower(name);
}

void set_tls_ca_file(bosh::Route& r, const toml::node& node, const Ctx& ctx) {
    r.tls_ca_file = require_string(node, ctx);
}

constexpr auto kRouteValues = std::to_array<ValueKey<bosh::Route>>({
    {"domain", set_domain},
    {"host", set_host},
    {"tls", set_tls},
    {"tls_verify", set_tls_verify},
    {"tls_server_name", set_tls_server_name},
    {"tls_ca_file", set_tls_ca_file},
});

// ---------------------------------------------------------------------------

// Applies every key of |table| to |target|. |lookup_prefix| is prepended to
// find the key in the tables, |display_prefix| to name it in errors.
template <class T>
void apply_table(T& target, const toml::table& table, std::string_view source,
                 std::string_view lookup_prefix, std::string_view display_prefix,
                 std::span<const IntKey<T>> ints, std::span<const ValueKey<T>> values) {
    for (const auto& [key, node] : table) {
        const std::string lookup = std::string(lookup_prefix) + std::string(key.str());
        const Ctx ctx{source, std::string(display_prefix) + std::string(key.str())};
        const auto int_it =
            std::find_if(ints.begin(), ints.end(), [&](const auto& k) { return k.name == lookup; });
        if (int_it != ints.end()) {
            const auto* value = node.as_integer();
            if (value == nullptr || value->get() < int_it->min || value->get() > int_it->max) {
                ctx.fail(node, "must be an integer in [" + std::to_string(int_it->min) + ", " +
                                   std::to_string(int_it->max) + "]");
            }
            int_it->set(target, value->get());
            continue;
        }
        const auto value_it = std::find_if(values.begin(), values.end(),
                                           [&](const auto& k) { return k.name == lookup; });
        if (value_it == values.end()) {
            fail_at(source, key.source().begin, ctx.key, "unknown key");
        }
        value_it->parse(target, node, ctx);
    }
}

bosh::Route read_route(const toml::node& node, const std::string& name, std::string_view source) {
    const auto* table = node.as_table();
    if (table == nullptr) {
        fail_at(source, node.source().begin, name, "must be a table, written [[route]]");
    }
    bosh::Route route;
    apply_table<bosh::Route>(route, *table, source, "", name + '.', kRouteInts, kRouteValues);
    if (!table->contains("domain")) {
        fail_at(source, node.source().begin, name + ".domain", "is required");
    }
    if (!table->contains("host")) {
        route.host = route.domain;
    }
    if (!table->contains("port") && route.tls == bosh::TlsMode::Direct) {
        route.port = kDirectTlsPort;
    }
    return route;
}

std::vector<bosh::Route> read_routes(const toml::node& node, std::string_view source) {
    const auto* array = node.as_array();
    if (array == nullptr) {
        fail_at(source, node.source().begin, "route",
                "must be an array of tables, written [[route]]");
    }
    if (array->empty()) {
        fail_at(source, node.source().begin, "route", "at least one [[route]] is required");
    }
    std::vector<bosh::Route> routes;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto& item = *array->get(i);
        const std::string name = "route[" + std::to_string(i) + "]";
        auto route = read_route(item, name, source);
        // Domains are stored lower-case, so equality here is case-insensitive.
        const auto dup = std::find_if(routes.begin(), routes.end(),
                                      [&](const auto& r) { return r.domain == route.domain; });
        if (dup != routes.end()) {
            fail_at(source, item.as_table()->get("domain")->source().begin, name + ".domain",
                    "\"" + route.domain + "\" is already routed by route[" +
                        std::to_string(dup - routes.begin()) + "]");
        }
        routes.push_back(std::move(route));
    }
    return routes;
}

} // namespace

Config parse_config(std::string_view text, std::string_view source) {
    toml::table root;
    try {
        root = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        fail_at(source, e.source().begin, "syntax", e.description());
    }

    Config config;
    bool have_routes = false;
    for (const auto& [key, node] : root) {
        const std::string_view name = key.str();
        if (name == "route") {
            config.routes = read_routes(node, source);
            have_routes = true;
            continue;
        }
        if (std::find(kSections.begin(), kSections.end(), name) == kSections.end()) {
            fail_at(source, key.source().begin, name, "unknown key");
        }
        const auto* table = node.as_table();
        if (table == nullptr) {
            fail_at(source, node.source().begin, name, "must be a table");
        }
        const std::string prefix = std::string(name) + '.';
        apply_table<Config>(config, *table, source, prefix, prefix, kConfigInts, kConfigValues);
    }
    if (!have_routes) {
        fail_at(source, root.source().begin, "route", "at least one [[route]] is required");
    }
    return config;
}

Config load_config(const std::string& path) {
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                               &std::fclose);
    const auto cannot_read = [&path] {
        return ConfigError(path + ": cannot read: " + std::strerror(errno));
    };
    if (!file) {
        throw cannot_read();
    }
    std::string text;
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), file.get())) > 0) {
        text.append(buf.data(), n);
    }
    // A directory opens fine and fails on the first read (EISDIR).
    if (std::ferror(file.get()) != 0) {
        throw cannot_read();
    }
    return parse_config(text, path);
}

} // namespace boshd::svc
