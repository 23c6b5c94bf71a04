"""The scenario pattern matcher (xep/FORMAT.md, "Patterns").

Its meaning is tested by the shared vectors of xep/matcher-vectors.toml,
which the C++ matcher runs too (tests/unit/conformance/pattern_test.cpp):
one test per vector here (Vectors.test_<name>, Substitutions.test_<name>).
The rest is Python's own: exception types and message paths."""

import os
import tomllib
import unittest

from boshclient.patterns import Mismatch, Pattern, PatternError, parse_element, substitute

VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "xep",
                       "matcher-vectors.toml")
VECTOR_KEYS = {"name", "pattern", "document", "vars", "absent", "outcome", "captures", "reason"}
SUBSTITUTION_KEYS = {"name", "text", "vars", "result", "error"}
OUTCOMES = ("match", "fail", "bad-pattern")


def load_vectors(path=VECTORS):
    """(vectors, substitutions) of the file; a malformed entry is a ValueError."""
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    unknown = set(doc) - {"vector", "substitution"}
    if unknown:
        raise ValueError("%s: unknown table(s) %s" % (path, ", ".join(sorted(unknown))))
    names = set()
    for kind, keys in (("vector", VECTOR_KEYS), ("substitution", SUBSTITUTION_KEYS)):
        for v in doc.get(kind, []):
            where = "%s: %s %r" % (path, kind, v.get("name"))
            if set(v) - keys:
                raise ValueError("%s: unknown key(s) %s" % (where, ", ".join(sorted(set(v) - keys))))
            if not isinstance(v.get("name"), str) or (kind, v["name"]) in names:
                raise ValueError("%s: needs a unique name" % where)
            names.add((kind, v["name"]))
            if not all(isinstance(x, str) for x in v.get("vars", {}).values()):
                raise ValueError("%s: vars are strings" % where)
            if kind == "vector":
                if v.get("outcome") not in OUTCOMES:
                    raise ValueError("%s: outcome is one of %s" % (where, ", ".join(OUTCOMES)))
                if ("document" in v) == (v["outcome"] == "bad-pattern"):
                    raise ValueError("%s: a document, unless the outcome is bad-pattern" % where)
                if "captures" in v and v["outcome"] != "match":
                    raise ValueError("%s: captures only with outcome match" % where)
                if "reason" in v and v["outcome"] != "fail":
                    raise ValueError("%s: reason only with outcome fail" % where)
            elif ("result" in v) == ("error" in v) or v.get("error", True) is not True:
                raise ValueError("%s: either result or error = true" % where)
    return doc.get("vector", []), doc.get("substitution", [])


def check_vector(case, v):
    """Runs vector |v| in the unittest.TestCase |case|."""
    if v["outcome"] == "bad-pattern":
        with case.assertRaises(PatternError):
            Pattern(v["pattern"])
        return
    pattern = Pattern(v["pattern"])
    actual = parse_element(v["document"])
    variables = dict(v.get("vars", {}))
    try:
        pattern.match(actual, variables, v.get("absent", ()))
        failure = None
    except (Mismatch, PatternError) as e:
        failure = str(e)
    if v["outcome"] == "match":
        case.assertIsNone(failure, "expected a match")
        case.assertEqual(variables, {**v.get("vars", {}), **v.get("captures", {})})
    else:
        case.assertIsNotNone(failure, "expected no match; variables after it: %r" % variables)
        case.assertIn(v.get("reason", ""), failure)
        case.assertEqual(variables, v.get("vars", {}), "a failed match bound variables")


def check_substitution(case, v):
    if v.get("error"):
        with case.assertRaises(PatternError):
            substitute(v["text"], v.get("vars", {}))
    else:
        case.assertEqual(substitute(v["text"], v.get("vars", {})), v["result"])


class Vectors(unittest.TestCase):
    """xep/matcher-vectors.toml [[vector]]: one test each (added below)."""


class Substitutions(unittest.TestCase):
    """xep/matcher-vectors.toml [[substitution]]: one test each (added below)."""


def _add_tests():
    vectors, substitutions = load_vectors()
    for cls, entries, check in ((Vectors, vectors, check_vector),
                                (Substitutions, substitutions, check_substitution)):
        for v in entries:
            setattr(cls, "test_" + v["name"].replace("-", "_"),
                    lambda self, v=v, check=check: check(self, v))


_add_tests()


class VectorFile(unittest.TestCase):
    def test_covers_every_outcome(self):
        vectors, substitutions = load_vectors()
        self.assertEqual({v["outcome"] for v in vectors}, set(OUTCOMES))
        self.assertTrue(any(v.get("captures") for v in vectors))
        self.assertTrue(any(s.get("error") for s in substitutions))

    def test_unknown_keys_are_errors(self):
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            f.write('[[vector]]\nname = "x"\npattern = "<a/>"\ndocument = "<a/>"\n'
                    'outcome = "match"\ncapture = { a = "1" }\n')
        try:
            with self.assertRaisesRegex(ValueError, "unknown key.*capture"):
                load_vectors(f.name)
        finally:
            os.unlink(f.name)


# ---- Python's own: what the shared vectors cannot say

def match(pattern, actual, variables=None, absent=()):
    variables = {} if variables is None else variables
    Pattern(pattern).match(parse_element(actual), variables, absent)
    return variables


class Errors(unittest.TestCase):
    def test_mismatch_is_an_assertion_error(self):
        # Runners let an AssertionError fail the step, not the run.
        with self.assertRaises(AssertionError):
            match("<a/>", "<b/>")

    def test_wrong_patterns_are_pattern_errors_not_mismatches(self):
        # A scenario whose step is itself wrong says so ("the step itself is
        # wrong"), rather than blaming the CM.
        with self.assertRaises(PatternError):
            match("<body ack='{nope+1}'/>", "<body ack='1'/>")
        with self.assertRaises(PatternError):
            match("<body ack='x{nope}'/>", "<body ack='x'/>")
        with self.assertRaises(PatternError):
            match("<body ack='{rid+1}'/>", "<body ack='1'/>", {"rid": "x"})
        with self.assertRaises(PatternError):
            Pattern("<body")

    def test_message_path(self):
        with self.assertRaisesRegex(Mismatch, r"/r/a\[1\]/@x: expected '1', got '2'"):
            match("<r><a x='1'/></r>", "<r><a x='2'/></r>")
        with self.assertRaisesRegex(Mismatch, r"/m/body\[1\]/text\(\): expected 'hi', got 'hello'"):
            match("<m><body>hi</body></m>", "<m><body>hello</body></m>")
        with self.assertRaisesRegex(Mismatch, r"/body: attribute xml:lang must be absent, is 'en'"):
            match("<body/>", "<body xml:lang='en'/>", absent=["xml:lang"])
