// What waits for the client (XEP-0124 §8): payloads from the server in
// arrival order, each with the stream it came on, and the ends of streams
// that closed while no request was held (C124-16.6-01). Both count against
// session.max_client_queue until they are delivered.
#pragma once

#include "bosh/condition.h"
#include "bosh/ids.h"
#include "xml/fragment.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boshd::bosh {

// A stream's end, for the client: a terminate naming it (C124-16.5-01,
// C124-16.6-01).
struct StreamEnd {
    std::string name;
    std::optional<Condition> condition; // none: the client closed it
    std::vector<xml::Fragment> payloads;
};

class ClientQueue {
public:
    struct Item {
        xml::Fragment fragment;
        LinkId link; // its stream (C124-16.4-01)
    };

    void push(LinkId link, xml::Fragment fragment);
    bool empty() const { return items_.empty(); }
    const std::vector<Item>& items() const { return items_; }
    // The stream of the oldest payload; the queue must not be empty.
    LinkId front_link() const { return items_.front().link; }
    // Moves every payload out, in order.
    std::vector<xml::Fragment> take_all();
    // Moves the payloads of |link| out, in order.
    std::vector<xml::Fragment> take_stream(LinkId link);
    // Drops every payload; stream ends stay.
    void clear();

    // Stream ends, oldest first; |first| puts |end| before the others.
    void add_end(StreamEnd end, bool first = false);
    bool has_end() const { return !ends_.empty(); }
    std::size_t end_count() const { return ends_.size(); }
    StreamEnd pop_end();
    bool has_end_named(std::string_view name) const;
    // Drops the stream ends no request came for; returns how many payloads
    // they held.
    std::size_t drop_ends();

    // Payload bytes and stream-end payload bytes together.
    std::size_t bytes() const { return bytes_; }

private:
    std::vector<Item> items_;
    std::vector<StreamEnd> ends_;
    std::size_t bytes_ = 0;
};

} // namespace boshd::bosh
