"""Scenario patterns and text substitution (xep/FORMAT.md, "Patterns").

A pattern is one XML element compared namespace-aware with an actual element:
names by namespace URI and local name, attributes as a subset (order never
matters), children in order and equal in number, text trimmed (whitespace-only
text ignored; "whitespace" is XML's: space, tab, CR, LF). `{*}`, `{name}` and
`{name+N}` / `{name-N}` stand for a whole attribute value or a whole text
content; inside a longer value `{name}` is substituted and `{{` / `}}` are
literal braces. xep/matcher-vectors.toml holds the shared test vectors.

    pattern = Pattern("<body sid='{sid}' xmlns='http://jabber.org/protocol/httpbind'>{*}</body>")
    pattern.match(element, variables)     # raises Mismatch, or binds new captures

substitute() fills `{name}` and `{name+N}` into send texts; `{{` and `}}`
stand for literal braces.
"""

import re
import xml.etree.ElementTree as ET

XML_NS = "http://www.w3.org/XML/1998/namespace"
XML_SPACE = " \t\r\n"
# The integers {name+N} works with: what the C++ matcher's std::from_chars reads.
_INTEGER = re.compile(r"-?[0-9]+")

# A whole value that is a placeholder: {*}, {name}, {name+N}, {name-N}.
_PLACEHOLDER = re.compile(r"\{(?:(\*)|([A-Za-z_][A-Za-z0-9_]*)(?:([+-])([0-9]+))?)\}")
# Inside a send text: {{, }}, {name}, {name+N}, {name-N}.
_SUBST = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)(?:([+-])([0-9]+))?\}")


class PatternError(ValueError):
    """The pattern (or a text to substitute) is itself wrong: not well-formed,
    or it uses a variable that is not bound where one must be."""


class Mismatch(AssertionError):
    """The actual element does not match; str() says where and why."""


def _offset(name, value, sign, digits):
    if not _INTEGER.fullmatch(str(value)):
        raise PatternError("variable {%s} = %r is not an integer" % (name, value))
    base = int(value)
    return base + int(digits) if sign == "+" else base - int(digits)


def substitute(text, variables):
    """|text| with {name} and {name+N} replaced from |variables|; an unbound
    name is a PatternError."""
    def repl(m):
        whole = m.group(0)
        if whole == "{{":
            return "{"
        if whole == "}}":
            return "}"
        name, sign, digits = m.group(1), m.group(2), m.group(3)
        if name not in variables:
            raise PatternError("variable {%s} is not bound" % name)
        if sign:
            return str(_offset(name, variables[name], sign, digits))
        return str(variables[name])
    return _SUBST.sub(repl, text)


def clark(tag):
    """'{uri}local' as 'local (uri)' for messages; plain names as they are."""
    if tag.startswith("{"):
        uri, local = tag[1:].split("}", 1)
        return "%s (%s)" % (local, uri)
    return "%s (no namespace)" % tag


def direct_text(elem):
    """The element's own text: before, between and after its children."""
    return (elem.text or "") + "".join(child.tail or "" for child in elem)


def parse_element(data):
    """An ElementTree element from bytes or text; ET.ParseError if not XML."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return ET.fromstring(data)


class Pattern:
    def __init__(self, text):
        self.text = text
        self.prefixes = {"xml": XML_NS}
        parser = ET.XMLPullParser(events=("start-ns",))
        try:
            parser.feed(text.encode("utf-8"))
            parser.close()
        except ET.ParseError as e:
            raise PatternError("pattern is not well-formed XML (%s): %s" % (e, text))
        for _, (prefix, uri) in parser.read_events():
            self.prefixes.setdefault(prefix, uri)
        self.root = parse_element(text)

    @staticmethod
    def absent_keys(actual, name):
        """The attributes of |actual| an `absent` entry names (FORMAT.md,
        change 10): 'name' is the unqualified attribute, 'prefix:name' that
        local name in any namespace (the prefix is only a reminder)."""
        if ":" not in name:
            return [name] if name in actual.attrib else []
        local = name.split(":", 1)[1]
        return [k for k in actual.attrib if k.startswith("{") and k.split("}", 1)[1] == local]

    def match(self, actual, variables, absent=()):
        """Matches |actual| (an element); on success adds new captures to
        |variables|, on failure raises Mismatch and binds nothing."""
        captures = {}
        path = "/" + _local(self.root.tag)
        self._element(self.root, actual, path, variables, captures)
        for name in absent:
            for key in self.absent_keys(actual, name):
                raise Mismatch("%s: attribute %s must be absent, is %r" % (path, name, actual.attrib[key]))
        variables.update(captures)

    def matches(self, actual, variables, absent=()):
        """True/False instead of Mismatch (captures bound only on True)."""
        try:
            self.match(actual, variables, absent)
        except Mismatch:
            return False
        return True

    # ---- the comparison
    # Messages say "<where>: expected '<want>', got '<got>'", as the C++
    # matcher's do, so that the vectors' `reason` fragments fit both.
    def _element(self, want, got, path, variables, captures):
        if want.tag != got.tag:
            raise Mismatch("%s: element is %s, expected %s" % (path, clark(got.tag), clark(want.tag)))
        for name, value in want.attrib.items():
            if name not in got.attrib:
                raise Mismatch("%s: attribute %s is missing" % (path, _attr_label(name)))
            self._value(value, got.attrib[name], "%s/@%s" % (path, _attr_label(name)),
                        variables, captures)
        want_children = list(want)
        want_text = direct_text(want).strip(XML_SPACE)
        if not want_children and want_text == "{*}":
            return  # any content
        got_children = list(got)
        if len(want_children) != len(got_children):
            raise Mismatch("%s: has %d child element(s) %s, expected %d %s"
                           % (path, len(got_children), _names(got_children), len(want_children),
                              _names(want_children)))
        for i, (w, g) in enumerate(zip(want_children, got_children)):
            self._element(w, g, "%s/%s[%d]" % (path, _local(w.tag), i + 1), variables, captures)
        self._value(want_text, direct_text(got).strip(XML_SPACE), path + "/text()", variables,
                    captures)

    def _value(self, want, got, where, variables, captures):
        m = _PLACEHOLDER.fullmatch(want)
        if not m:
            # A literal, in which {name} is substituted ({{ and }} are braces).
            try:
                literal = substitute(want, {**variables, **captures})
            except PatternError as e:
                raise PatternError("%s: %s" % (where, e))
            if literal != got:
                raise Mismatch("%s: expected %r, got %r" % (where, literal, got))
            return
        if m.group(1):
            return  # {*}
        name, sign, digits = m.group(2), m.group(3), m.group(4)
        bound = captures.get(name, variables.get(name))
        if sign:
            if bound is None:
                raise PatternError("%s: variable {%s} is not bound" % (where, name))
            try:
                expected = str(_offset(name, bound, sign, digits))
            except PatternError as e:
                raise PatternError("%s: %s" % (where, e))
            if got != expected:
                raise Mismatch("%s: expected %r (%s), got %r" % (where, expected, want, got))
            return
        if bound is None:
            captures[name] = got
        elif str(bound) != got:
            raise Mismatch("%s: expected %r (%s), got %r" % (where, str(bound), want, got))


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _attr_label(name):
    if name.startswith("{" + XML_NS + "}"):
        return "xml:" + _local(name)
    return name if not name.startswith("{") else clark(name)


def _names(elems):
    return "(" + ", ".join(_local(e.tag) for e in elems) + ")"
