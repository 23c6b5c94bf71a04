// Where sessions for a domain go. boshd is never an open relay: a `to` that no
// route names is refused with host-unknown (C124-17.2-06), and the client's
// `route` attribute is ignored (C124-7.1-05 allows a CM serving fixed domains to).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boshd::bosh {

enum class TlsMode {
    None,     // plain TCP: loopback or a trusted private network only (C124-19.2-01)
    StartTls, // RFC 6120 §5 STARTTLS, required: a server not offering it is a failure
    Direct,   // TLS from the first byte (XEP-0368 style, usually port 5223)
};

std::string_view to_string(TlsMode mode);

// The HAProxy PROXY protocol header a backend link sends first, naming the
// BOSH client as the connection's source (README: "PROXY protocol").
enum class ProxyProtocol {
    Off,
    V1, // the text line, "PROXY TCP4 ..."
    V2, // the binary header
};

std::string_view to_string(ProxyProtocol version);
std::optional<ProxyProtocol> parse_proxy_protocol(std::string_view text);

// DNS names compare case-insensitively (ASCII): "Example.ORG" is example.org.
bool same_domain(std::string_view a, std::string_view b);
std::optional<TlsMode> parse_tls_mode(std::string_view text);

struct Route {
    std::string domain; // the XMPP domain clients name in `to`, lower case
    std::string host;   // where its c2s listener is (with srv: when there is no SRV record)
    std::uint16_t port = 5222;
    // Find the server by SRV (RFC 6120 §3.2.1): _xmpp-client._tcp.<domain>,
    // or _xmpps-client._tcp.<domain> for direct TLS (XEP-0368).
    bool srv = false;
    TlsMode tls = TlsMode::StartTls;
    bool tls_verify = true;      // certificate chain and host name checks
    std::string tls_server_name; // SNI and the name verified; empty means `domain`
    std::string tls_ca_file;     // empty means the system trust store
    ProxyProtocol proxy_protocol = ProxyProtocol::Off;

    // The SRV name looked up when |srv| is on.
    std::string srv_name() const {
        return (tls == TlsMode::Direct ? "_xmpps-client._tcp." : "_xmpp-client._tcp.") + domain;
    }

    std::string_view server_name() const {
        return tls_server_name.empty() ? domain : tls_server_name;
    }

    bool operator==(const Route&) const = default;
};

// Immutable after construction; sessions hold a shared_ptr to the Route they
// were created under, so a future config reload cannot pull it from under them.
class RouteTable {
public:
    RouteTable() = default;
    explicit RouteTable(std::vector<Route> routes);

    // Case-insensitive (ASCII) match of |domain| against Route::domain.
    std::shared_ptr<const Route> find(std::string_view domain) const;
    std::size_t size() const { return routes_.size(); }

private:
    std::vector<std::shared_ptr<const Route>> routes_;
};

} // namespace boshd::bosh
