// Asynchronous DNS for backend links: SRV lookups (RFC 6120 §3.2.1) and
// address lookups (A and AAAA), with c-ares driven by the event loop. c-ares
// tells which sockets to watch (its socket state callback) and when its next
// retry is due (ares_timeout); libevent events and one timer do the waiting.
// Answers are cached for their TTL (net/dns_cache.h). One resolver serves
// every link: plain hosts go through it as well, so that there is one
// resolver, one configuration (`backend.resolver`) and one cache.
#pragma once

#include "net/dns_cache.h"
#include "net/ev.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct ares_channeldata;
struct ares_addrinfo;

namespace boshd::net {

struct DnsResult {
    enum class Status {
        Found,    // the records are in |answer|
        NoRecord, // NXDOMAIN or no record of the type asked (NODATA)
        Failed,   // no answer: servers unreachable, timeout, malformed reply
    };
    Status status = Status::Failed;
    DnsAnswer answer;
    std::string error; // c-ares' reason, when not Found
};

class DnsResolver {
public:
    using Callback = std::function<void(const DnsResult&)>;

    // A lookup in progress; destroying it cancels the callback (a link that
    // closes while its lookup runs).
    class Lookup {
    public:
        Lookup() = default;
        Lookup(DnsResolver* resolver, std::uint64_t id) : resolver_(resolver), id_(id) {}
        Lookup(Lookup&& other) noexcept { *this = std::move(other); }
        Lookup& operator=(Lookup&& other) noexcept;
        Lookup(const Lookup&) = delete;
        Lookup& operator=(const Lookup&) = delete;
        ~Lookup() { cancel(); }
        void cancel();

    private:
        DnsResolver* resolver_ = nullptr;
        std::uint64_t id_ = 0;
    };

    // |servers|: "" for the system's (/etc/resolv.conf), or c-ares' CSV form,
    // "127.0.0.1:5353" or "[::1]:53,10.0.0.1" (backend.resolver). Throws
    // std::runtime_error when c-ares cannot be set up or refuses |servers|.
    DnsResolver(event_base* base, std::string servers);
    ~DnsResolver();
    DnsResolver(const DnsResolver&) = delete;
    DnsResolver& operator=(const DnsResolver&) = delete;

    const std::string& servers() const { return servers_; }

    // The SRV records of |name|. The callback runs from the event loop, never
    // before the call returns.
    Lookup lookup_srv(const std::string& name, Callback callback);
    // The IPv4 and IPv6 addresses of |host| (a DNS name or an IP literal;
    // /etc/hosts is read first, as the system's resolver would).
    Lookup lookup_addresses(const std::string& host, Callback callback);

private:
    struct Query {
        DnsResolver* resolver;
        std::uint64_t id;
        std::string cache_key;
        Callback callback; // empty once cancelled
        DnsResult result;
    };
    struct ChannelDeleter {
        void operator()(ares_channeldata* channel) const noexcept;
    };

    Query& add_query(std::string cache_key, Callback callback);
    bool answer_from_cache(Query& query);
    void cancel(std::uint64_t id);
    void complete(Query& query, DnsResult result, util::Seconds ttl);
    void arm_timer();
    void process(int read_fd, int write_fd);

    static void on_sock_state(void* self, int fd, int readable, int writable) noexcept;
    static void on_socket(int fd, short what, void* self) noexcept;
    static void on_timeout(int, short, void* self) noexcept;
    static void on_deliver(int, short, void* self) noexcept;
    static void on_srv(void* arg, int status, int timeouts, unsigned char* abuf, int alen) noexcept;
    static void on_addresses(void* arg, int status, int timeouts, ares_addrinfo* res) noexcept;

    event_base* base_;
    std::string servers_;
    DnsCache cache_;
    std::unordered_map<std::uint64_t, std::unique_ptr<Query>> queries_;
    std::deque<std::uint64_t> ready_; // answered, callbacks not yet run
    std::unordered_map<int, EventPtr> sockets_;
    std::vector<EventPtr> retired_; // socket events let go inside a callback
    EventPtr timer_;
    EventPtr deliver_;
    std::uint64_t next_id_ = 1;
    std::unique_ptr<ares_channeldata, ChannelDeleter> channel_; // last: destroyed first
};

} // namespace boshd::net
