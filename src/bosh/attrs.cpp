#include "bosh/attrs.h"

#include "util/hex.h"

#include <charconv>

namespace boshd::bosh {

namespace {

// A non-negative decimal integer: digits only, no sign, no spaces (the
// schema's xs:unsignedLong and friends; leading zeros are allowed there).
std::optional<std::uint64_t> parse_unsigned(std::string_view s) {
    if (s.empty() || s.size() > 20) {
        return std::nullopt;
    }
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

std::optional<Version> parse_version(std::string_view s) {
    const auto dot = s.find('.');
    if (dot == std::string_view::npos) {
        return std::nullopt;
    }
    const auto major = parse_unsigned(s.substr(0, dot));
    const auto minor = parse_unsigned(s.substr(dot + 1));
    if (!major || !minor || *major > UINT32_MAX || *minor > UINT32_MAX) {
        return std::nullopt;
    }
    return Version{static_cast<std::uint32_t>(*major), static_cast<std::uint32_t>(*minor)};
}

// `content` is echoed as the Content-Type of every response (C124-7.1-08),
// so it must be a harmless header value: printable ASCII, no CR or LF.
bool is_header_safe(std::string_view s) {
    for (unsigned char c : s) {
        if (c < 0x20 || c > 0x7e) {
            return false;
        }
    }
    return !s.empty();
}

struct Parser {
    const xml::Body& body;
    std::string error;

    std::optional<std::string> text(std::string_view ns, std::string_view local) const {
        if (auto v = body.attribute(ns, local)) {
            return std::string(*v);
        }
        return std::nullopt;
    }

    template <typename T>
    std::optional<T> number(std::string_view local, std::uint64_t min, std::uint64_t max) {
        const auto raw = body.attribute({}, local);
        if (!raw) {
            return std::nullopt;
        }
        const auto v = parse_unsigned(*raw);
        if (!v || *v < min || *v > max) {
            fail(std::string(local) + " is not an integer in range");
            return std::nullopt;
        }
        return static_cast<T>(*v);
    }

    void fail(std::string reason) {
        if (error.empty()) {
            error = std::move(reason);
        }
    }
};

} // namespace

std::string to_string(Version v) {
    return std::to_string(v.major) + "." + std::to_string(v.minor);
}

std::optional<Key> parse_key(std::string_view hex) {
    return util::from_hex<std::tuple_size_v<Key>>(hex);
}

std::optional<Key> key_of(const BodyAttrs& a) {
    return a.key ? parse_key(*a.key) : std::nullopt;
}

util::Result<BodyAttrs, std::string> parse_attrs(const xml::Body& body) {
    Parser p{body, {}};
    BodyAttrs a;
    a.rid = p.number<std::uint64_t>("rid", 1, kMaxRid);
    a.sid = p.text({}, "sid");
    a.to = p.text({}, "to");
    a.lang = p.text(kXmlNs, "lang");
    a.wait = p.number<std::uint32_t>("wait", 0, UINT32_MAX);
    a.hold = p.number<std::uint32_t>("hold", 0, UINT32_MAX);
    a.ack = p.number<std::uint64_t>("ack", 0, kMaxRid);
    a.pause = p.number<std::uint32_t>("pause", 0, UINT32_MAX);
    a.from = p.text({}, "from");
    a.key = p.text({}, "key");
    a.newkey = p.text({}, "newkey");
    a.stream = p.text({}, "stream");
    // Never read: `route`, which boshd ignores (C124-7.1-05) and so never
    // parses as a URI (C124-7.1-06), and `secure`, removed in XEP-0124 1.8,
    // accepted and ignored (L124-01, N206-07), like any attribute not named here.
    // §15: every key a client sends is hex(SHA-1(...)); anything else is a
    // malformed attribute (C124-6-10), and keeps per-request state small.
    if ((a.key && !parse_key(*a.key)) || (a.newkey && !parse_key(*a.newkey))) {
        p.fail("key or newkey is not 40 hex digits");
    }
    // xbosh attributes are matched by namespace URI, never by prefix (C206-11-01).
    a.xmpp_version = p.text(kXboshNs, "version");
    if (auto ver = body.attribute({}, "ver")) {
        a.ver = parse_version(*ver);
        if (!a.ver) {
            p.fail("ver is not major.minor");
        }
    }
    if (auto content = body.attribute({}, "content")) {
        if (!is_header_safe(*content)) {
            p.fail("content is not a printable ASCII media type");
        }
        a.content = std::string(*content);
    }
    if (auto type = body.attribute({}, "type")) {
        if (*type != "terminate") {
            p.fail("type is not 'terminate'"); // 'error' is for the CM to send
        }
        a.terminate = true;
    }
    // A restart request (C206-5-02): xbosh `restart` is an xs:boolean (C206-11-02).
    if (auto restart = body.attribute(kXboshNs, "restart")) {
        if (*restart == "true" || *restart == "1") {
            a.restart = true;
        } else if (*restart != "false" && *restart != "0") {
            p.fail("xmpp:restart is not an xs:boolean");
        }
    }
    if (!p.error.empty()) {
        return util::fail(std::move(p.error));
    }
    return a;
}

} // namespace boshd::bosh
