// The one table of configuration keys. Each entry holds everything about a
// key: its name, how it is read and checked, and its documentation. The
// reader (config.cpp) accepts exactly these keys, and the reference
// (conf/CONFIG.md), the annotated file (conf/boshd.toml) and boshd.toml(5)
// are generated from the same entries (config_docs.cpp), so none of them can
// drift from what boshd accepts.
#pragma once

#include "bosh/route.h"
#include "svc/config.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <toml++/toml.h>

namespace boshd::svc::keys {

// The key being read, for error messages.
struct Ctx {
    std::string_view source;
    std::string key; // as displayed: "session.max_wait", "route[0].port"

    [[noreturn]] void fail(const toml::node& node, std::string_view reason) const;
};

// "FILE:LINE:COL: KEY: REASON", thrown as ConfigError.
[[noreturn]] void fail_at(std::string_view source, toml::source_position pos, std::string_view key,
                          std::string_view reason);

// What the documentation says of a key. Texts are Markdown with `code` spans
// only, so that every output format can render them.
struct Doc {
    std::string_view type;          // "integer", "string", "boolean", "array of strings"
    std::string_view default_value; // a TOML value, or words (route keys) when it depends
    std::string_view range;         // empty for integers: theirs comes from min and max
    std::string_view meaning;       // what the key does
    std::string_view why;           // why the default is what it is
    std::string_view example = {};  // route keys: the value the annotated file shows
};

template <class T> struct Key {
    std::string_view name;
    Doc doc;
    // An integer key has a range and a setter; every other key a parser.
    std::int64_t min = 0;
    std::int64_t max = 0;
    void (*put)(T&, std::int64_t) = nullptr;
    void (*parse)(T&, const toml::node&, const Ctx&) = nullptr;

    bool is_integer() const { return put != nullptr; }
};

// A table of the file, such as [http].
struct Section {
    std::string_view name;  // "http"
    std::string_view title; // "the HTTP front end"
    std::string_view intro; // may be empty
    std::span<const Key<Config>> keys;
};

// [http], [session], [backend], [log], [admin], in the order the documentation shows.
std::span<const Section> sections();

// The keys of one [[route]] table, and what the documentation says of it.
std::span<const Key<bosh::Route>> route_keys();
extern const std::string_view kRouteTitle;
extern const std::string_view kRouteIntro;

// XEP-0368 direct TLS is conventionally served on 5223, so tls = "direct"
// without a port means that rather than the STARTTLS port 5222.
constexpr std::uint16_t kDirectTlsPort = 5223;

} // namespace boshd::svc::keys
