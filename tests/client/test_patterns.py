"""The scenario pattern matcher (xep/FORMAT.md, "Patterns"). Most cases are
pairs: one that must match and a near miss that must not, so the matcher
cannot pass by accepting everything."""

import unittest

from boshclient.patterns import Mismatch, Pattern, PatternError, parse_element, substitute

BOSH = "xmlns='http://jabber.org/protocol/httpbind'"


def match(pattern, actual, variables=None, absent=()):
    variables = {} if variables is None else variables
    Pattern(pattern).match(parse_element(actual), variables, absent)
    return variables


class Names(unittest.TestCase):
    def test_prefixes_do_not_matter_namespaces_do(self):
        match("<b:body xmlns:b='http://jabber.org/protocol/httpbind'/>", "<body %s/>" % BOSH)
        with self.assertRaisesRegex(Mismatch, "element is body"):
            match("<body %s/>" % BOSH, "<body xmlns='jabber:client'/>")

    def test_no_namespace_is_not_any_namespace(self):
        with self.assertRaises(Mismatch):
            match("<body/>", "<body %s/>" % BOSH)

    def test_local_name(self):
        with self.assertRaises(Mismatch):
            match("<iq xmlns='jabber:client'/>", "<message xmlns='jabber:client'/>")


class Attributes(unittest.TestCase):
    def test_order_and_extra_attributes(self):
        match("<body a='1' b='2' %s/>" % BOSH, "<body b='2' c='3' a='1' %s/>" % BOSH)

    def test_missing_attribute(self):
        with self.assertRaisesRegex(Mismatch, "attribute b is missing"):
            match("<body a='1' b='2' %s/>" % BOSH, "<body a='1' %s/>" % BOSH)

    def test_different_value(self):
        with self.assertRaisesRegex(Mismatch, "@type is 'error', expected 'terminate'"):
            match("<body type='terminate' %s/>" % BOSH, "<body type='error' %s/>" % BOSH)

    def test_namespaced_attribute(self):
        p = "<body xmpp:version='1.0' xmlns:xmpp='urn:xmpp:xbosh' %s/>" % BOSH
        match(p, "<body x:version='1.0' xmlns:x='urn:xmpp:xbosh' %s/>" % BOSH)
        with self.assertRaises(Mismatch):
            match(p, "<body version='1.0' %s/>" % BOSH)

    def test_absent(self):
        match("<body type='terminate' %s/>" % BOSH, "<body type='terminate' %s/>" % BOSH,
              absent=["condition"])
        with self.assertRaisesRegex(Mismatch, "condition must be absent"):
            match("<body type='terminate' %s/>" % BOSH,
                  "<body type='terminate' condition='item-not-found' %s/>" % BOSH, absent=["condition"])

    def test_absent_with_prefix(self):
        with self.assertRaises(Mismatch):
            match("<body %s/>" % BOSH, "<body xml:lang='en' %s/>" % BOSH, absent=["xml:lang"])
        # FORMAT.md change 10: the prefix is only a reminder; 'p:name' is that
        # local name in any namespace, so an unknown prefix is no error.
        match("<body %s/>" % BOSH, "<body %s/>" % BOSH, absent=["nope:lang"])
        with self.assertRaises(Mismatch):
            match("<body %s/>" % BOSH, "<body xml:lang='en' %s/>" % BOSH, absent=["nope:lang"])

    def test_star_needs_the_attribute(self):
        match("<body sid='{*}' %s/>" % BOSH, "<body sid='x' %s/>" % BOSH)
        with self.assertRaises(Mismatch):
            match("<body sid='{*}' %s/>" % BOSH, "<body %s/>" % BOSH)


class Children(unittest.TestCase):
    def test_empty_pattern_refuses_children(self):
        with self.assertRaisesRegex(Mismatch, "has 1 child"):
            match("<body %s/>" % BOSH, "<body %s><message xmlns='jabber:client'/></body>" % BOSH)

    def test_count_must_be_equal(self):
        p = "<body %s><a/></body>" % BOSH
        with self.assertRaises(Mismatch):
            match(p, "<body %s><a xmlns=''/><a xmlns=''/></body>" % BOSH)

    def test_order_matters(self):
        p = "<r><a/><b/></r>"
        match(p, "<r><a/><b/></r>")
        with self.assertRaises(Mismatch):
            match(p, "<r><b/><a/></r>")

    def test_whitespace_between_elements_is_ignored(self):
        match("<r><a/><b/></r>", "<r>\n  <a/>\n  <b/>\n</r>")

    def test_text_trimmed_and_compared(self):
        match("<m><body>hi</body></m>", "<m><body>  hi\n</body></m>")
        with self.assertRaisesRegex(Mismatch, "text.. is 'hello', expected 'hi'"):
            match("<m><body>hi</body></m>", "<m><body>hello</body></m>")

    def test_empty_pattern_refuses_text(self):
        with self.assertRaises(Mismatch):
            match("<body/>", "<body>x</body>")

    def test_star_content_matches_anything(self):
        p = "<f>{*}</f>"
        match(p, "<f/>")
        match(p, "<f>text</f>")
        match(p, "<f><a/><b>x</b></f>")
        with self.assertRaises(Mismatch):
            match(p, "<g><a/></g>")  # the element itself still counts

    def test_nested_mismatch_path(self):
        with self.assertRaisesRegex(Mismatch, r"/r/a\[1\]/@x"):
            match("<r><a x='1'/></r>", "<r><a x='2'/></r>")


class Captures(unittest.TestCase):
    def test_capture_then_compare(self):
        v = match("<body sid='{sid}' %s/>" % BOSH, "<body sid='abc' %s/>" % BOSH)
        self.assertEqual(v, {"sid": "abc"})
        match("<body sid='{sid}' %s/>" % BOSH, "<body sid='abc' %s/>" % BOSH, v)
        with self.assertRaisesRegex(Mismatch, r"expected \{sid\} = 'abc'"):
            match("<body sid='{sid}' %s/>" % BOSH, "<body sid='abd' %s/>" % BOSH, v)

    def test_text_capture(self):
        v = match("<iq><jid>{jid}</jid></iq>", "<iq><jid> a@b/c </jid></iq>")
        self.assertEqual(v["jid"], "a@b/c")

    def test_same_name_twice_in_one_pattern(self):
        match("<r a='{x}' b='{x}'/>", "<r a='1' b='1'/>")
        with self.assertRaises(Mismatch):
            match("<r a='{x}' b='{x}'/>", "<r a='1' b='2'/>")

    def test_failed_match_binds_nothing(self):
        v = {}
        with self.assertRaises(Mismatch):
            match("<r a='{x}' b='2'/>", "<r a='1' b='3'/>", v)
        self.assertEqual(v, {})

    def test_offsets(self):
        v = {"rid": "1000"}
        match("<body ack='{rid+1}'/>", "<body ack='1001'/>", v)
        match("<body ack='{rid-2}'/>", "<body ack='998'/>", v)
        with self.assertRaisesRegex(Mismatch, "= 1001"):
            match("<body ack='{rid+1}'/>", "<body ack='1000'/>", v)
        with self.assertRaises(Mismatch):
            match("<body ack='{rid+1}'/>", "<body ack='x'/>", v)

    def test_offset_of_unbound_is_a_pattern_error(self):
        with self.assertRaises(PatternError):
            match("<body ack='{nope+1}'/>", "<body ack='1'/>")

    def test_partial_braces_are_literal(self):
        match("<r a='x{y}'/>", "<r a='x{y}'/>")
        with self.assertRaises(Mismatch):
            match("<r a='x{y}'/>", "<r a='xz'/>")


class Parsing(unittest.TestCase):
    def test_not_xml(self):
        with self.assertRaises(PatternError):
            Pattern("<body")

    def test_undeclared_prefix(self):
        with self.assertRaises(PatternError):
            Pattern("<stream:features/>")


class Substitution(unittest.TestCase):
    def test_variables_offsets_and_braces(self):
        v = {"sid": "s1", "rid": "41"}
        self.assertEqual(substitute("<body rid='{rid+1}' sid='{sid}'>{{x}}</body>", v),
                         "<body rid='42' sid='s1'>{x}</body>")
        self.assertEqual(substitute("{rid-1}", v), "40")

    def test_unbound(self):
        with self.assertRaisesRegex(PatternError, "sid"):
            substitute("<body sid='{sid}'/>", {})

    def test_substituted_value_is_not_rescanned(self):
        self.assertEqual(substitute("{a}", {"a": "{b}"}), "{b}")
