#include "bosh/route.h"

#include "util/ascii.h"

namespace boshd::bosh {

bool same_domain(std::string_view a, std::string_view b) {
    return util::ascii::iequals(a, b);
}

std::string_view to_string(TlsMode mode) {
    switch (mode) {
    case TlsMode::None:
        return "none";
    case TlsMode::StartTls:
        return "starttls";
    case TlsMode::Direct:
        return "direct";
    }
    return "none";
}

std::string_view to_string(ProxyProtocol version) {
    switch (version) {
    case ProxyProtocol::Off:
        return "off";
    case ProxyProtocol::V1:
        return "v1";
    case ProxyProtocol::V2:
        return "v2";
    }
    return "off";
}

std::optional<ProxyProtocol> parse_proxy_protocol(std::string_view text) {
    for (auto v : {ProxyProtocol::Off, ProxyProtocol::V1, ProxyProtocol::V2}) {
        if (text == to_string(v)) {
            return v;
        }
    }
    return std::nullopt;
}

std::optional<TlsMode> parse_tls_mode(std::string_view text) {
    for (auto mode : {TlsMode::None, TlsMode::StartTls, TlsMode::Direct}) {
        if (text == to_string(mode)) {
            return mode;
        }
    }
    return std::nullopt;
}

RouteTable::RouteTable(std::vector<Route> routes) {
    routes_.reserve(routes.size());
    for (auto& r : routes) {
        r.domain = util::ascii::to_lower(r.domain);
        routes_.push_back(std::make_shared<const Route>(std::move(r)));
    }
}

std::shared_ptr<const Route> RouteTable::find(std::string_view domain) const {
    for (const auto& r : routes_) {
        if (same_domain(r->domain, domain)) {
            return r;
        }
    }
    return nullptr;
}

} // namespace boshd::bosh
