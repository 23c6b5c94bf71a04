// ClientQueue: what waits for the client (XEP-0124 §8): payloads from the
// server in arrival order, each with its stream, and the ends of streams
// that closed while no request was held (§16.6). Both count against
// session.max_client_queue until delivered.
#include "bosh/session/client_queue.h"
#include "support/session_context.h"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using boshd::bosh::ClientQueue;
using boshd::bosh::Condition;
using boshd::bosh::LinkId;
using boshd::bosh::StreamEnd;
using boshd::test::message;
namespace xml = boshd::xml;

namespace {

const LinkId kA{1};
const LinkId kB{2};

std::vector<std::string> bytes_of(const std::vector<xml::Fragment>& fragments) {
    std::vector<std::string> out;
    for (const auto& f : fragments) {
        out.push_back(f.bytes);
    }
    return out;
}

} // namespace

TEST_SUITE("bosh/session/client_queue") {

    TEST_CASE("C124-8-10 payloads wait in arrival order, their bytes counted") {
        ClientQueue q;
        CHECK(q.empty());
        CHECK(q.bytes() == 0);
        const auto m1 = message("one", "a@example.com", "1");
        const auto m2 = message("two", "a@example.com", "2");
        const auto m3 = message("three", "c@example.com", "3");
        q.push(kA, m1);
        q.push(kB, m2);
        q.push(kA, m3);
        CHECK_FALSE(q.empty());
        CHECK(q.bytes() == m1.bytes.size() + m2.bytes.size() + m3.bytes.size());
        REQUIRE(q.items().size() == 3);
        CHECK(q.items()[1].link == kB);
        CHECK(q.front_link() == kA);
        const auto all = q.take_all();
        CHECK(bytes_of(all) == std::vector<std::string>{m1.bytes, m2.bytes, m3.bytes});
        CHECK(all[2].local == "message");
        CHECK(q.empty());
        CHECK(q.bytes() == 0);
        CHECK(q.take_all().empty());
    }

    TEST_CASE("C124-16.4-01 take_stream() takes one stream's payloads, in order") {
        ClientQueue q;
        const auto a1 = message("a1");
        const auto b1 = message("b1");
        const auto a2 = message("a2");
        const auto b2 = message("b2-longer");
        q.push(kB, b1);
        q.push(kA, a1);
        q.push(kB, b2);
        q.push(kA, a2);
        CHECK(q.front_link() == kB);
        CHECK(bytes_of(q.take_stream(kA)) == std::vector<std::string>{a1.bytes, a2.bytes});
        CHECK(q.bytes() == b1.bytes.size() + b2.bytes.size());
        CHECK(q.front_link() == kB);
        CHECK(q.take_stream(LinkId{9}).empty()); // no such stream: nothing moves
        CHECK(q.items().size() == 2);
        CHECK(bytes_of(q.take_stream(kB)) == std::vector<std::string>{b1.bytes, b2.bytes});
        CHECK(q.empty());
        CHECK(q.bytes() == 0);
    }

    TEST_CASE(
        "C124-16.6-01 C124-16.5-01 stream ends wait oldest first; first=true puts one ahead") {
        ClientQueue q;
        CHECK_FALSE(q.has_end());
        q.add_end(StreamEnd{"s1", Condition::RemoteConnectionFailed, {}});
        q.add_end(StreamEnd{"s2", std::nullopt, {}});
        q.add_end(StreamEnd{"s3", Condition::RemoteStreamError, {}}, true);
        CHECK(q.has_end());
        CHECK(q.end_count() == 3);
        CHECK(q.empty()); // ends are not payloads
        CHECK(q.has_end_named("s2"));
        CHECK_FALSE(q.has_end_named("s4"));
        CHECK_FALSE(q.has_end_named(""));
        auto e = q.pop_end();
        CHECK(e.name == "s3");
        CHECK(e.condition == Condition::RemoteStreamError);
        e = q.pop_end();
        CHECK(e.name == "s1");
        CHECK(e.condition == Condition::RemoteConnectionFailed);
        CHECK_FALSE(q.has_end_named("s1"));
        e = q.pop_end();
        CHECK(e.name == "s2");
        CHECK_FALSE(e.condition); // the client closed it (C124-16.5-01)
        CHECK_FALSE(q.has_end());
        CHECK(q.end_count() == 0);
    }

    TEST_CASE("C124-16.6-01 a stream end's payloads count against max_client_queue") {
        ClientQueue q;
        const auto a = message(std::string(100, 'a'));
        const auto b = message(std::string(100, 'b'));
        const auto err = boshd::test::fragment(
            "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
            "error", "http://etherx.jabber.org/streams", true);
        q.push(kA, a);
        q.push(kB, b);
        const auto queued = a.bytes.size() + b.bytes.size();
        CHECK(q.bytes() == queued);
        boshd::bosh::Limits limits;
        limits.max_client_queue = queued; // full, not over
        // Stream B fails: its payloads and the error move into its end.
        auto payloads = q.take_stream(kB);
        payloads.push_back(err);
        q.add_end(StreamEnd{"b", Condition::RemoteStreamError, payloads});
        CHECK(q.bytes() == queued + err.bytes.size()); // moved, not lost or counted twice
        CHECK(q.bytes() > limits.max_client_queue);
        q.add_end(StreamEnd{"c", std::nullopt, {}}, true);
        CHECK(q.bytes() == queued + err.bytes.size()); // an end without payloads costs nothing
        CHECK(q.pop_end().name == "c");
        const auto end = q.pop_end();
        CHECK(bytes_of(end.payloads) == std::vector<std::string>{b.bytes, err.bytes});
        CHECK(q.bytes() == a.bytes.size());
        CHECK(q.bytes() <= limits.max_client_queue);
    }

    TEST_CASE("clear() drops the payloads; the stream ends stay") {
        ClientQueue q;
        const auto a = message("a");
        const auto b = message("b");
        q.push(kA, a);
        q.add_end(StreamEnd{"s", Condition::RemoteConnectionFailed, {b}});
        q.clear();
        CHECK(q.empty());
        CHECK(q.has_end());
        CHECK(q.bytes() == b.bytes.size());
    }

    TEST_CASE("drop_ends() drops every end and says how many payloads were lost") {
        ClientQueue q;
        const auto a = message("a");
        const auto b = message("b");
        const auto c = message("c");
        q.push(kA, a);
        q.add_end(StreamEnd{"s1", Condition::RemoteConnectionFailed, {b, c}});
        q.add_end(StreamEnd{"s2", std::nullopt, {}});
        q.add_end(StreamEnd{"s3", Condition::RemoteStreamError, {c}});
        CHECK(q.drop_ends() == 3);
        CHECK_FALSE(q.has_end());
        CHECK(q.end_count() == 0);
        CHECK(q.bytes() == a.bytes.size()); // the payloads stay
        CHECK(q.items().size() == 1);
        CHECK(q.drop_ends() == 0);
    }
}
