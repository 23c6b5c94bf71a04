// Deferred destruction: objects whose own libevent callback is still on the
// stack (a held request whose client left, a backend link that reported its
// end) cannot be destroyed there. A Graveyard takes them and destroys them
// from the loop, in an event of its own, once the callback that buried them
// has returned. One owner of the pattern for HttpFrontend and Server.
#pragma once

#include "net/ev.h"

#include <event2/event.h>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

namespace boshd::net {

template <class T> class Graveyard {
public:
    // Throws std::runtime_error when the event cannot be created.
    explicit Graveyard(event_base* base)
        : reaper_(base ? event_new(base, -1, 0, &Graveyard::on_reap, this) : nullptr) {
        if (!reaper_) {
            throw std::runtime_error("cannot create an event");
        }
    }
    ~Graveyard() { clear(); }
    Graveyard(const Graveyard&) = delete;
    Graveyard& operator=(const Graveyard&) = delete;

    // Destroys |dead| from the loop, never during this call.
    void bury(std::unique_ptr<T> dead) {
        dead_.push_back(std::move(dead));
        event_active(reaper_.get(), EV_TIMEOUT, 0);
    }

    // Takes owners[key] out of |owners| and buries it. Returns false when
    // |owners| has no such key.
    template <class Map> bool bury_from(Map& owners, const typename Map::key_type& key) {
        auto it = owners.find(key);
        if (it == owners.end()) {
            return false;
        }
        bury(std::move(it->second));
        owners.erase(it);
        return true;
    }

    // Destroys everything buried so far, now (owners going away), and what
    // those destructors bury in turn.
    void clear() {
        while (!dead_.empty()) {
            reap();
        }
    }

private:
    static void on_reap(evutil_socket_t, short, void* self) noexcept {
        static_cast<Graveyard*>(self)->reap();
    }
    // A destructor may bury again: the batch is taken out before it dies.
    void reap() {
        std::vector<std::unique_ptr<T>> batch;
        batch.swap(dead_);
    }

    EventPtr reaper_; // must be freed before its event_base
    std::vector<std::unique_ptr<T>> dead_;
};

} // namespace boshd::net
