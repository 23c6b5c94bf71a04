#include "svc/config_values.h"

#include "svc/address_syntax.h"
#include "util/ascii.h"
#include "util/ip_address.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace boshd::svc::values {

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

void listen(Config& c, const toml::node& node, const Ctx& ctx) {
    std::optional<std::uint32_t> port;
    const auto reason =
        parse_host_port(require_string(node, ctx), true, 0, c.http.listen_host, port);
    if (!reason.empty()) {
        ctx.fail(node, reason);
    }
    c.http.listen_port = static_cast<std::uint16_t>(*port);
}

void path(Config& c, const toml::node& node, const Ctx& ctx) {
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

void cors_origins(Config& c, const toml::node& node, const Ctx& ctx) {
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

// README: "The client address behind a proxy". Each entry a network or a
// bare address; a mistake names the entry's own position.
void trusted_proxies(Config& c, const toml::node& node, const Ctx& ctx) {
    const auto* array = node.as_array();
    if (array == nullptr) {
        ctx.fail(node, "must be an array of strings");
    }
    std::vector<util::Cidr> networks;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto& item = *array->get(i);
        const Ctx item_ctx{ctx.source, ctx.key + '[' + std::to_string(i) + ']'};
        auto network = util::Cidr::parse(require_string(item, item_ctx));
        if (!network) {
            item_ctx.fail(item, network.error() +
                                    " (a network such as \"10.0.0.0/8\" or \"::1/128\", or an "
                                    "address)");
        }
        networks.push_back(network.value());
    }
    c.http.trusted_proxies = std::move(networks);
}

void log_level(Config& c, const toml::node& node, const Ctx& ctx) {
    const auto level = util::parse_log_level(require_string(node, ctx));
    if (!level) {
        ctx.fail(node, R"(must be one of "debug", "info", "notice", "warning", "error")");
    }
    c.log.level = *level;
}

// "" turns the admin listener off; anything else is host:port, as http.listen.
void admin_listen(Config& c, const toml::node& node, const Ctx& ctx) {
    const auto& text = require_string(node, ctx);
    if (text.empty()) {
        c.admin = AdminConfig{};
        return;
    }
    std::optional<std::uint32_t> port;
    const auto reason = parse_host_port(text, true, 0, c.admin.listen_host, port);
    if (!reason.empty()) {
        ctx.fail(node, reason + R"( (or "" for no admin listener))");
    }
    c.admin.listen_port = static_cast<std::uint16_t>(*port);
}

// An IP address, not a name: the resolver cannot be found by resolving.
void resolver(Config& c, const toml::node& node, const Ctx& ctx) {
    const auto& text = require_string(node, ctx);
    if (text.empty()) {
        c.backend.resolver.clear();
        return;
    }
    std::string host;
    std::optional<std::uint32_t> port;
    const auto reason = parse_host_port(text, false, 1, host, port);
    if (!reason.empty()) {
        ctx.fail(node, reason + R"( (or "" for the system's resolver))");
    }
    const auto address = util::IpAddress::parse(host);
    if (!address) {
        ctx.fail(node, "must be an IP address, optionally with a port (\"127.0.0.1:5353\", "
                       "\"[::1]:53\")");
    }
    c.backend.resolver =
        util::Endpoint{*address, static_cast<std::uint16_t>(port.value_or(53))}.to_string();
}

void domain(bosh::Route& r, const toml::node& node, const Ctx& ctx) {
    const auto& domain = require_string(node, ctx);
    if (!is_dns_name(domain)) {
        ctx.fail(node, "must be a non-empty DNS name (letters, digits, '-', '.')");
    }
    r.domain = util::ascii::to_lower(domain);
}

void host(bosh::Route& r, const toml::node& node, const Ctx& ctx) {
    const auto& host = require_string(node, ctx);
    if (!is_dns_name(host) && !is_ipv6(host)) {
        ctx.fail(node, "must be a DNS name or an IP address (IPv6 without brackets)");
    }
    r.host = host;
}

void tls(bosh::Route& r, const toml::node& node, const Ctx& ctx) {
    const auto mode = bosh::parse_tls_mode(require_string(node, ctx));
    if (!mode) {
        ctx.fail(node, R"(must be one of "none", "starttls", "direct")");
    }
    r.tls = *mode;
}

void tls_server_name(bosh::Route& r, const toml::node& node, const Ctx& ctx) {
    const auto& name = require_string(node, ctx);
    if (!name.empty() && !is_dns_name(name)) {
        ctx.fail(node, "must be empty or a DNS name (letters, digits, '-', '.')");
    }
    r.tls_server_name = util::ascii::to_lower(name);
}

void http_tls_cert(Config& c, const toml::node& node, const Ctx& ctx) {
    c.http.tls_cert = require_string(node, ctx);
}

void http_tls_key(Config& c, const toml::node& node, const Ctx& ctx) {
    c.http.tls_key = require_string(node, ctx);
}

void tls_ca_file(bosh::Route& r, const toml::node& node, const Ctx& ctx) {
    r.tls_ca_file = require_string(node, ctx);
}

void proxy_protocol(bosh::Route& r, const toml::node& node, const Ctx& ctx) {
    const auto version = bosh::parse_proxy_protocol(require_string(node, ctx));
    if (!version) {
        ctx.fail(node, R"(must be one of "off", "v1", "v2")");
    }
    r.proxy_protocol = *version;
}

} // namespace boshd::svc::values
