#include "conformance/pattern.h"

#include <charconv>
#include <optional>

namespace boshd::conformance {

namespace {

struct VarRef {
    std::string name;
    long long offset = 0;
    bool has_offset = false;
};

bool is_name_char(char c, bool first) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (!first && ((c >= '0' && c <= '9')));
}

// Parses "name", "name+N" or "name-N" (the text between the braces).
std::optional<VarRef> parse_ref(std::string_view s) {
    VarRef r;
    std::size_t i = 0;
    while (i < s.size() && is_name_char(s[i], i == 0)) {
        ++i;
    }
    if (i == 0) {
        return std::nullopt;
    }
    r.name = s.substr(0, i);
    if (i == s.size()) {
        return r;
    }
    const char sign = s[i];
    if (sign != '+' && sign != '-') {
        return std::nullopt;
    }
    // N is digits only: "{rid--1}" and "{rid+-1}" are no placeholders.
    const auto digits = s.substr(i + 1);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
        return std::nullopt;
    }
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), r.offset);
    if (ec != std::errc() || end != digits.data() + digits.size()) {
        return std::nullopt;
    }
    r.offset = sign == '-' ? -r.offset : r.offset;
    r.has_offset = true;
    return r;
}

// The value |ref| stands for, or nullopt (with |error|) when it cannot be computed.
std::optional<std::string> resolve(const VarRef& ref, const Vars& vars, std::string& error) {
    auto it = vars.find(ref.name);
    if (it == vars.end()) {
        error = "variable {" + ref.name + "} is not bound";
        return std::nullopt;
    }
    if (!ref.has_offset) {
        return it->second;
    }
    long long base = 0;
    const auto& v = it->second;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), base);
    if (ec != std::errc() || end != v.data() + v.size()) {
        error = "variable {" + ref.name + "} = '" + v + "' is not an integer";
        return std::nullopt;
    }
    return std::to_string(base + ref.offset);
}

std::string trim(std::string_view s) {
    const auto ws = " \t\r\n";
    const auto b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) {
        return {};
    }
    return std::string(s.substr(b, s.find_last_not_of(ws) + 1 - b));
}

// A whole value that is one placeholder "{name}", "{name+N}" or "{name-N}".
std::optional<VarRef> whole_ref(const std::string& value) {
    if (value.size() < 3 || value.front() != '{' || value.back() != '}') {
        return std::nullopt;
    }
    return parse_ref(std::string_view(value).substr(1, value.size() - 2));
}

// One attribute value or text: "{*}", a whole "{ref}", or a literal in which
// {refs} are substituted ("{a}{b}" and "{1x}" are literals too).
std::string match_value(const std::string& pattern, const std::string& actual, Vars& vars,
                        const std::string& where) {
    if (pattern == "{*}") {
        return {};
    }
    if (auto ref = whole_ref(pattern)) {
        if (!ref->has_offset && vars.find(ref->name) == vars.end()) {
            vars[ref->name] = actual; // first use captures
            return {};
        }
        std::string error;
        auto want = resolve(*ref, vars, error);
        if (!want) {
            return where + ": " + error;
        }
        if (*want != actual) {
            return where + ": expected '" + *want + "' (" + pattern + "), got '" + actual + "'";
        }
        return {};
    }
    std::string error;
    const auto literal = substitute(pattern, vars, error); // embedded {refs} and {{ }}
    if (!error.empty()) {
        return where + ": " + error;
    }
    if (literal != actual) {
        return where + ": expected '" + literal + "', got '" + actual + "'";
    }
    return {};
}

std::string match_node(const Node& p, const Node& a, Vars& vars, const std::string& path) {
    const auto where = path + "/" + p.name();
    if (p.ns != a.ns || p.local != a.local) {
        return path + ": expected element " + p.name() + ", got " + a.name();
    }
    for (const auto& pa : p.attrs) {
        const auto at = where + "@" + pa.local;
        const Attr* aa = a.attr(pa.ns, pa.local);
        if (!aa) {
            return at + ": missing";
        }
        if (auto e = match_value(pa.value, aa->value, vars, at); !e.empty()) {
            return e;
        }
    }
    const auto ptext = trim(p.text);
    if (ptext == "{*}" && p.children.empty()) {
        return {}; // any content
    }
    if (p.children.size() != a.children.size()) {
        return where + ": expected " + std::to_string(p.children.size()) +
               " child element(s), got " + std::to_string(a.children.size());
    }
    if (auto e = match_value(ptext, trim(a.text), vars, where + "/text()"); !e.empty()) {
        return e;
    }
    for (std::size_t i = 0; i < p.children.size(); ++i) {
        if (auto e = match_node(p.children[i], a.children[i], vars, where); !e.empty()) {
            return e;
        }
    }
    return {};
}

} // namespace

std::string match(const Node& pattern, const Node& actual, Vars& vars,
                  const std::vector<std::string>& absent) {
    Vars trial = vars; // captures only stick when everything matched
    if (auto e = match_node(pattern, actual, trial, ""); !e.empty()) {
        return e;
    }
    for (const auto& name : absent) {
        const auto colon = name.find(':');
        for (const auto& a : actual.attrs) {
            const bool hit = colon == std::string::npos
                                 ? a.ns.empty() && a.local == name
                                 : !a.ns.empty() && a.local == name.substr(colon + 1);
            if (hit) {
                return "attribute " + name + "='" + a.value + "' must be absent";
            }
        }
    }
    vars = std::move(trial);
    return {};
}

std::string substitute(std::string_view text, const Vars& vars, std::string& error) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
            out += c; // "{{" or "}}"
            ++i;
            continue;
        }
        if (c != '{') {
            out += c;
            continue;
        }
        const auto close = text.find('}', i);
        auto ref = close == std::string_view::npos ? std::nullopt
                                                   : parse_ref(text.substr(i + 1, close - i - 1));
        if (!ref) {
            out += c; // not a variable: a lone brace stays as it is
            continue;
        }
        auto value = resolve(*ref, vars, error);
        if (!value) {
            return {};
        }
        out += *value;
        i = close;
    }
    return out;
}

} // namespace boshd::conformance
