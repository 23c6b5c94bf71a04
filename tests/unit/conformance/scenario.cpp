#include "conformance/scenario.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

namespace boshd::conformance {

namespace {

// Each verb and the modifiers it accepts (FORMAT.md, "Steps").
const std::map<std::string, std::set<std::string>>& verbs() {
    static const std::map<std::string, std::set<std::string>> v{
        {"send", {"as", "headers", "content_type", "method"}},
        {"expect", {"req", "status", "absent", "content_type", "capture_raw", "timeout"}},
        {"expect_raw", {"req", "timeout"}},
        {"expect_pending", {}},
        {"drop", {}},
        {"advance", {}},
        {"server_expect", {"stream", "timeout"}},
        {"server_expect_header", {"stream", "timeout"}},
        {"server_expect_close", {"stream", "timeout"}},
        {"server_expect_nothing", {"stream"}},
        {"server_send", {"stream"}},
        {"server_drop", {"stream"}},
        {"server_refuse", {}},
        {"set", {}},
        {"shutdown", {}},
    };
    return v;
}

std::string describe(const toml::table& t) {
    std::ostringstream s;
    s << toml::toml_formatter(t, toml::format_flags::none);
    return s.str();
}

Step read_step(const toml::node& node, std::size_t index, const std::string& where) {
    const auto* t = node.as_table();
    if (!t) {
        throw ScenarioError(where + ": step " + std::to_string(index) + " is not a table");
    }
    Step step;
    step.index = index;
    step.table = *t;
    step.text = describe(*t);
    for (const auto& [key, _] : *t) {
        if (verbs().count(std::string(key.str()))) {
            if (!step.verb.empty()) {
                throw ScenarioError(where + ": step " + std::to_string(index) +
                                    " has two verbs: " + step.text);
            }
            step.verb = key.str();
        }
    }
    if (step.verb.empty()) {
        throw ScenarioError(where + ": step " + std::to_string(index) +
                            " has no verb: " + step.text);
    }
    const auto& allowed = verbs().at(step.verb);
    for (const auto& [key, _] : *t) {
        const std::string k(key.str());
        if (k != step.verb && !allowed.count(k)) {
            throw ScenarioError(where + ": step " + std::to_string(index) + ": '" + k +
                                "' is not a modifier of " + step.verb);
        }
    }
    return step;
}

} // namespace

std::string Step::str(const char* key, std::string fallback) const {
    return table[key].value_or(std::move(fallback));
}

std::int64_t Step::integer(const char* key, std::int64_t fallback) const {
    return table[key].value_or(fallback);
}

std::vector<std::string> Step::strings(const char* key) const {
    std::vector<std::string> out;
    if (const auto* a = table[key].as_array()) {
        for (const auto& e : *a) {
            out.push_back(e.value_or(std::string()));
        }
    }
    return out;
}

std::vector<Scenario> load_scenarios(const std::string& path) {
    toml::table doc;
    try {
        doc = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        std::ostringstream s;
        s << path << ":" << e.source().begin.line << ": " << e.description();
        throw ScenarioError(s.str());
    }
    const auto* list = doc["scenario"].as_array();
    if (!list) {
        throw ScenarioError(path + ": no [[scenario]]");
    }
    std::vector<Scenario> out;
    for (const auto& node : *list) {
        const auto* t = node.as_table();
        Scenario s;
        s.file = path;
        s.id = (*t)["id"].value_or(std::string());
        const auto where = path + ": scenario '" + s.id + "'";
        if (s.id.empty() ||
            s.id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
            throw ScenarioError(where + ": id must match [a-z0-9-]+");
        }
        for (const auto& [key, _] : *t) {
            static const std::set<std::string_view> known{
                "id", "proves", "title", "config", "features", "restart_features", "steps"};
            if (!known.count(key.str())) {
                throw ScenarioError(where + ": unknown field '" + std::string(key.str()) + "'");
            }
        }
        s.title = (*t)["title"].value_or(std::string());
        if (const auto* p = (*t)["proves"].as_array()) {
            for (const auto& e : *p) {
                s.proves.push_back(e.value_or(std::string()));
            }
        }
        if (const auto* c = (*t)["config"].as_table()) {
            s.config = *c;
        }
        s.features = (*t)["features"].value_or(std::string(
            "<mechanisms "
            "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism>"
            "<mechanism>PLAIN</mechanism></mechanisms>"));
        s.restart_features = (*t)["restart_features"].value_or(
            std::string("<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"));
        const auto* steps = (*t)["steps"].as_array();
        if (!steps || steps->empty()) {
            throw ScenarioError(where + ": no steps");
        }
        for (std::size_t i = 0; i < steps->size(); ++i) {
            s.steps.push_back(read_step(*steps->get(i), i, where));
        }
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<std::string> scenario_files(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().extension() == ".toml") {
            out.push_back(e.path().string());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace boshd::conformance
