#include "bosh/route.h"

#include <algorithm>

namespace boshd::bosh {

namespace {

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace

bool same_domain(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii_lower(x) == ascii_lower(y);
           });
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
        std::transform(r.domain.begin(), r.domain.end(), r.domain.begin(), ascii_lower);
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
