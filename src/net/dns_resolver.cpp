#include "net/dns_resolver.h"

#include "net/clock.h"
#include "net/dns_message.h"
#include "net/socket_address.h"

#include <algorithm>
#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <cstring>
#include <event2/event.h>
#include <limits>
#include <netinet/in.h>
#include <optional>
#include <stdexcept>
#include <utility>

namespace boshd::net {

namespace {

// How many answers the cache keeps: routes are few, and SRV targets per
// route fewer; the bound only stops a misbehaving DNS from growing it.
constexpr std::size_t kCacheEntries = 1024;
// Per try and tries per server: a dead DNS server is reported within about
// 1.5 + 3 s (c-ares doubles the timeout on each round), inside the default
// backend.timeout of 10 s, so the client hears remote-connection-failed
// rather than a timeout of its own.
constexpr int kTimeoutMs = 1500;
constexpr int kTries = 2;

DnsResult failure(DnsResult::Status status, std::string error) {
    DnsResult r;
    r.status = status;
    r.error = std::move(error);
    return r;
}

DnsResult::Status status_of(int ares_status) {
    return ares_status == ARES_ENOTFOUND || ares_status == ARES_ENODATA
               ? DnsResult::Status::NoRecord
               : DnsResult::Status::Failed;
}

} // namespace

void DnsResolver::ChannelDeleter::operator()(ares_channeldata* channel) const noexcept {
    ares_destroy(channel);
    ares_library_cleanup();
}

DnsResolver::Lookup& DnsResolver::Lookup::operator=(Lookup&& other) noexcept {
    if (this != &other) {
        cancel();
        resolver_ = std::exchange(other.resolver_, nullptr);
        id_ = std::exchange(other.id_, 0);
    }
    return *this;
}

void DnsResolver::Lookup::cancel() {
    if (resolver_) {
        std::exchange(resolver_, nullptr)->cancel(id_);
    }
}

DnsResolver::DnsResolver(event_base* base, std::string servers)
    : base_(base), servers_(std::move(servers)), cache_(kCacheEntries),
      timer_(evtimer_new(base, &DnsResolver::on_timeout, this)),
      deliver_(event_new(base, -1, 0, &DnsResolver::on_deliver, this)) {
    if (!timer_ || !deliver_) {
        throw std::runtime_error("cannot create the DNS resolver's events");
    }
    if (const int rc = ares_library_init(ARES_LIB_INIT_ALL); rc != ARES_SUCCESS) {
        throw std::runtime_error(std::string("cannot start c-ares: ") + ares_strerror(rc));
    }
    ares_options options{};
    options.sock_state_cb = &DnsResolver::on_sock_state;
    options.sock_state_cb_data = this;
    options.timeout = kTimeoutMs;
    options.tries = kTries;
    // Route hosts and SRV names are absolute: no search domains appended.
    options.flags = ARES_FLAG_NOSEARCH;
    ares_channel channel = nullptr;
    const int rc = ares_init_options(&channel, &options,
                                     ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
                                         ARES_OPT_FLAGS);
    if (rc != ARES_SUCCESS) {
        ares_library_cleanup();
        throw std::runtime_error(std::string("cannot start c-ares: ") + ares_strerror(rc));
    }
    channel_.reset(channel);
    if (!servers_.empty()) {
        if (const int set = ares_set_servers_ports_csv(channel, servers_.c_str());
            set != ARES_SUCCESS) {
            throw std::runtime_error("backend.resolver \"" + servers_ +
                                     "\": " + ares_strerror(set));
        }
    }
}

DnsResolver::~DnsResolver() {
    // c-ares calls every pending callback with ARES_EDESTRUCTION, and closes
    // its sockets through on_sock_state: both still find their maps.
    channel_.reset();
}

DnsResolver::Query& DnsResolver::add_query(std::string cache_key, Callback callback) {
    const auto id = next_id_++;
    auto& query = queries_[id];
    query = std::make_unique<Query>(Query{this, id, std::move(cache_key), std::move(callback), {}});
    return *query;
}

bool DnsResolver::answer_from_cache(Query& query) {
    const DnsAnswer* cached = cache_.find(query.cache_key, monotonic_now());
    if (!cached) {
        return false;
    }
    query.result.status = DnsResult::Status::Found;
    query.result.answer = *cached;
    ready_.push_back(query.id);
    event_active(deliver_.get(), EV_TIMEOUT, 0);
    return true;
}

DnsResolver::Lookup DnsResolver::lookup_srv(const std::string& name, Callback callback) {
    Query& query = add_query("SRV " + name, std::move(callback));
    const auto id = query.id;
    if (!answer_from_cache(query)) {
        ares_query(channel_.get(), name.c_str(), ns_c_in, ns_t_srv, &DnsResolver::on_srv, &query);
        arm_timer();
    }
    return Lookup(this, id);
}

DnsResolver::Lookup DnsResolver::lookup_addresses(const std::string& host, Callback callback) {
    Query& query = add_query("ADDR " + host, std::move(callback));
    const auto id = query.id;
    if (auto literal = util::IpAddress::parse(host)) {
        // c-ares 1.18 answers a literal itself only when the family is
        // given; with AF_UNSPEC it would ask the DNS for "127.0.0.1".
        DnsResult result;
        result.status = DnsResult::Status::Found;
        result.answer.addresses.push_back(*literal);
        complete(query, std::move(result), {});
    } else if (!answer_from_cache(query)) {
        ares_addrinfo_hints hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        ares_getaddrinfo(channel_.get(), host.c_str(), nullptr, &hints, &DnsResolver::on_addresses,
                         &query);
        arm_timer();
    }
    return Lookup(this, id);
}

void DnsResolver::cancel(std::uint64_t id) {
    const auto it = queries_.find(id);
    if (it == queries_.end()) {
        return;
    }
    if (std::find(ready_.begin(), ready_.end(), id) != ready_.end()) {
        queries_.erase(it); // answered: on_deliver skips an id it cannot find
    } else {
        it->second->callback = nullptr; // c-ares still holds the Query: dropped when it answers
    }
}

// From a c-ares callback: keep the answer, then report it from the loop (a
// callback may run inside ares_query itself, and a link must never be called
// back from inside its own call).
void DnsResolver::complete(Query& query, DnsResult result, util::Seconds ttl) {
    if (result.status == DnsResult::Status::Found) {
        cache_.put(query.cache_key, result.answer, ttl, monotonic_now());
    }
    if (!query.callback) {
        queries_.erase(query.id);
        return;
    }
    query.result = std::move(result);
    ready_.push_back(query.id);
    event_active(deliver_.get(), EV_TIMEOUT, 0);
}

void DnsResolver::on_srv(void* arg, int status, int, unsigned char* abuf, int alen) noexcept {
    auto& query = *static_cast<Query*>(arg);
    if (status == ARES_EDESTRUCTION) {
        return;
    }
    try {
        if (status != ARES_SUCCESS) {
            return query.resolver->complete(query,
                                            failure(status_of(status), ares_strerror(status)), {});
        }
        SrvAnswer srv;
        if (alen < 0 || !parse_srv_reply({abuf, static_cast<std::size_t>(alen)}, srv)) {
            return query.resolver->complete(
                query, failure(DnsResult::Status::Failed, "malformed SRV reply"), {});
        }
        DnsResult result;
        result.answer.srv = std::move(srv.records);
        const std::uint32_t ttl = srv.ttl;
        if (result.answer.srv.empty()) {
            return query.resolver->complete(
                query, failure(DnsResult::Status::NoRecord, "no SRV record"), {});
        }
        result.status = DnsResult::Status::Found;
        query.resolver->complete(query, std::move(result), util::Seconds(ttl));
    } catch (const std::exception&) {
        query.resolver->complete(query, failure(DnsResult::Status::Failed, "out of memory"), {});
    }
}

void DnsResolver::on_addresses(void* arg, int status, int, ares_addrinfo* res) noexcept {
    auto& query = *static_cast<Query*>(arg);
    const std::unique_ptr<ares_addrinfo, decltype(&ares_freeaddrinfo)> owned(res,
                                                                             &ares_freeaddrinfo);
    if (status == ARES_EDESTRUCTION) {
        return;
    }
    try {
        if (status != ARES_SUCCESS || !res) {
            return query.resolver->complete(query,
                                            failure(status_of(status), ares_strerror(status)), {});
        }
        DnsResult result;
        int ttl = std::numeric_limits<int>::max();
        for (const ares_addrinfo_node* node = res->nodes; node; node = node->ai_next) {
            const auto address = to_endpoint(node->ai_addr);
            if (!address) {
                continue;
            }
            result.answer.addresses.push_back(address->address);
            ttl = std::min(ttl, node->ai_ttl); // 0 for /etc/hosts and IP literals: not cached
        }
        if (result.answer.addresses.empty()) {
            return query.resolver->complete(query,
                                            failure(DnsResult::Status::NoRecord, "no address"), {});
        }
        result.status = DnsResult::Status::Found;
        query.resolver->complete(query, std::move(result), util::Seconds(std::max(ttl, 0)));
    } catch (const std::exception&) {
        query.resolver->complete(query, failure(DnsResult::Status::Failed, "out of memory"), {});
    }
}

void DnsResolver::on_deliver(int, short, void* self) noexcept {
    auto* resolver = static_cast<DnsResolver*>(self);
    resolver->retired_.clear();
    // Callbacks may start lookups (the next SRV target): those wait for the
    // next round, which their own event_active schedules.
    std::deque<std::uint64_t> ready;
    ready.swap(resolver->ready_);
    for (const auto id : ready) {
        const auto it = resolver->queries_.find(id);
        if (it == resolver->queries_.end()) {
            continue; // cancelled after its answer came
        }
        const std::unique_ptr<Query> query = std::move(it->second);
        resolver->queries_.erase(it);
        if (query->callback) {
            query->callback(query->result);
        }
    }
}

// c-ares opens, watches and closes its UDP and TCP sockets; each change of
// what it waits for replaces that socket's event.
void DnsResolver::on_sock_state(void* self, int fd, int readable, int writable) noexcept {
    auto* resolver = static_cast<DnsResolver*>(self);
    if (const auto it = resolver->sockets_.find(fd); it != resolver->sockets_.end()) {
        event_del(it->second.get());
        // This may run inside the event's own callback: freed later.
        resolver->retired_.push_back(std::move(it->second));
        resolver->sockets_.erase(it);
    }
    if (!readable && !writable) {
        return;
    }
    const short what =
        static_cast<short>(EV_PERSIST | (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0));
    EventPtr ev(event_new(resolver->base_, fd, what, &DnsResolver::on_socket, resolver));
    if (ev && event_add(ev.get(), nullptr) == 0) {
        resolver->sockets_.emplace(fd, std::move(ev));
    }
}

void DnsResolver::on_socket(int fd, short what, void* self) noexcept {
    auto* resolver = static_cast<DnsResolver*>(self);
    resolver->process((what & EV_READ) ? fd : ARES_SOCKET_BAD,
                      (what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
}

void DnsResolver::on_timeout(int, short, void* self) noexcept {
    static_cast<DnsResolver*>(self)->process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

void DnsResolver::process(int read_fd, int write_fd) {
    retired_.clear();                                   // none of them is the event running now
    ares_process_fd(channel_.get(), read_fd, write_fd); // also retries what timed out
    arm_timer();
}

void DnsResolver::arm_timer() {
    timeval tv{};
    if (ares_timeout(channel_.get(), nullptr, &tv)) {
        evtimer_add(timer_.get(), &tv);
    } else {
        evtimer_del(timer_.get());
    }
}

} // namespace boshd::net
