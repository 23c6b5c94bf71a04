// The in-process runner's own verbs, on small scenarios written here (the
// corpus itself runs as the scenario:* cases).
#include "conformance/runner.h"
#include "conformance/scenario.h"

#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace boshd::conformance;

namespace {

// The scenarios of a TOML text, through a temporary file as the corpus is read.
std::vector<Scenario> load_text(const std::string& text) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("boshd-runner-test-" + std::to_string(::getpid()) + ".toml");
    {
        std::ofstream out(path);
        out << text;
    }
    try {
        auto s = load_scenarios(path.string());
        std::filesystem::remove(path);
        return s;
    } catch (...) {
        std::filesystem::remove(path);
        throw;
    }
}

std::string run_text(const std::string& steps) {
    return run_scenario(
        load_text("[[scenario]]\nid = \"t\"\ntitle = \"t\"\nsteps = [\n" + steps + "]\n").at(0));
}

const std::string kCreate =
    "{ send = \"<body rid='1000' to='example.com' wait='10' hold='1' ver='1.11' "
    "xmlns='http://jabber.org/protocol/httpbind'/>\" },\n"
    "{ expect = \"<body sid='{sid}' xmlns='http://jabber.org/protocol/httpbind'>{*}</body>\" },\n"
    "{ send = \"<body rid='1001' sid='{sid}' xmlns='http://jabber.org/protocol/httpbind'/>\", "
    "as = \"held\" },\n";

} // namespace

TEST_SUITE("xep/runner") {
    TEST_CASE("shutdown: held requests get system-shutdown and the stream closes") {
        CHECK(run_text(kCreate +
                       "{ shutdown = true },\n"
                       "{ expect = \"<body type='terminate' condition='system-shutdown' "
                       "xmlns='http://jabber.org/protocol/httpbind'/>\", req = \"held\" },\n"
                       "{ server_expect_close = true },\n") == "");
    }

    TEST_CASE("shutdown: the held request is answered at once, so expect_pending fails") {
        const auto report = run_text(kCreate + "{ shutdown = true },\n"
                                               "{ expect_pending = \"held\" },\n");
        CHECK(report.find("step 4") != std::string::npos);
        CHECK(report.find("expected no answer yet") != std::string::npos);
    }

    TEST_CASE("shutdown: no send after it, and only one shutdown") {
        auto report = run_text(kCreate + "{ shutdown = true },\n"
                                         "{ send = \"<body rid='2000' to='example.com' "
                                         "xmlns='http://jabber.org/protocol/httpbind'/>\" },\n");
        CHECK(report.find("step 4") != std::string::npos);
        CHECK(report.find("send after shutdown") != std::string::npos);
        report = run_text(kCreate + "{ shutdown = true },\n{ shutdown = true },\n");
        CHECK(report.find("already shutting down") != std::string::npos);
    }

    TEST_CASE("shutdown takes no modifiers") {
        CHECK_THROWS_WITH_AS(load_text("[[scenario]]\nid = \"t\"\ntitle = \"t\"\n"
                                       "steps = [ { shutdown = true, stream = 1 } ]\n"),
                             doctest::Contains("'stream' is not a modifier of shutdown"),
                             ScenarioError);
    }
}
