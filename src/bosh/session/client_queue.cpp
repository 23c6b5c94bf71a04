#include "bosh/session/client_queue.h"

#include <algorithm>

namespace boshd::bosh {

void ClientQueue::push(LinkId link, xml::Fragment fragment) {
    bytes_ += fragment.bytes.size();
    items_.push_back({std::move(fragment), link});
}

std::vector<xml::Fragment> ClientQueue::take_all() {
    std::vector<xml::Fragment> out;
    out.reserve(items_.size());
    for (auto& item : items_) {
        bytes_ -= item.fragment.bytes.size();
        out.push_back(std::move(item.fragment));
    }
    items_.clear();
    return out;
}

std::vector<xml::Fragment> ClientQueue::take_stream(LinkId link) {
    std::vector<xml::Fragment> out;
    for (auto& item : items_) {
        if (item.link == link) {
            bytes_ -= item.fragment.bytes.size();
            out.push_back(std::move(item.fragment));
        }
    }
    std::erase_if(items_, [&](const Item& item) { return item.link == link; });
    return out;
}

void ClientQueue::clear() {
    for (const auto& item : items_) {
        bytes_ -= item.fragment.bytes.size();
    }
    items_.clear();
}

void ClientQueue::add_end(StreamEnd end, bool first) {
    bytes_ += xml::total_bytes(end.payloads);
    ends_.insert(first ? ends_.begin() : ends_.end(), std::move(end));
}

StreamEnd ClientQueue::pop_end() {
    StreamEnd end = std::move(ends_.front());
    ends_.erase(ends_.begin());
    bytes_ -= xml::total_bytes(end.payloads);
    return end;
}

bool ClientQueue::has_end_named(std::string_view name) const {
    return std::any_of(ends_.begin(), ends_.end(),
                       [&](const StreamEnd& e) { return e.name == name; });
}

std::size_t ClientQueue::drop_ends() {
    std::size_t payloads = 0;
    for (const auto& e : ends_) {
        payloads += e.payloads.size();
        bytes_ -= xml::total_bytes(e.payloads);
    }
    ends_.clear();
    return payloads;
}

} // namespace boshd::bosh
