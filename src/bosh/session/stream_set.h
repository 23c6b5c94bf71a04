// The open streams of one session (XEP-0124 §16), the first one first while
// it is open: lookups by link and by name, the names of streams closed a
// moment ago, and what the streams owe the server when the session ends.
#pragma once

#include "bosh/context.h"
#include "bosh/session/client_queue.h"
#include "bosh/session/stream.h"
#include "util/time.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boshd::bosh {

class StreamSet {
public:
    void add(std::unique_ptr<Stream> s, util::TimePoint now);
    Stream* by_link(LinkId link);
    Stream* by_name(std::string_view name);
    Stream& first() { return *streams_.front(); }
    const std::vector<std::unique_ptr<Stream>>& all() const { return streams_; }
    std::size_t size() const { return streams_.size(); }
    // Bodies with payloads name their stream (C124-16.4-01): once a second
    // stream was ever added.
    bool named() const { return streams_.size() > 1 || added_; }
    // When the last stream was added (add-streams are `polling` apart).
    std::optional<util::TimePoint> last_add() const { return last_add_; }

    // Closes |s| and forgets it, keeping its name for recently_closed().
    void drop(Stream& s, Context& ctx);
    // C124-16.4-05: |name| is one of the last streams closed.
    bool recently_closed(std::string_view name) const;

    // The streams whose features are overdue.
    std::vector<LinkId> late(util::TimePoint now) const;
    std::optional<util::TimePoint> next_deadline() const;
    // The session is over on the server side: no feature deadline applies.
    void cancel_deadlines();

    // Sends the server an error for each payload of |queue| that needs one, on
    // the stream it came from, and empties |queue| (XEP-0206 §7). |sid| and
    // |ip| tag its log line.
    void bounce(ClientQueue& queue, std::string_view sid, std::string_view ip, Context& ctx);
    // Closes every stream, bouncing first what the client never got
    // (C206-7-01, C206-7-02, C206-7-03).
    void close_all(ClientQueue& queue, std::string_view sid, std::string_view ip, Context& ctx);

private:
    std::vector<std::unique_ptr<Stream>> streams_;
    bool added_ = false; // a second stream was ever added
    std::optional<util::TimePoint> last_add_;
    // The names of the last streams closed (C124-16.4-05), oldest first.
    static constexpr std::size_t kRecentlyClosed = 8;
    std::vector<std::string> closed_names_;
};

} // namespace boshd::bosh
