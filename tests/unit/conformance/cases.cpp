#include "conformance/cases.h"

#include "conformance/runner.h"

#include <doctest/doctest.h>
#include <map>
#include <set>

namespace boshd::conformance {

namespace {

const std::string kScenarioDir = std::string(BOSHD_SOURCE_DIR) + "/xep/scenarios";

// Each file is parsed once per run, however many of its scenarios run.
const std::vector<Scenario>& scenarios_of(const std::string& file) {
    static std::map<std::string, std::vector<Scenario>> cache;
    auto it = cache.find(file);
    if (it == cache.end()) {
        it = cache.emplace(file, load_scenarios(kScenarioDir + "/" + file)).first;
    }
    return it->second;
}

} // namespace

void check_scenario(const char* file, const char* id) {
    std::vector<Scenario> const* list = nullptr;
    try {
        list = &scenarios_of(file);
    } catch (const ScenarioError& e) {
        FAIL(e.what());
    }
    for (const auto& s : *list) {
        if (s.id == id) {
            // One assertion per scenario, so doctest's counts show it ran.
            const auto report = run_scenario(s);
            CHECK_MESSAGE(report.empty(), report);
            return;
        }
    }
    FAIL("scenario " << id << " is not in " << file << " any more; rebuild");
}

// The corpus as the runner reads it matches what was registered, and every id
// is unique (a duplicate would run one scenario twice and hide the other).
TEST_CASE("xep corpus: every scenario loads and has exactly one test case") {
    std::vector<std::string> loaded;
    for (const auto& path : scenario_files(kScenarioDir)) {
        const auto name = path.substr(path.rfind('/') + 1);
        INFO("file: ", name);
        REQUIRE_NOTHROW(scenarios_of(name));
        for (const auto& s : scenarios_of(name)) {
            loaded.push_back(s.id);
        }
    }
    CHECK(loaded == generated_ids());
    const std::set<std::string> unique(loaded.begin(), loaded.end());
    CHECK(unique.size() == loaded.size());
    CHECK(loaded.size() >= 3);
}

} // namespace boshd::conformance
