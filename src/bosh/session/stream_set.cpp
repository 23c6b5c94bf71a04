#include "bosh/session/stream_set.h"

#include "xmpp/bounce.h"

#include <algorithm>

namespace boshd::bosh {

void StreamSet::add(std::unique_ptr<Stream> s, util::TimePoint now) {
    if (!streams_.empty()) {
        added_ = true;
        last_add_ = now;
    }
    streams_.push_back(std::move(s));
}

Stream* StreamSet::by_link(LinkId link) {
    auto it = std::find_if(streams_.begin(), streams_.end(),
                           [&](const auto& s) { return s->link == link; });
    return it == streams_.end() ? nullptr : it->get();
}

Stream* StreamSet::by_name(std::string_view name) {
    auto it = std::find_if(streams_.begin(), streams_.end(),
                           [&](const auto& s) { return s->name == name; });
    return it == streams_.end() ? nullptr : it->get();
}

void StreamSet::drop(Stream& s, Context& ctx) {
    s.close(ctx);
    if (!s.name.empty()) { // multi-stream support is on
        if (closed_names_.size() == kRecentlyClosed) {
            closed_names_.erase(closed_names_.begin());
        }
        closed_names_.push_back(s.name);
    }
    std::erase_if(streams_, [&](const auto& p) { return p.get() == &s; });
}

bool StreamSet::recently_closed(std::string_view name) const {
    return std::find(closed_names_.begin(), closed_names_.end(), name) != closed_names_.end();
}

std::vector<LinkId> StreamSet::late(util::TimePoint now) const {
    std::vector<LinkId> out;
    for (const auto& s : streams_) {
        if (s->deadline && now >= *s->deadline) {
            out.push_back(s->link);
        }
    }
    return out;
}

std::optional<util::TimePoint> StreamSet::next_deadline() const {
    std::optional<util::TimePoint> t;
    for (const auto& s : streams_) {
        if (s->deadline && (!t || *s->deadline < *t)) {
            t = s->deadline;
        }
    }
    return t;
}

void StreamSet::cancel_deadlines() {
    for (auto& s : streams_) {
        s->deadline.reset();
    }
}

void StreamSet::bounce(ClientQueue& queue, std::string_view sid, std::string_view ip,
                       Context& ctx) {
    std::size_t bounced = 0;
    std::size_t dropped = 0;
    // Bounces share each link's write buffer, bounded by max_server_queue,
    // with what is already pending and the closing </stream:stream>: past
    // half of it (per stream, each link has its own buffer), the rest is
    // dropped rather than have a link drop everything.
    const std::size_t budget = ctx.limits.max_server_queue / 2;
    std::vector<std::size_t> used(streams_.size(), 0); // by index in streams_
    for (const auto& item : queue.items()) {
        auto it = std::find_if(streams_.begin(), streams_.end(),
                               [&](const auto& s) { return s->link == item.link; });
        if (it == streams_.end() || !(*it)->usable()) {
            continue;
        }
        if (auto error = xmpp::bounce(item.fragment)) {
            auto& bytes = used[static_cast<std::size_t>(it - streams_.begin())];
            if (bytes + error->size() > budget) {
                ++dropped;
                continue;
            }
            bytes += error->size();
            (*it)->write(std::move(*error), ctx);
            ++bounced;
        }
    }
    if (bounced > 0 || dropped > 0) {
        ctx.log.info("session.bounced",
                     {{"sid", sid}, {"ip", ip}, {"stanzas", bounced}, {"dropped", dropped}});
    }
    queue.clear();
}

void StreamSet::close_all(ClientQueue& queue, std::string_view sid, std::string_view ip,
                          Context& ctx) {
    if (std::any_of(streams_.begin(), streams_.end(),
                    [](const auto& s) { return s->link_open && s->connected; })) {
        bounce(queue, sid, ip, ctx);
    }
    for (auto& s : streams_) {
        s->close(ctx);
    }
}

} // namespace boshd::bosh
