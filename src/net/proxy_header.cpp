#include "net/proxy_header.h"

#include <array>

namespace boshd::net {

namespace {

// §2.2: the signature that starts every version 2 header.
constexpr std::array<unsigned char, 12> kV2Signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                        0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr unsigned char kV2Proxy = 0x21;     // version 2, command PROXY
constexpr unsigned char kV2TcpOverV4 = 0x11; // AF_INET, STREAM
constexpr unsigned char kV2TcpOverV6 = 0x21; // AF_INET6, STREAM

void put16(std::string& out, unsigned v) {
    out += static_cast<char>((v >> 8) & 0xff);
    out += static_cast<char>(v & 0xff);
}

void put_bytes(std::string& out, const util::IpAddress& a) {
    for (auto b : a.bytes()) {
        out += static_cast<char>(b);
    }
}

} // namespace

std::string proxy_header(bosh::ProxyProtocol version, const util::Endpoint& source,
                         const util::Endpoint& destination) {
    if (version == bosh::ProxyProtocol::Off) {
        return {};
    }
    // One family for both: IPv4 when both are, else IPv6 (mapped).
    util::IpAddress src = source.address.unmapped();
    util::IpAddress dst = destination.address.unmapped();
    const bool v4 = src.is_v4() && dst.is_v4();
    if (!v4) {
        src = src.mapped();
        dst = dst.mapped();
    }
    std::string out;
    if (version == bosh::ProxyProtocol::V1) {
        // §2.1: addresses in their canonical form (IPv6 as hex groups only,
        // an IPv4-mapped one too), ports in decimal, no leading zeros,
        // single spaces, CRLF.
        out = "PROXY ";
        out += v4 ? "TCP4 " : "TCP6 ";
        out += src.to_hex_groups() + " " + dst.to_hex_groups() + " " + std::to_string(source.port) +
               " " + std::to_string(destination.port) + "\r\n";
        return out;
    }
    out.assign(kV2Signature.begin(), kV2Signature.end());
    out += static_cast<char>(kV2Proxy);
    out += static_cast<char>(v4 ? kV2TcpOverV4 : kV2TcpOverV6);
    put16(out, v4 ? 12 : 36); // 2 addresses and 2 ports
    put_bytes(out, src);
    put_bytes(out, dst);
    put16(out, source.port);
    put16(out, destination.port);
    return out;
}

} // namespace boshd::net
