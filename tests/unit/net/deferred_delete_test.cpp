#include "net/deferred_delete.h"
#include "net/ev.h"

#include <doctest/doctest.h>
#include <event2/event.h>
#include <map>
#include <memory>
#include <vector>

using boshd::net::EventBasePtr;
using boshd::net::Graveyard;

namespace {

// Records its destruction; may bury another one from its destructor.
struct Tomb {
    Tomb(std::vector<int>& log, int n, Graveyard<Tomb>* again = nullptr)
        : log(log), n(n), again(again) {}
    Tomb(const Tomb&) = delete;
    Tomb& operator=(const Tomb&) = delete;
    ~Tomb() {
        log.push_back(n);
        if (again) {
            again->bury(std::make_unique<Tomb>(log, n + 100));
        }
    }

    std::vector<int>& log;
    int n;
    Graveyard<Tomb>* again;
};

void turn(event_base* base) {
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

} // namespace

TEST_SUITE("net/deferred_delete") {
    TEST_CASE("bury destroys on the next loop turn, not before") {
        EventBasePtr base(event_base_new());
        REQUIRE(base);
        std::vector<int> log;
        Graveyard<Tomb> graves(base.get());
        graves.bury(std::make_unique<Tomb>(log, 1));
        graves.bury(std::make_unique<Tomb>(log, 2));
        CHECK(log.empty());
        turn(base.get());
        CHECK(log == std::vector<int>{1, 2});
        turn(base.get()); // nothing left, nothing pending
        CHECK(log.size() == 2);
    }

    TEST_CASE("bury_from takes an owner's entry out of its map") {
        EventBasePtr base(event_base_new());
        REQUIRE(base);
        std::vector<int> log;
        Graveyard<Tomb> graves(base.get());
        std::map<int, std::unique_ptr<Tomb>> owners;
        owners.emplace(7, std::make_unique<Tomb>(log, 7));
        owners.emplace(8, std::make_unique<Tomb>(log, 8));
        CHECK(graves.bury_from(owners, 7));
        CHECK(owners.size() == 1);
        CHECK_FALSE(graves.bury_from(owners, 7)); // gone already
        CHECK_FALSE(graves.bury_from(owners, 9));
        CHECK(log.empty());
        turn(base.get());
        CHECK(log == std::vector<int>{7});
        REQUIRE(owners.count(8) == 1);
    }

    TEST_CASE("what a destructor buries is destroyed later, from the loop too") {
        EventBasePtr base(event_base_new());
        REQUIRE(base);
        std::vector<int> log;
        Graveyard<Tomb> graves(base.get());
        graves.bury(std::make_unique<Tomb>(log, 1, &graves));
        CHECK(log.empty());
        turn(base.get());
        turn(base.get());
        CHECK(log == std::vector<int>{1, 101});
    }

    TEST_CASE("clear destroys at once; the graveyard's own end destroys the rest") {
        EventBasePtr base(event_base_new());
        REQUIRE(base);
        std::vector<int> log;
        {
            Graveyard<Tomb> graves(base.get());
            graves.bury(std::make_unique<Tomb>(log, 1));
            graves.clear();
            CHECK(log == std::vector<int>{1});
            graves.bury(std::make_unique<Tomb>(log, 2, &graves)); // buries 102 as it dies
        }
        CHECK(log == std::vector<int>{1, 2, 102});
        turn(base.get()); // the event went with the graveyard
        CHECK(log.size() == 3);
    }

    TEST_CASE("no event base: refused") {
        CHECK_THROWS_AS(Graveyard<Tomb>(nullptr), std::runtime_error);
    }
}
