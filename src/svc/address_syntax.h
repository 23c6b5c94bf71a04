// Syntax of the addresses the configuration names: host:port pairs, DNS
// names, IPv6 literals and CORS origins. Pure string checks, no lookups.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace boshd::svc {

// Letters, digits and '-' in dot-separated labels of sane length. IPv4
// literals pass too, which is what a host field wants.
bool is_dns_name(std::string_view name);

bool is_ipv6(std::string_view text);

// Splits "host:port" or "[v6]:port" (port optional unless |port_required|).
// Returns a reason on error, empty on success; |host| comes without brackets.
std::string parse_host_port(std::string_view text, bool port_required, std::uint32_t port_min,
                            std::string& host, std::optional<std::uint32_t>& port);

// A browser's Origin header: scheme "://" host [":" port], nothing after, or
// "*". Browsers serialise it in lower case, so it is returned that way.
std::optional<std::string> parse_origin(std::string_view text);

} // namespace boshd::svc
