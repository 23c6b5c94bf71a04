#include "bosh/session/stream.h"

namespace boshd::bosh {

Stream::Stream(std::string name_, LinkId link_, std::shared_ptr<const Route> route_,
               xmpp::HeaderParams header_, const util::Endpoint& client, Context& ctx)
    : name(std::move(name_)), link(link_), route(std::move(route_)), header(std::move(header_)),
      protocol(route->tls == TlsMode::StartTls, ctx.limits.max_stanza_size),
      deadline(ctx.now + ctx.limits.backend_timeout) {
    ctx.emit<OpenBackend>(link, route, client);
    ctx.lifetimes.links_opened.push_back(link);
}

void Stream::write(std::string bytes, Context& ctx) {
    if (link_open) {
        ctx.counters.bytes_to_server += bytes.size();
        ctx.emit<WriteBackend>(link, std::move(bytes));
    }
}

// Whatever the client sends is forwarded as it came, session establishment
// included (N206-05); the request's reply never waits for the server to take
// it (P124-06).
void Stream::send(const std::vector<xml::Fragment>& payloads, Context& ctx) {
    if (payloads.empty()) {
        return;
    }
    std::string bytes;
    bytes.reserve(xml::total_bytes(payloads));
    for (const auto& f : payloads) {
        bytes += f.bytes;
    }
    ctx.counters.stanzas_to_server += payloads.size();
    if (!negotiated) {
        // The stream is not up yet (connect, STARTTLS): keep the order.
        pending += bytes;
        return;
    }
    write(std::move(bytes), ctx);
}

bool Stream::features_arrived(Context& ctx) {
    if (negotiated) {
        return false;
    }
    negotiated = true;
    deadline.reset();
    if (!pending.empty()) {
        write(std::move(pending), ctx);
        pending.clear();
    }
    return true;
}

void Stream::close(Context& ctx) {
    if (!link_open) {
        return;
    }
    if (connected) {
        write(std::string(xmpp::kStreamClose), ctx);
    }
    link_open = false;
    ctx.emit<CloseBackend>(link);
    ctx.lifetimes.links_released.push_back(link);
}

} // namespace boshd::bosh
