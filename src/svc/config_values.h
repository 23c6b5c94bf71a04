// How the keys that are not plain integers are read and checked. Each parser
// stores its value or fails with the key's position (keys::Ctx::fail).
#pragma once

#include "bosh/route.h"
#include "svc/config.h"
#include "svc/config_keys.h"

#include <toml++/toml.h>

namespace boshd::svc::values {

using keys::Ctx;

const std::string& require_string(const toml::node& node, const Ctx& ctx);
bool require_bool(const toml::node& node, const Ctx& ctx);

// A boolean field of |T|: config.*Section.*Field or route.*Field.
template <auto Section, auto Field> void put_bool(Config& c, const toml::node& n, const Ctx& ctx) {
    c.*Section.*Field = require_bool(n, ctx);
}
template <auto Field> void put_route_bool(bosh::Route& r, const toml::node& n, const Ctx& ctx) {
    r.*Field = require_bool(n, ctx);
}

// [http]
void listen(Config& c, const toml::node& node, const Ctx& ctx);
void path(Config& c, const toml::node& node, const Ctx& ctx);
void http_tls_cert(Config& c, const toml::node& node, const Ctx& ctx);
void http_tls_key(Config& c, const toml::node& node, const Ctx& ctx);
void cors_origins(Config& c, const toml::node& node, const Ctx& ctx);
void trusted_proxies(Config& c, const toml::node& node, const Ctx& ctx);
// [backend]
void resolver(Config& c, const toml::node& node, const Ctx& ctx);
// [log]
void log_level(Config& c, const toml::node& node, const Ctx& ctx);
// [admin]
void admin_listen(Config& c, const toml::node& node, const Ctx& ctx);
// [[route]]
void domain(bosh::Route& r, const toml::node& node, const Ctx& ctx);
void host(bosh::Route& r, const toml::node& node, const Ctx& ctx);
void tls(bosh::Route& r, const toml::node& node, const Ctx& ctx);
void tls_server_name(bosh::Route& r, const toml::node& node, const Ctx& ctx);
void tls_ca_file(bosh::Route& r, const toml::node& node, const Ctx& ctx);
void proxy_protocol(bosh::Route& r, const toml::node& node, const Ctx& ctx);

} // namespace boshd::svc::values
