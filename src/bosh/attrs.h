// A typed, range-checked view of the attributes of one inbound <body/>.
// Values that break the schema types are binding syntax errors (C124-6-10),
// answered with bad-request. Qualified attributes are matched by namespace
// URI, never by prefix (C206-11-01).
#pragma once

#include "util/result.h"
#include "xml/body_parser.h"

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>

namespace boshd::bosh {

inline constexpr std::string_view kXboshNs = "urn:xmpp:xbosh";
inline constexpr std::string_view kXmlNs = "http://www.w3.org/XML/1998/namespace";

// Largest rid a client may use: 2^53 - 1 (C124-14.1-01; 64-bit arithmetic).
inline constexpr std::uint64_t kMaxRid = (std::uint64_t{1} << 53) - 1;

// A BOSH protocol version. Compared as two integers, so 1.10 > 1.9 (C124-7.1-04).
struct Version {
    std::uint32_t major = 0;
    std::uint32_t minor = 0;
    auto operator<=>(const Version&) const = default;
};

std::string to_string(Version v);

struct BodyAttrs {
    std::optional<std::uint64_t> rid;
    std::optional<std::string> sid;
    // Session creation (and stream restart) attributes.
    std::optional<std::string> to;
    std::optional<std::string> lang; // xml:lang
    std::optional<Version> ver;
    std::optional<std::uint32_t> wait;
    std::optional<std::uint32_t> hold;
    std::optional<std::string> content;
    std::optional<std::string> from;
    std::optional<std::string> xmpp_version; // urn:xmpp:xbosh version
    std::optional<std::uint64_t> ack;
    std::optional<std::uint32_t> pause;
    std::optional<std::string> key;    // §15: this request's key
    std::optional<std::string> newkey; // §15: the head of a (new) key chain
    std::optional<std::string> stream; // §16: the stream a request is for
    bool restart = false;   // urn:xmpp:xbosh restart, an xs:boolean (C206-5-02, C206-11-02)
    bool terminate = false; // type='terminate'
};

// Parses the attributes of |body|. The error is a reason for the log.
util::Result<BodyAttrs, std::string> parse_attrs(const xml::Body& body);

// A §15 key as kept per held or cached request: every key is hex(SHA-1(...)),
// so its 20 bytes (C124-15.4-01, C124-15.4-04).
using Key = std::array<std::uint8_t, 20>;
// |hex| as a Key: exactly 40 hex digits, either case (C124-15.3-01).
std::optional<Key> parse_key(std::string_view hex);
// The request's key, compact; nullopt without one (parse_attrs checked it).
std::optional<Key> key_of(const BodyAttrs& a);

} // namespace boshd::bosh
