// Ids, not pointers, cross between the engine and the adapters (ARCHITECTURE.md
// §2): a stale id finds nothing instead of touching freed memory. Each is
// issued from a counter and never reused within the process.
#pragma once

#include <cstdint>
#include <functional>

namespace boshd::bosh {

enum class RequestId : std::uint64_t {}; // one HTTP request, issued by the front end
enum class SessionId : std::uint64_t {}; // one BOSH session, issued by the engine
enum class LinkId : std::uint64_t {};    // one backend XMPP connection, issued by the engine

template <typename Id> constexpr std::uint64_t value_of(Id id) {
    return static_cast<std::uint64_t>(id);
}

struct IdHash {
    template <typename Id> std::size_t operator()(Id id) const noexcept {
        return std::hash<std::uint64_t>{}(value_of(id));
    }
};

} // namespace boshd::bosh
