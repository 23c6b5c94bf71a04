#include "bosh/rid_window.h"

#include <algorithm>
#include <cassert>

namespace boshd::bosh {

RidWindow::RidWindow(std::uint64_t creation_rid, std::uint32_t requests)
    : last_(creation_rid), requests_(requests) {}

RidWindow::Place RidWindow::place(std::uint64_t rid) const {
    if (rid <= last_) {
        return Place::Behind;
    }
    if (rid == last_ + 1) {
        return Place::Next;
    }
    // rids are at most 2^53 - 1, so last_ + requests_ cannot overflow.
    return rid <= last_ + requests_ ? Place::Ahead : Place::Beyond;
}

void RidWindow::advance(std::uint64_t rid) {
    assert(rid == last_ + 1);
    last_ = rid;
}

void RidWindow::park(std::uint64_t rid, EarlyRequest request) {
    early_.emplace(rid, std::move(request));
}

EarlyRequest* RidWindow::early(std::uint64_t rid) {
    auto it = early_.find(rid);
    return it == early_.end() ? nullptr : &it->second;
}

std::optional<std::pair<std::uint64_t, EarlyRequest>> RidWindow::take_next() {
    auto it = early_.begin();
    if (it == early_.end() || it->first != last_ + 1) {
        return std::nullopt;
    }
    auto node = early_.extract(it);
    return std::make_pair(node.key(), std::move(node.mapped()));
}

void RidWindow::remember(std::uint64_t rid, ReplyPtr reply) {
    cache_.emplace_back(rid, std::move(reply));
    if (cache_.size() > requests_) {
        // Replies are stored in rid order but for one whose client had gone
        // (answered early, into the cache): evict the lowest rid, not the
        // oldest entry.
        cache_.erase(
            std::min_element(cache_.begin(), cache_.end(),
                             [](const auto& a, const auto& b) { return a.first < b.first; }));
    }
}

ReplyPtr RidWindow::cached(std::uint64_t rid) const {
    for (const auto& [r, reply] : cache_) {
        if (r == rid) {
            return reply;
        }
    }
    return nullptr;
}

} // namespace boshd::bosh
