#include "bosh/session/replay_cache.h"

#include <algorithm>

namespace boshd::bosh {

namespace {

// What one cached reply costs besides its body: the entry, the Reply and the
// shared_ptr control block (an estimate; it makes many tiny replies count).
constexpr std::size_t kEntryOverhead = sizeof(ReplayCache::Entry) + sizeof(Reply) + 32;

std::size_t cost(const ReplayCache::Entry& e) {
    return e.reply->body.size() + e.reply->content_type.size() + kEntryOverhead;
}

} // namespace

// The last `requests` replies (C124-14.3-01), or every unacknowledged one
// for a client that acknowledges (C124-9.2-03).
void ReplayCache::remember(Entry entry) {
    bytes_ += cost(entry);
    entries_.push_back(std::move(entry));
    if (!keep_unacked_ && entries_.size() > requests_) {
        // Replies are stored in rid order but for one whose client had gone
        // (answered early, into the cache): evict the lowest rid, not the
        // oldest entry.
        auto lowest = std::min_element(entries_.begin(), entries_.end(),
                                       [](const auto& a, const auto& b) { return a.rid < b.rid; });
        bytes_ -= cost(*lowest);
        entries_.erase(lowest);
    }
}

void ReplayCache::acknowledge(std::uint64_t ack) {
    std::erase_if(entries_, [&](const Entry& e) {
        if (e.rid > ack) {
            return false;
        }
        bytes_ -= cost(e);
        return true;
    });
}

const ReplayCache::Entry* ReplayCache::find(std::uint64_t rid) const {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const Entry& e) { return e.rid == rid; });
    return it == entries_.end() ? nullptr : &*it;
}

} // namespace boshd::bosh
