// The TOML reader. It accepts exactly the keys of the table in
// config_keys.cpp: a key that is in no table is a typo and is refused rather
// than ignored.
#include "svc/config.h"

#include "svc/config_keys.h"
#include "svc/file_text.h"

#include <algorithm>
#include <cstring>
#include <span>
#include <string>
#include <toml++/toml.h>
#include <vector>

namespace boshd::svc {
namespace {

using keys::Ctx;
using keys::fail_at;
using keys::Key;

// Applies every key of |table| to |target|; |prefix| names them in errors
// ("session.", "route[0].").
template <class T>
void apply_table(T& target, const toml::table& table, std::string_view source,
                 std::string_view prefix, std::span<const Key<T>> keys) {
    for (const auto& [name, node] : table) {
        const Ctx ctx{source, std::string(prefix) + std::string(name.str())};
        const auto key = std::find_if(keys.begin(), keys.end(),
                                      [&](const auto& k) { return k.name == name.str(); });
        if (key == keys.end()) {
            fail_at(source, name.source().begin, ctx.key, "unknown key");
        }
        if (!key->is_integer()) {
            key->parse(target, node, ctx);
            continue;
        }
        const auto* value = node.as_integer();
        if (value == nullptr || value->get() < key->min || value->get() > key->max) {
            ctx.fail(node, "must be an integer in [" + std::to_string(key->min) + ", " +
                               std::to_string(key->max) + "]");
        }
        key->put(target, value->get());
    }
}

bosh::Route read_route(const toml::node& node, const std::string& name, std::string_view source) {
    const auto* table = node.as_table();
    if (table == nullptr) {
        fail_at(source, node.source().begin, name, "must be a table, written [[route]]");
    }
    bosh::Route route;
    apply_table(route, *table, source, name + '.', keys::route_keys());
    if (!table->contains("domain")) {
        fail_at(source, node.source().begin, name + ".domain", "is required");
    }
    if (!table->contains("host")) {
        route.host = route.domain;
    }
    if (!table->contains("port") && route.tls == bosh::TlsMode::Direct) {
        route.port = keys::kDirectTlsPort;
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
        const auto sections = keys::sections();
        const auto section = std::find_if(sections.begin(), sections.end(),
                                          [&](const auto& s) { return s.name == name; });
        if (section == sections.end()) {
            fail_at(source, key.source().begin, name, "unknown key");
        }
        const auto* table = node.as_table();
        if (table == nullptr) {
            fail_at(source, node.source().begin, name, "must be a table");
        }
        apply_table(config, *table, source, std::string(name) + '.', section->keys);
    }
    if (config.http.tls_cert.empty() != config.http.tls_key.empty()) {
        fail_at(source, root.source().begin,
                config.http.tls_cert.empty() ? "http.tls_key" : "http.tls_cert",
                "http.tls_cert and http.tls_key must be set together");
    }
    if (!have_routes) {
        fail_at(source, root.source().begin, "route", "at least one [[route]] is required");
    }
    return config;
}

Config load_config(const std::string& path) {
    const auto file = read_file(path);
    if (file.error != 0) {
        throw ConfigError(path + ": cannot read: " + std::strerror(file.error));
    }
    return parse_config(file.text, path);
}

} // namespace boshd::svc
