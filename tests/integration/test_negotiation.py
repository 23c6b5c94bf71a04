"""Session parameters over the wire: what the creation response grants, what
later requests may not change, polling sessions, acks, namespaces and text
(XEP-0124 §6, §7, §9, §11, §12, §15; XEP-0206 §2)."""

import re

from harness import BoshTestCase, CLIENT_NS, XBOSH_NS, message


class CreationParametersTest(BoshTestCase):
    session = {"max_wait": 60, "max_hold": 2}

    def test_C124_7_2_03_wait_never_above_request_or_max_wait(self):
        for asked, limit in ((5, 5), (60, 60), (65535, 60)):
            s = self.new_session()
            granted = int(s.create(wait=asked).xml().get("wait"))
            self.assertLessEqual(granted, limit, "wait=%d" % asked)
            self.assertGreater(granted, 0)

    def test_C124_7_2_04_10_hold_and_requests(self):
        for hold, max_granted in ((0, 0), (1, 1), (2, 2), (5, 2)):
            s = self.new_session()
            root = s.create(hold=hold).xml()
            self.assertLessEqual(int(root.get("hold")), min(hold, max_granted), "hold=%d" % hold)
            self.assertGreater(int(root.get("requests")), hold if hold <= 2 else int(root.get("hold")))

    def test_C124_7_1_04_ver_compared_numerically(self):
        for asked, expect in (("1.10", "1.10"), ("1.9", "1.9"), ("1.6", "1.6"), ("99.0", "1.11")):
            s = self.new_session()
            self.assertEqual(s.create(ver=asked).xml().get("ver"), expect, asked)

    def test_C124_7_2_01_sids_unique_and_unrelated(self):
        sids = []
        for _ in range(30):
            s = self.new_session()
            sids.append(s.create().xml().get("sid"))
        self.assertEqual(len(set(sids)), len(sids))
        self.assertTrue(all(len(x) >= 16 for x in sids))
        # No arithmetic relation between consecutive sids.
        nums = [int(x, 16) for x in sids]
        diffs = {b - a for a, b in zip(nums, nums[1:])}
        self.assertGreater(len(diffs), 1)

    def test_C124_7_1_05_route_attribute_ignored(self):
        s, conn = self.open_session(route="xmpp:unrelated.invalid:1")
        self.assertEqual(conn.wait_headers(1)[0].get("to"), "example.com")

    def test_L124_01_secure_attribute_accepted(self):
        self.open_session(secure="true")

    def test_C124_15_1_01_keys_without_newkey_at_creation_are_ignored(self):
        s, conn = self.open_session()
        c, _ = s.send(message("keyed"), key="b" * 40, newkey="a" * 40)
        conn.wait_data("keyed")
        conn.push(message("x"))
        self.assertHasStanza(c.read_response(), "message")

    def test_C124_7_2_12_creation_attributes_only_on_creation_reply(self):
        s, conn = self.open_session()
        c, _ = s.send(message("m"))
        conn.wait_data("m")
        conn.push(message("x"))
        root = c.read_response().xml()
        for a in ("sid", "wait", "requests", "ver", "polling", "inactivity", "hold", "accept",
                  "charsets", "maxpause"):
            self.assertIsNone(root.get(a), a)

    def test_C206_11_01_xbosh_attributes_are_qualified(self):
        s = self.new_session()
        resp = s.create()
        root = resp.xml()
        self.assertIsNotNone(root.get("{%s}restartlogic" % XBOSH_NS))
        self.assertIsNone(root.get("restartlogic"))
        self.assertIsNone(root.get("version"))


class LaterRequestsTest(BoshTestCase):

    def test_C124_7_1_10_creation_attributes_on_later_requests_ignored(self):
        s, conn = self.open_session(wait=1)
        resp = s.request(wait="3", hold="2", content="text/plain", timeout=5)
        self.assertEmptyBody(resp)
        self.assertLess(resp.elapsed, 2.5, "a later request's wait was honoured")
        self.assertBoshHeaders(resp)   # Content-Type unchanged

    def test_C124_16_3_01_to_on_later_request_is_an_ordinary_poll(self):
        s, conn = self.open_session(wait=1)
        resp = s.request(to="other.example", route="xmpp:other:5222", timeout=5,
                         **{"xml:lang": "fr"})
        self.assertEmptyBody(resp)
        self.assertIsNone(resp.xml().get("stream"))
        self.assertEqual(len(self.xmpp.conns), 1)

    def test_C124_9_1_01_ack_names_highest_rid_received(self):
        s, conn = self.open_session(hold=1)
        n = self.requests_seen()
        c1, r1 = s.send()
        self.wait_requests_seen(n + 1)
        c2, r2 = s.send(message("second"))
        self.assertEqual(c1.read_response().xml().get("ack"), str(r2))
        conn.push(message("x"))
        # C124-9.1-03: no ack when it would equal the rid answered.
        self.assertIsNone(c2.read_response().xml().get("ack"))

    def test_C124_9_1_02_creation_reply_acks_creation_rid(self):
        s = self.new_session()
        self.assertEqual(s.create(rid=4242).xml().get("ack"), "4242")

    def test_C124_14_1_01_large_rids(self):
        s, conn = self.open_session(rid=9007199254740000)
        for i in range(3):
            c, rid = s.send(message("big-%d" % i))
            conn.wait_data("big-%d" % i)
            conn.push(message("r"))
            self.assertHasStanza(c.read_response(), "message")
        self.assertEqual(rid, 9007199254740003)


class PollingTest(BoshTestCase):
    session = {"polling": 2}

    def test_C124_12_04_hold_zero_answers_at_once(self):
        s, conn = self.open_session(hold=0)
        resp = s.request(timeout=2)
        self.assertEmptyBody(resp)
        self.assertLess(resp.elapsed, 1.0)

    def test_C124_12_03_polling_too_fast_is_policy_violation(self):
        s, conn = self.open_session(hold=0)
        self.assertEmptyBody(s.request())
        self.assertTerminate(s.request(), "policy-violation")
        self.assertTerminate(s.request(), "item-not-found")

    def test_C124_12_03c_polls_with_payload_are_not_limited(self):
        s, conn = self.open_session(hold=0)
        for i in range(3):
            self.assertEqual(s.request(message("p%d" % i)).status, 200)
        conn.wait_data("p2")

    def test_C124_11_04_too_frequent_empty_requests(self):
        s, conn = self.open_session(hold=1)
        n = self.requests_seen()
        c1, _ = s.send()
        self.wait_requests_seen(n + 1)
        resp = s.request()
        self.assertTerminate(resp, "policy-violation")
        self.assertTerminate(c1.read_response(), "other-request")

    def test_C124_11_04_control_payload_is_not_overactive(self):
        s, conn = self.open_session(hold=1)
        n = self.requests_seen()
        c1, _ = s.send()
        self.wait_requests_seen(n + 1)
        c2, _ = s.send(message("not-empty"))
        self.assertEmptyBody(c1.read_response())
        conn.push(message("x"))
        self.assertHasStanza(c2.read_response(), "message")


class PayloadTest(BoshTestCase):

    def test_C124_7_2_17_utf8_both_ways(self):
        s, conn = self.open_session()
        text = "Grüße ✓ 𝄞"
        c, _ = s.send(message(text))
        conn.wait_data(text)
        conn.push(message(text + " back"))
        resp = c.read_response()
        self.assertEqual(self.assertHasStanza(resp, "message").findtext("{%s}body" % CLIENT_NS),
                         text + " back")

    def test_C124_6_02_escaped_text_stays_escaped(self):
        s, conn = self.open_session()
        c, _ = s.send(message("a &lt; b &amp; c &gt; d \"q\" 'a'".replace("'", "&apos;")))
        raw, elem = conn.wait_element("message")
        self.assertEqual(elem.findtext("{%s}body" % CLIENT_NS), "a < b & c > d \"q\" 'a'")
        conn.push(message("1 &lt; 2 &amp;&amp; 3"))
        self.assertEqual(self.assertHasStanza(c.read_response(), "message")
                         .findtext("{%s}body" % CLIENT_NS), "1 < 2 && 3")

    def test_N206_01_stanza_without_xmlns_reaches_server_as_jabber_client(self):
        s, conn = self.open_session()
        c, _ = s.send(message("no-ns", xmlns=False))
        raw, elem = conn.wait_element("message")
        self.assertEqual(elem.tag, "{%s}message" % CLIENT_NS)

    def test_C124_6_03_prefix_declared_on_body_travels_with_the_stanza(self):
        s, conn = self.open_session()
        body = ("<body rid='%d' sid='%s' xmlns='http://jabber.org/protocol/httpbind' "
                "xmlns:foo='urn:foo'><message xmlns='jabber:client' to='a@example.com'>"
                "<foo:x>prefixed</foo:x></message></body>" % (s.rid + 1, s.sid))
        s.rid += 1
        c = s.conn()
        c.send("POST", s.path, body, [("Content-Type", "text/xml")])
        raw, elem = conn.wait_element("message")
        self.assertIsNotNone(elem, "the server could not parse %r" % raw)
        self.assertIsNotNone(elem.find("{urn:foo}x"), raw)

    def test_C124_6_03_prefix_declared_on_server_stream_travels_with_the_stanza(self):
        self.xmpp.header_attrs = "xmlns:ext='urn:ext'"
        s, conn = self.open_session()
        n = self.requests_seen()
        c, _ = s.send()
        self.wait_requests_seen(n + 1)
        conn.push("<message to='user@example.com/r'><ext:x>data</ext:x></message>")
        resp = c.read_response()
        msg = self.assertHasStanza(resp, "message")   # parses only if ext is declared
        self.assertEqual(msg.findtext("{urn:ext}x"), "data")

    def test_C124_17_4_01_error_stanza_passes_through(self):
        s, conn = self.open_session()
        n = self.requests_seen()
        c, _ = s.send()
        self.wait_requests_seen(n + 1)
        err = ("<message type='error' from='x@example.com' to='user@example.com/r'>"
               "<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
               "</error></message>")
        conn.push(err)
        resp = c.read_response()
        self.assertIsNone(resp.xml().get("type"), resp.body)
        msg = self.assertHasStanza(resp, "message")
        self.assertEqual(msg.get("type"), "error")
        self.assertIsNotNone(msg.find("{%s}error/{urn:ietf:params:xml:ns:xmpp-stanzas}item-not-found"
                                      % CLIENT_NS))

    def test_C124_6_04_no_comments_pi_or_doctype_in_replies(self):
        s, conn = self.open_session()
        n = self.requests_seen()
        c, _ = s.send()
        self.wait_requests_seen(n + 1)
        # A comment inside a stanza from the server must not reach the client
        # (boshd ends the session instead: RFC 6120 §11.1 forbids comments).
        conn.push("<message to='user@example.com/r'><!-- server comment --><body>c</body></message>")
        resp = c.read_response()
        self.assertNotIn(b"<!--", resp.body)
        self.assertNotIn(b"<?", resp.body)
        self.assertNotIn(b"<!DOCTYPE", resp.body)
        self.assertIsNotNone(re.match(rb"<body\b", resp.body))
