// A scenario file (xep/FORMAT.md) read into plain structs, with every step
// checked against the format so a typo fails loudly instead of being skipped.
#pragma once

#include <stdexcept>
#include <string>
#include <toml++/toml.h>
#include <vector>

namespace boshd::conformance {

struct Step {
    std::size_t index = 0; // 0-based position in `steps`
    std::string verb;
    toml::table table; // the step as written: verb and modifiers
    std::string text;  // the step printed back, for failure messages

    const toml::node& value() const { return *table.get(verb); }
    std::string str(const char* key, std::string fallback = {}) const;
    std::int64_t integer(const char* key, std::int64_t fallback) const;
    std::vector<std::string> strings(const char* key) const;
};

struct Scenario {
    std::string id;
    std::string title;
    std::string file;
    std::vector<std::string> proves;
    toml::table config;
    std::string features;         // inner XML of <stream:features> after the first header
    std::string restart_features; // ... after a stream restart
    std::vector<Step> steps;
};

class ScenarioError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Reads every [[scenario]] of the file at |path|. Throws ScenarioError.
std::vector<Scenario> load_scenarios(const std::string& path);

// The scenario files of the corpus (xep/scenarios/*.toml), sorted.
std::vector<std::string> scenario_files(const std::string& dir);

} // namespace boshd::conformance
