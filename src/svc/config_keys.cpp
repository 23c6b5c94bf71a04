// The key table (config_keys.h). Ranges are sanity bounds against typos and
// resource exhaustion, not tuning advice. A unit test checks that every
// documented default reads back as the built-in default.
#include "svc/config_keys.h"

#include "svc/config_values.h"

#include <array>
#include <limits>
#include <type_traits>

namespace boshd::svc::keys {

void Ctx::fail(const toml::node& node, std::string_view reason) const {
    fail_at(source, node.source().begin, key, reason);
}

void fail_at(std::string_view source, toml::source_position pos, std::string_view key,
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

namespace {

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

template <class T>
constexpr Key<T> integer_key(std::string_view name, Doc doc, std::int64_t min, std::int64_t max,
                             void (*put)(T&, std::int64_t)) {
    return {.name = name, .doc = doc, .min = min, .max = max, .put = put};
}

template <class T>
constexpr Key<T> value_key(std::string_view name, Doc doc,
                           void (*parse)(T&, const toml::node&, const Ctx&)) {
    return {.name = name, .doc = doc, .parse = parse};
}

constexpr std::string_view kInteger = "integer";
constexpr std::string_view kString = "string";
constexpr std::string_view kBoolean = "boolean";

constexpr auto kHttpKeys = std::to_array<Key<Config>>({
    value_key(
        "listen",
        {kString, R"("127.0.0.1:5280")", "`host:port`, port 0–65535",
         "Address the HTTP front end listens on. IPv6 in brackets: `\"[::1]:5280\"`. The host is a "
         "DNS name, an IPv4 address or a bracketed IPv6 address; port 0 picks any free port (for "
         "tests).",
         "Loopback, because boshd is meant to sit behind a web server that terminates HTTPS."},
        values::listen),
    value_key("path",
              {kString, R"("/http-bind")",
               "starts with `/`; no spaces, control characters, `?` or `#`",
               "URL path of the BOSH endpoint, matched verbatim.",
               "`/http-bind` is the path most clients and proxies assume."},
              values::path),
    value_key("tls_cert",
              {kString, R"("")", "path; set together with `tls_key`",
               "PEM file of the HTTPS certificate, followed by its chain (intermediates). When "
               "set, the listener speaks HTTPS only: TLS 1.2 and 1.3 with OpenSSL's default "
               "ciphers, ALPN `http/1.1`. Re-read on reload (a file that cannot be used fails "
               "the reload and the old certificate stays); `--check-config` loads it.",
               "Empty: plain HTTP, for a listener behind a proxy that terminates HTTPS."},
              values::http_tls_cert),
    value_key("tls_key",
              {kString, R"("")", "path; set together with `tls_cert`",
               "PEM file of the private key of `tls_cert` (unencrypted). Re-read on reload.",
               "Empty: plain HTTP."},
              values::http_tls_key),
    integer_key("max_connections",
                {kInteger,
                 "0",
                 {},
                 "Client connections open at once; a new one over it is closed as soon as it is "
                 "accepted (`http.connection_refused`, at most one line per 10 s). 0: 20000, or "
                 "`(open-files limit - 64) * 2 / 3` when that is lower (64 descriptors for boshd "
                 "itself, a third of the rest for connections to XMPP servers). Reloadable; open "
                 "connections are never closed for it.",
                 "Bounds descriptors and memory whatever clients do, and leaves room for the "
                 "connections to the XMPP servers."},
                0, 1000000, put<kHttp, &HttpConfig::max_connections>),
    integer_key(
        "max_connections_per_ip",
        {kInteger,
         "256",
         {},
         "Client connections open at once from one address (IPv6 addresses by their /64); a "
         "new one over it is closed as soon as it is accepted. The addresses of "
         "`trusted_proxies` are exempt (only `max_connections` applies to them). "
         "Reloadable.",
         "A browser opens 6 per host name; 256 leaves room for many users behind one "
         "NAT while one address cannot take every connection."},
        1, 1000000, put<kHttp, &HttpConfig::max_connections_per_ip>),
    integer_key("max_body_size",
                {kInteger,
                 "65536",
                 {},
                 "Largest request body accepted, in bytes; a larger one gets 413.",
                 "64 KiB holds any reasonable batch of stanzas while bounding memory per request."},
                kKiB, 16 * kMiB, put<kHttp, &HttpConfig::max_body_size>),
    integer_key("max_header_size",
                {kInteger,
                 "8192",
                 {},
                 "Largest header block, in bytes; beyond it the request gets 431 and its "
                 "connection is closed. A request line over 8 KiB gets 414, one with more "
                 "than 100 header lines 431, one with two `Content-Length` headers or any "
                 "`Transfer-Encoding` 400, an unknown method 405, each with the connection "
                 "closed, so that nothing after it is read as another request.",
                 "8 KiB is what nginx and most servers allow; BOSH requests carry a handful of "
                 "short headers."},
                1024, 65536, put<kHttp, &HttpConfig::max_header_size>),
    integer_key(
        "idle_timeout",
        {kInteger,
         "60",
         {},
         "Seconds an idle keep-alive connection or a slow request read may last. Never cuts a held "
         "request.",
         "60 s frees the sockets of vanished clients."},
        1, 3600, put<kHttp, &HttpConfig::idle_timeout>),
    integer_key("header_timeout",
                {kInteger,
                 "10",
                 {},
                 "Seconds a request's head (request line and headers) may take from its first "
                 "byte, and its body from the end of the head; a client slower than that gets "
                 "408 and its connection is closed, however it trickles its bytes. On HTTPS it "
                 "also bounds the TLS handshake, from accept (closed without an answer), and "
                 "each TLS record from its first byte. Reloadable, for new connections.",
                 "BOSH requests are a few hundred bytes; 10 s is ample on a slow mobile link "
                 "and cuts off slow-header (slowloris) attacks, which the idle timeout cannot: "
                 "it restarts with every byte."},
                1, 3600, put<kHttp, &HttpConfig::header_timeout>),
    integer_key(
        "compress_min_size",
        {kInteger,
         "0",
         {},
         "BOSH replies of at least this many bytes are sent compressed when the request's "
         "`Accept-Encoding` allows `gzip` or `deflate` (q-values honoured, `gzip` on a tie), with "
         "`Content-Encoding` and `Vary: Accept-Encoding`; `0` never compresses replies. Requests "
         "with `Content-Encoding: gzip` or `deflate` are decoded whatever this value (the creation "
         "reply advertises `accept`); the decoded body is bounded by `max_body_size` (413 beyond "
         "it), other codings get 415.",
         "Off: over TLS, a compressed reply that mixes stanzas an attacker can make the server "
         "send "
         "with private ones leaks the private ones through its length (BREACH-style). Turn it on "
         "(`1024` skips replies too small to gain) only where bandwidth matters more than that "
         "risk."},
        0, 16 * kMiB, put<kHttp, &HttpConfig::compress_min_size>),
    value_key("cors_origins",
              {"array of strings", R"(["*"])", "each `\"*\"` or `scheme://host[:port]`, no path",
               "Origins allowed by CORS; `\"*\"` allows any. An empty array sends no CORS headers. "
               "Stored in lower case, as browsers send them.",
               "`\"*\"` lets web clients on any site use the service. That is safe because BOSH "
               "authenticates inside the XMPP stream (SASL), never with cookies a browser would "
               "attach on "
               "its own."},
              values::cors_origins),
    value_key(
        "trusted_proxies",
        {"array of strings", "[]",
         "each a network (`\"10.0.0.0/8\"`, `\"::1/128\"`) or an address (`/32`, `/128`)",
         "Proxies whose headers name the client. A request from a peer in one of these networks "
         "is taken to come from the right-most address of RFC 7239 `Forwarded` (or, when the "
         "request has none, `X-Forwarded-For`) that is not itself in them; every log line about "
         "the request or its session shows that address as `ip=`, the per-client limits "
         "(`session.max_sessions_per_ip`, `session.max_new_sessions_per_ip`) count it, and a "
         "route's `proxy_protocol` passes it to the XMPP server. From any other peer both headers "
         "are ignored. A trusted proxy's header that cannot be read is logged "
         "(`http.forwarded_invalid`) and the peer is the client. Reloadable.",
         "Empty: headers are believed from nobody, since anyone can send them. Behind nginx or "
         "HAProxy on the same host set `[\"127.0.0.1\", \"::1\"]`."},
        values::trusted_proxies),
});

constexpr auto kSessionKeys = std::to_array<Key<Config>>({
    integer_key(
        "max_wait",
        {kInteger,
         "60",
         {},
         "Longest a request is held, in seconds; a client's larger `wait` is lowered to this "
         "(XEP-0124 §7.1).",
         "60 s stays under the usual proxy timeouts."},
        1, 3600, put<kLimits, &Limits::max_wait>),
    integer_key(
        "max_hold",
        {kInteger,
         "1",
         {},
         "Most requests held at once per session; a client's larger `hold` is lowered to this.",
         "1, as Prosody and ejabberd grant: StanzaJS asks for `hold='2'` but keeps only two "
         "connections, so with two requests held it has none left to send on until `wait` "
         "expires; each held request is also one more descriptor per session."},
        0, 16, put<kLimits, &Limits::max_hold>),
    integer_key(
        "inactivity",
        {kInteger,
         "60",
         {},
         "Advertised `inactivity`, in seconds: a session with no request held for this long is "
         "dropped.",
         "60 s survives a page reload without piling up abandoned sessions."},
        1, 3600, put<kLimits, &Limits::inactivity>),
    integer_key(
        "polling",
        {kInteger,
         "2",
         {},
         "Advertised `polling`, in seconds: the shortest interval between two empty requests. 0 "
         "disables the check and is not advertised.",
         "2 s stops runaway polling loops."},
        0, 600, put<kLimits, &Limits::polling>),
    integer_key(
        "max_sessions",
        {kInteger,
         "10000",
         {},
         "Sessions open at once; creation beyond it is refused with `undefined-condition`.",
         "10000 bounds memory and connections to the XMPP server; each idle session also holds two "
         "descriptors (see \"Deployment\" in the README)."},
        1, 1000000, put<kLimits, &Limits::max_sessions>),
    integer_key(
        "max_sessions_per_ip",
        {kInteger,
         "100",
         {},
         "Sessions one client may have open at once, counted by client address (IPv6 addresses "
         "by their /64; behind a proxy, the address `http.trusted_proxies` lets it name). A "
         "creation beyond it gets a terminal `policy-violation` (HTTP 403 for a client that sent "
         "no `ver`) and opens no connection to the XMPP server; `session.refused` is logged at "
         "most once a minute per client. 0: no limit.",
         "100 is far more than one household or office opens, and keeps a single address from "
         "taking the server's `max_sessions` (and as many XMPP connections) for itself."},
        0, 1000000, put<kLimits, &Limits::max_sessions_per_ip>),
    integer_key(
        "max_new_sessions_per_ip",
        {kInteger,
         "60",
         {},
         "Sessions one client may create per minute, counted like `max_sessions_per_ip`: a token "
         "bucket of this many creations, refilled evenly over the minute, so a burst of this "
         "many is allowed and then one every 60/N seconds. Beyond it as `max_sessions_per_ip`. "
         "Memory is bounded: only clients whose bucket is not full are remembered, at most "
         "65536 at once (beyond that the fullest bucket is forgotten; see the README). 0: no "
         "limit.",
         "60 a minute lets a page reload or a reconnecting client through at once while a script "
         "opening session after session (each one a connection to the XMPP server, before any "
         "authentication) is slowed to one a second."},
        0, 60000, put<kLimits, &Limits::max_new_sessions_per_ip>),
    integer_key(
        "max_pause",
        {kInteger,
         "120",
         {},
         "Advertised `maxpause` (XEP-0124 §10), in seconds: the longest `pause` a client may ask "
         "for, to keep its session over a page change; a longer one ends the session with "
         "`policy-violation`. 0 disables pause and the attribute.",
         "120 s covers a slow page load without keeping abandoned sessions long."},
        0, 86400, put<kLimits, &Limits::max_pause>),
    integer_key(
        "max_streams",
        {kInteger,
         "1",
         {},
         "Streams one session may hold (XEP-0124 §16, multiple streams), each its own connection "
         "to "
         "the XMPP server. Above 1 the creation reply carries `stream`, an empty request with `to` "
         "adds a stream to a served domain, and an add beyond the limit gets a `policy-violation` "
         "terminate scoped to that add (the session goes on). Adds are answered at once and each "
         "opens a connection, so they are rate-limited by `polling`: an add sooner than `polling` "
         "after the previous one gets the same scoped `policy-violation`. 1 disables the feature: "
         "no `stream`, a later `to` is ignored.",
         "Browser clients (Strophe.js, Converse.js) use one stream, so it is off."},
        1, 16, put<kLimits, &Limits::max_streams>),
    integer_key(
        "max_client_queue",
        {kInteger,
         "1048576",
         {},
         "Bytes queued for a client that is not fetching them; beyond it the session ends with "
         "`policy-violation`. Also bounds the responses kept for a client that acknowledges "
         "responses (XEP-0124 §9.2, `ack='1'` on creation) and has not acknowledged them yet.",
         "1 MiB absorbs bursts such as roster pushes without letting one slow client grow without "
         "bound."},
        4 * kKiB, kGiB, put<kLimits, &Limits::max_client_queue>),
    integer_key(
        "max_server_queue",
        {kInteger,
         "1048576",
         {},
         "Bytes queued for the XMPP server while it is not reading them (it throttles this client, "
         "or hangs); beyond it the session ends with `remote-connection-failed`.",
         "1 MiB absorbs bursts such as file offers."},
        4 * kKiB, kGiB, put<kLimits, &Limits::max_server_queue>),
    integer_key(
        "max_unacked_responses",
        {kInteger,
         "256",
         {},
         "Most responses kept for a client that acknowledges responses (XEP-0124 §9.2) and has not "
         "acknowledged them yet; beyond it `policy-violation`. Each kept response also counts a "
         "fixed per-entry overhead against `max_client_queue`.",
         "256 is far above what a working client leaves unacknowledged."},
        16, 65536, put<kLimits, &Limits::max_unacked_responses>),
    integer_key("max_xml_depth",
                {kInteger,
                 "32",
                 {},
                 "Deepest element nesting in a request body.",
                 "Stanzas rarely nest past 10; 32 leaves room while defeating nesting bombs."},
                2, 256, put<kLimits, &Limits::max_xml_depth>),
    integer_key("max_xml_elements",
                {kInteger,
                 "2000",
                 {},
                 "Most elements in one request body.",
                 "2000 allows large batches and bounds the parsing work per request."},
                2, 1000000, put<kLimits, &Limits::max_xml_elements>),
    value_key("request_acks",
              {kBoolean,
               "true",
               {},
               "Put `ack` on responses (XEP-0124 §9.1 request acknowledgements).",
               "On, so that clients can detect and resend lost responses."},
              values::put_bool<kLimits, &Limits::request_acks>),
});

constexpr auto kBackendKeys = std::to_array<Key<Config>>({
    integer_key(
        "timeout",
        {kInteger,
         "10",
         {},
         "Seconds from session creation until the XMPP server's stream features arrive (TCP "
         "connect, TLS, stream open); beyond it the session fails with `remote-connection-failed`.",
         "10 s covers a slow handshake while keeping a dead server's failure prompt."},
        1, 600, put<kLimits, &Limits::backend_timeout>),
    integer_key(
        "max_stanza_size",
        {kInteger,
         "262144",
         {},
         "Largest stanza accepted from the XMPP server, in bytes; a larger one ends the session.",
         "256 KiB fits vCards with avatars."},
        kKiB, 16 * kMiB, put<kLimits, &Limits::max_stanza_size>),
    value_key("resolver",
              {kString, R"("")", "`\"\"` or an IP address with an optional port (default 53)",
               "The DNS server that finds the XMPP servers: a route's host and, with `srv = "
               "true`, its SRV records. `\"\"` means the system's (`/etc/resolv.conf`, and "
               "`/etc/hosts` first for addresses). Written `\"127.0.0.1:5353\"` or "
               "`\"[::1]:53\"`. A server that does not answer is given 1.5 s, then 3 s, before "
               "the session fails with `remote-connection-failed`; answers are kept for their "
               "TTL. A reload applies it to new sessions.",
               "The system's resolver is what the operator has already set up; a fixed one is "
               "for a split-horizon DNS or tests."},
              values::resolver),
});

constexpr auto kLogKeys = std::to_array<Key<Config>>({
    value_key("level",
              {kString, R"("info")", "`debug`, `info`, `notice`, `warning`, `error`",
               "Least severe level written.",
               "`info` logs each session's start and end without per-request noise."},
              values::log_level),
});

constexpr auto kService = &Config::service;

constexpr auto kServiceKeys = std::to_array<Key<Config>>({
    integer_key("shutdown_grace",
                {kInteger,
                 "10",
                 {},
                 "Seconds live sessions may go on after SIGTERM. The drain refuses new sessions "
                 "with `system-shutdown` at once (and the admin `/healthz` answers 503), answers "
                 "every held request, then ends the sessions still open after this long with "
                 "`system-shutdown` and `</stream:stream>` to the server. boshd exits as soon as "
                 "the last session is gone; a second signal ends it at once. 0 ends every "
                 "session at once.",
                 "10 s lets a client finish what it is sending and a load balancer notice the "
                 "drain, within systemd's default stop timeout."},
                0, 3600, put<kService, &ServiceConfig::shutdown_grace>),
});

constexpr auto kAdminKeys = std::to_array<Key<Config>>({
    value_key(
        "listen",
        {kString, R"("")", "`\"\"` (off) or `host:port`, port 0–65535",
         "Address of the admin listener, a second HTTP listener apart from the BOSH one: "
         "`GET /metrics` (Prometheus text format 0.0.4), `GET /healthz` (`ok`, or 503 once "
         "the drain has begun) and `GET /` (a status page: uptime, sessions, routes and the "
         "health of their XMPP servers). Written like `http.listen`; `\"\"` means no admin "
         "listener. A reload opens, moves or closes it; a socket systemd passes (named `admin`) "
         "replaces it.",
         "Off, because it answers anyone who can reach it, without authentication: turn it on "
         "on loopback (`\"127.0.0.1:5281\"`) or a private address only, never where the BOSH "
         "clients are."},
        values::admin_listen),
});

constexpr auto kSections = std::to_array<Section>({
    {"http", "the HTTP front end", {}, kHttpKeys},
    {"session", "BOSH session limits", {}, kSessionKeys},
    {"backend", "links to the XMPP server", {}, kBackendKeys},
    {"log", "logging", {}, kLogKeys},
    {"service", "the process as a system service", {}, kServiceKeys},
    {"admin", "metrics, health and status", {}, kAdminKeys},
});

constexpr auto kRouteKeys = std::to_array<Key<bosh::Route>>({
    value_key("domain",
              {kString,
               "required",
               "DNS name: letters, digits, `-`, `.`",
               "The XMPP domain clients name in `to`. Stored in lower case.",
               {},
               R"("localhost")"},
              values::domain),
    value_key("host",
              {kString,
               "the `domain`",
               "DNS name or IP address (IPv6 without brackets)",
               "Where the domain's client-to-server listener is. With `srv = true`, where to go "
               "when the domain has no SRV record.",
               {},
               R"("127.0.0.1")"},
              values::host),
    integer_key<bosh::Route>(
        "port",
        {kInteger,
         "`5222`, or `5223` when `tls = \"direct\"`",
         {},
         "Its port. With `srv = true`, the port used when the domain has no SRV record.",
         {},
         "5222"},
        1, std::numeric_limits<std::uint16_t>::max(),
        [](bosh::Route& r, std::int64_t v) { r.port = static_cast<std::uint16_t>(v); }),
    value_key("srv",
              {kBoolean,
               "`false`",
               {},
               "Find the server by DNS SRV, as XMPP clients do (RFC 6120 §3.2.1): "
               "`_xmpp-client._tcp.` followed by the domain, or `_xmpps-client._tcp.` when "
               "`tls = \"direct\"` (XEP-0368). Targets are tried by priority, by weighted "
               "random pick within one, each address in turn, the next one when a connection "
               "is refused or takes over 4 s. No SRV record: `host` and `port` (by default the "
               "domain on 5222, or 5223). A single target `.`: the domain offers no XMPP "
               "service, and sessions fail with `remote-connection-failed`. The certificate is "
               "still checked against the domain (or `tls_server_name`), never the SRV target. "
               "Lookups use `backend.resolver`.",
               "Off: a route names its server, and a connection manager usually sits next to "
               "it.",
               "false"},
              values::put_route_bool<&bosh::Route::srv>),
    value_key(
        "tls",
        {kString, R"(`"starttls"`)", "`none`, `starttls`, `direct`",
         "`none`: plain TCP. `starttls`: RFC 6120 STARTTLS, required; a server not offering it is "
         "a failure. `direct`: TLS from the first byte (XEP-0368).",
         "`none` is for loopback or a trusted private network only (XEP-0124 §19.2); across a "
         "network use `starttls` or `direct`.",
         R"("none")"},
        values::tls),
    value_key("tls_verify",
              {kBoolean,
               "`true`",
               {},
               "Check the server's certificate chain and host name.",
               "Turn it off only for testing, never across an untrusted network.",
               "true"},
              values::put_route_bool<&bosh::Route::tls_verify>),
    value_key(
        "tls_server_name",
        {kString,
         R"(`""`)",
         "empty or a DNS name",
         "Name sent as SNI and verified in the certificate; empty means `domain`. Stored in lower "
         "case.",
         {},
         R"("")"},
        values::tls_server_name),
    value_key("tls_ca_file",
              {kString,
               R"(`""`)",
               "path",
               "PEM file of trusted CA certificates; empty means the system trust store. "
               "`--check-config` "
               "opens it.",
               {},
               R"("")"},
              values::tls_ca_file),
    value_key(
        "proxy_protocol",
        {kString, R"(`"off"`)", "`off`, `v1`, `v2`",
         "Send the HAProxy PROXY protocol header (`v1`: the text line, `v2`: the binary form) "
         "first on every connection to this server, before TLS for `tls = \"direct\"`: the "
         "BOSH client's address and port as the source (the client of `http.trusted_proxies`; "
         "port 0 when a proxy's header gave none) and boshd's own end of the connection as the "
         "destination. The server then sees each client's address instead of boshd's, for its "
         "logs and its per-address protections (ejabberd's `mod_fail2ban`). The server's "
         "listener must expect the header (ejabberd: `use_proxy_protocol: true`), and must then "
         "accept connections from boshd only.",
         "Off: a server not expecting the header fails every stream.", R"("off")"},
        values::proxy_protocol),
});

} // namespace

const std::string_view kRouteTitle = "where each XMPP domain goes (at least one required)";
const std::string_view kRouteIntro =
    "A client's `to` must name a route's domain, otherwise the session is refused with "
    "`host-unknown`: boshd is never an open relay, and the client's `route` attribute is "
    "ignored. Repeat the table for each domain; a domain may appear only once (compared "
    "case-insensitively).";

std::span<const Section> sections() {
    return kSections;
}
std::span<const Key<bosh::Route>> route_keys() {
    return kRouteKeys;
}

} // namespace boshd::svc::keys
