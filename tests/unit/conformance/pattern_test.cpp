// The scenario matcher must reject as well as accept, or every scenario
// would pass vacuously. Its meaning is tested by the shared vectors of
// xep/matcher-vectors.toml, which bosh-client's Python matcher runs too
// (tests/client/test_patterns.py): one CHECK per vector, named by it.
#include "conformance/pattern.h"
#include "conformance/xml_tree.h"

#include <doctest/doctest.h>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <toml++/toml.h>
#include <vector>

using namespace boshd::conformance;

namespace {

const std::string kVectorFile = std::string(BOSHD_SOURCE_DIR) + "/xep/matcher-vectors.toml";

struct Vector {
    std::string name;
    std::string pattern;
    std::optional<std::string> document;
    Vars vars;
    std::vector<std::string> absent;
    std::string outcome; // "match", "fail" or "bad-pattern"
    Vars captures;
    std::string reason;
};

struct Substitution {
    std::string name;
    std::string text;
    Vars vars;
    std::optional<std::string> result; // none: substitution must fail
};

struct VectorFile {
    std::vector<Vector> vectors;
    std::vector<Substitution> substitutions;
    std::vector<std::string> problems; // malformed entries
};

std::string show(const Vars& vars) {
    std::string out = "{";
    for (const auto& [k, v] : vars) {
        out += (out.size() > 1 ? ", " : "") + k + "='" + v + "'";
    }
    return out + "}";
}

// Reads the file; what is wrong with it goes to |problems| (a typo must not
// silently weaken a vector, so unknown keys are problems too).
VectorFile load_vectors(const std::string& path) {
    VectorFile out;
    toml::table doc;
    try {
        doc = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        std::ostringstream s;
        s << path << ":" << e.source().begin.line << ": " << e.description();
        out.problems.push_back(s.str());
        return out;
    }
    for (const auto& [key, _] : doc) {
        if (key.str() != "vector" && key.str() != "substitution") {
            out.problems.push_back("unknown table " + std::string(key.str()));
        }
    }
    // Reads the fields of |t| into strings, lists and tables; complains
    // about unknown keys and wrong types.
    auto fields = [&](const toml::table& t, const std::set<std::string>& known,
                      const std::string& kind) {
        const std::string where = kind + " '" + t["name"].value_or(std::string("?")) + "'";
        for (const auto& [key, value] : t) {
            const std::string k(key.str());
            if (!known.count(k)) {
                out.problems.push_back(where + ": unknown key " + k);
            } else if ((k == "vars" || k == "captures") && !value.is_table()) {
                out.problems.push_back(where + ": " + k + " is a table");
            } else if (k == "absent" && !value.is_array()) {
                out.problems.push_back(where + ": absent is a list");
            } else if (k == "error" ? !value.is_boolean()
                                    : k != "vars" && k != "captures" && k != "absent" &&
                                          !value.is_string()) {
                out.problems.push_back(where + ": " + k + " has the wrong type");
            }
        }
        return where;
    };
    auto vars_of = [&](const toml::table& t, const char* key, const std::string& where) {
        Vars vars;
        if (const auto* table = t[key].as_table()) {
            for (const auto& [k, v] : *table) {
                if (!v.is_string()) {
                    out.problems.push_back(where + ": " + key + " values are strings");
                }
                vars[std::string(k.str())] = v.value_or(std::string());
            }
        }
        return vars;
    };
    std::set<std::string> names;
    if (const auto* list = doc["vector"].as_array()) {
        for (const auto& node : *list) {
            const auto& t = *node.as_table();
            const auto where = fields(
                t,
                {"name", "pattern", "document", "vars", "absent", "outcome", "captures", "reason"},
                "vector");
            Vector v;
            v.name = t["name"].value_or(std::string());
            v.pattern = t["pattern"].value_or(std::string());
            if (t.contains("document")) {
                v.document = t["document"].value_or(std::string());
            }
            v.vars = vars_of(t, "vars", where);
            v.captures = vars_of(t, "captures", where);
            if (const auto* a = t["absent"].as_array()) {
                for (const auto& e : *a) {
                    v.absent.push_back(e.value_or(std::string()));
                }
            }
            v.outcome = t["outcome"].value_or(std::string());
            v.reason = t["reason"].value_or(std::string());
            if (v.name.empty() || !names.insert("v:" + v.name).second) {
                out.problems.push_back(where + ": needs a unique name");
            }
            if (v.outcome != "match" && v.outcome != "fail" && v.outcome != "bad-pattern") {
                out.problems.push_back(where + ": outcome is match, fail or bad-pattern");
            }
            if (v.document.has_value() == (v.outcome == "bad-pattern")) {
                out.problems.push_back(where + ": a document, unless the outcome is bad-pattern");
            }
            if (t.contains("captures") && v.outcome != "match") {
                out.problems.push_back(where + ": captures only with outcome match");
            }
            if (t.contains("reason") && v.outcome != "fail") {
                out.problems.push_back(where + ": reason only with outcome fail");
            }
            out.vectors.push_back(std::move(v));
        }
    }
    if (const auto* list = doc["substitution"].as_array()) {
        for (const auto& node : *list) {
            const auto& t = *node.as_table();
            const auto where =
                fields(t, {"name", "text", "vars", "result", "error"}, "substitution");
            Substitution s;
            s.name = t["name"].value_or(std::string());
            s.text = t["text"].value_or(std::string());
            s.vars = vars_of(t, "vars", where);
            if (t.contains("result")) {
                s.result = t["result"].value_or(std::string());
            }
            if (s.name.empty() || !names.insert("s:" + s.name).second) {
                out.problems.push_back(where + ": needs a unique name");
            }
            if (t.contains("result") == t.contains("error") || !t["error"].value_or(true)) {
                out.problems.push_back(where + ": either result or error = true");
            }
            out.substitutions.push_back(std::move(s));
        }
    }
    return out;
}

// "" when the matcher does what vector |v| says, otherwise what it did.
std::string run_vector(const Vector& v) {
    std::string error;
    const auto pattern = parse_document(v.pattern, error);
    if (v.outcome == "bad-pattern") {
        return pattern ? "the pattern parsed" : "";
    }
    if (!pattern) {
        return "the pattern does not parse: " + error;
    }
    const auto actual = parse_document(*v.document, error);
    if (!actual) {
        return "the document does not parse: " + error;
    }
    Vars vars = v.vars;
    const auto why = match(*pattern, *actual, vars, v.absent);
    if (v.outcome == "match") {
        if (!why.empty()) {
            return "expected a match, got: " + why;
        }
        Vars want = v.vars;
        want.insert(v.captures.begin(), v.captures.end());
        if (vars != want) {
            return "variables after the match: " + show(vars) + ", expected " + show(want);
        }
        return "";
    }
    if (why.empty()) {
        return "expected no match; variables after it: " + show(vars);
    }
    if (why.find(v.reason) == std::string::npos) {
        return "the failure \"" + why + "\" does not say \"" + v.reason + "\"";
    }
    if (vars != v.vars) {
        return "a failed match bound variables: " + show(vars);
    }
    return "";
}

std::string run_substitution(const Substitution& s) {
    std::string error;
    const auto got = substitute(s.text, s.vars, error);
    if (!s.result) {
        return error.empty() ? "expected an error, got '" + got + "'" : "";
    }
    if (!error.empty()) {
        return "unexpected error: " + error;
    }
    return got == *s.result ? "" : "got '" + got + "', expected '" + *s.result + "'";
}

} // namespace

TEST_SUITE("xep/pattern") {

    TEST_CASE("the matcher vectors of xep/matcher-vectors.toml, shared with bosh-client") {
        const auto file = load_vectors(kVectorFile);
        INFO("file: ", kVectorFile);
        for (const auto& problem : file.problems) {
            FAIL_CHECK(problem);
        }
        REQUIRE(file.vectors.size() > 50);
        REQUIRE(file.substitutions.size() > 5);
        for (const auto& v : file.vectors) {
            INFO("vector ", v.name);
            CHECK(run_vector(v) == "");
        }
        for (const auto& s : file.substitutions) {
            INFO("substitution ", s.name);
            CHECK(run_substitution(s) == "");
        }
    }

    TEST_CASE(
        "the stream reader reports headers, elements with their bytes, restarts and the end") {
        StreamReader r;
        std::vector<StreamItem> items;
        REQUIRE(r.feed("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                       "xmlns:stream='http://etherx.jabber.org/streams' to='example.com'><mess",
                       items));
        REQUIRE(items.size() == 1);
        CHECK(items[0].kind == StreamItem::Kind::Header);
        CHECK(items[0].node.attr("", "to")->value == "example.com");
        REQUIRE(r.feed("age to='b'><body>x</body></message>", items));
        REQUIRE(items.size() == 2);
        CHECK(items[1].node.ns == "jabber:client");
        CHECK(items[1].node.raw == "<message to='b'><body>x</body></message>");
        // A restart writes a new document on the same connection.
        REQUIRE(r.feed("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                       "xmlns:stream='http://etherx.jabber.org/streams' to='example.com'>"
                       "<iq/></stream:stream>",
                       items));
        REQUIRE(items.size() == 5);
        CHECK(items[2].kind == StreamItem::Kind::Header);
        CHECK(items[4].kind == StreamItem::Kind::Close);
        CHECK_FALSE(r.feed("<junk", items)); // after the end: not well-formed
    }

} // TEST_SUITE
