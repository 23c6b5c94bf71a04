#include "bosh/session/request_window.h"

#include <algorithm>
#include <cassert>

namespace boshd::bosh {

RequestWindow::RequestWindow(std::uint64_t creation_rid, std::uint32_t requests,
                             bool keep_unacknowledged)
    : last_(creation_rid), requests_(requests), cache_(requests, keep_unacknowledged) {}

// C124-14.2-01: rids in (last, last + requests] are accepted.
RequestWindow::Place RequestWindow::place(std::uint64_t rid) const {
    if (rid <= last_) {
        return Place::Behind;
    }
    if (rid == last_ + 1) {
        return Place::Next;
    }
    // rids are at most 2^53 - 1, so last_ + requests_ cannot overflow.
    return rid <= last_ + requests_ ? Place::Ahead : Place::Beyond;
}

void RequestWindow::advance(std::uint64_t rid) {
    assert(rid == last_ + 1);
    last_ = rid;
}

void RequestWindow::park(std::uint64_t rid, Parked request, Lifetimes& lt) {
    lt.requests_taken.push_back(request.id);
    parked_.emplace(rid, std::move(request));
}

RequestWindow::Parked* RequestWindow::parked(std::uint64_t rid) {
    auto it = parked_.find(rid);
    return it == parked_.end() ? nullptr : &it->second;
}

std::optional<std::pair<std::uint64_t, RequestWindow::Parked>> RequestWindow::take_next() {
    auto it = parked_.begin();
    if (it == parked_.end() || it->first != last_ + 1) {
        return std::nullopt;
    }
    auto node = parked_.extract(it);
    return std::make_pair(node.key(), std::move(node.mapped()));
}

void RequestWindow::hold(Held request, Lifetimes& lt) {
    lt.requests_taken.push_back(request.id);
    held_.push_back(std::move(request));
}

const RequestWindow::Held* RequestWindow::held_rid(std::uint64_t rid) const {
    auto it = std::find_if(held_.begin(), held_.end(), [&](const Held& h) { return h.rid == rid; });
    return it == held_.end() ? nullptr : &*it;
}

void RequestWindow::to_front(RequestId id) {
    auto it = std::find_if(held_.begin(), held_.end(), [&](const Held& h) { return h.id == id; });
    if (it != held_.end()) {
        std::rotate(held_.begin(), it, std::next(it));
    }
}

RequestWindow::Held RequestWindow::pop_front(Lifetimes& lt) {
    Held h = std::move(held_.front());
    held_.erase(held_.begin());
    lt.requests_released.push_back(h.id);
    return h;
}

std::size_t RequestWindow::due(util::TimePoint now) const {
    auto newest_due = std::find_if(held_.rbegin(), held_.rend(),
                                   [&](const Held& h) { return h.deadline <= now; });
    return static_cast<std::size_t>(std::distance(newest_due, held_.rend()));
}

std::optional<RequestId> RequestWindow::reattach(std::uint64_t rid, RequestId id,
                                                 util::TimePoint deadline, Lifetimes& lt) {
    std::optional<RequestId> replaced;
    if (auto it =
            std::find_if(held_.begin(), held_.end(), [&](const Held& h) { return h.rid == rid; });
        it != held_.end()) {
        replaced = it->id;
        it->id = id;
        it->deadline = deadline;
    } else if (Parked* p = parked(rid)) {
        if (p->attached) {
            replaced = p->id;
        }
        p->id = id;
        p->attached = true;
    } else {
        return std::nullopt;
    }
    if (replaced) {
        lt.requests_released.push_back(*replaced);
    }
    lt.requests_taken.push_back(id);
    return replaced;
}

void RequestWindow::detach(RequestId id, Lifetimes& lt) {
    for (auto& [rid, p] : parked_) {
        if (p.id == id && p.attached) {
            p.attached = false;
            lt.requests_released.push_back(id);
            return;
        }
    }
}

void RequestWindow::drop(RequestId id, Lifetimes& lt) {
    // Only a request the window took is released (a request refused before
    // it was held or parked was never taken).
    if (std::erase_if(held_, [&](const Held& h) { return h.id == id; }) +
            std::erase_if(parked_, [&](const auto& p) { return p.second.id == id; }) >
        0) {
        lt.requests_released.push_back(id);
    }
}

std::vector<RequestId> RequestWindow::take_open(Lifetimes& lt) {
    std::vector<RequestId> open;
    for (const auto& h : held_) {
        open.push_back(h.id);
    }
    for (const auto& [rid, p] : parked_) {
        if (p.attached) {
            open.push_back(p.id);
        }
    }
    held_.clear();
    parked_.clear();
    lt.requests_released.insert(lt.requests_released.end(), open.begin(), open.end());
    return open;
}

bool RequestWindow::open() const {
    return !held_.empty() || std::any_of(parked_.begin(), parked_.end(),
                                         [](const auto& p) { return p.second.attached; });
}

std::optional<RequestId> RequestWindow::gap_expired(util::TimePoint now,
                                                    util::Duration gap_timeout) const {
    for (const auto& [rid, p] : parked_) {
        if (p.attached && now >= p.arrived + gap_timeout) {
            return p.id;
        }
    }
    return std::nullopt;
}

std::optional<util::TimePoint> RequestWindow::next_deadline(util::Duration gap_timeout) const {
    std::optional<util::TimePoint> t;
    auto consider = [&](util::TimePoint x) {
        if (!t || x < *t) {
            t = x;
        }
    };
    for (const auto& h : held_) {
        consider(h.deadline);
    }
    for (const auto& [rid, p] : parked_) {
        if (p.attached) {
            consider(p.arrived + gap_timeout);
        }
    }
    return t;
}

} // namespace boshd::bosh
