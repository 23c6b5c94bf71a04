"""Session creation over the wire (XEP-0124 §5, §7; XEP-0206 §3, §4)."""

import re

from harness import (BoshTestCase, CLIENT_NS, STREAMS_NS, XBOSH_NS, message)

SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl"


class CreationTest(BoshTestCase):

    def test_C124_7_2_creation_response_headers_and_attributes(self):
        s = self.new_session()
        resp = s.create(wait=10, hold=1, ver="1.11", lang="en",
                        headers=[("X-Foo", "1"), ("Cookie", "a=b")])  # C124-5-02
        # C124-5-01, C124-5-06: strict HTTP/1.1 framing, no chunking.
        self.assertEqual(resp.version, "HTTP/1.1")
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.reason, "OK")
        self.assertBoshHeaders(resp)  # C124-7.1-09, P124-02
        root = resp.xml()
        self.assertRegex(root.get("sid"), r"^[0-9a-f]{16,}$")      # C124-7.2-02
        self.assertLessEqual(int(root.get("wait")), 10)            # C124-7.2-03
        self.assertEqual(root.get("requests"), "2")                # C124-7.2-04/05
        self.assertLessEqual(int(root.get("hold")), 1)             # C124-7.2-09/10
        self.assertEqual(root.get("ver"), "1.11")                  # C124-7.2-06
        self.assertIsNotNone(root.get("inactivity"))               # C124-7.2-08
        self.assertIn(root.get("{%s}restartlogic" % XBOSH_NS), ("true", "1"))  # C206-4-03
        self.assertEqual(root.get("{%s}version" % XBOSH_NS), "1.0")            # C206-4-01
        self.assertEqual(root.get("from"), "example.com")          # C124-7.2-11
        # C206-4-02: the server's features are in the creation reply ...
        features = root.find("{%s}features" % STREAMS_NS)
        self.assertIsNotNone(features, resp.body)
        mechs = [m.text for m in features.iter("{%s}mechanism" % SASL_NS)]
        self.assertEqual(mechs, ["SCRAM-SHA-1", "PLAIN"])
        # ... and C206-2-02: xmlns:stream is declared on <body> itself.
        start_tag = re.match(rb"<body\b[^>]*>", resp.body).group(0)
        self.assertIn(b"xmlns:stream='http://etherx.jabber.org/streams'", start_tag.replace(b'"', b"'"))

    def test_C124_7_1_02_C206_3_01_backend_sees_stream_header(self):
        s = self.new_session()
        s.create(lang="de", xmpp_version="1.0")
        conn = self.xmpp.wait_connection(0)
        header = conn.wait_headers(1)[0]
        self.assertEqual(header.get("to"), "example.com")          # C124-7.1-02
        self.assertEqual(header.get("version"), "1.0")             # C206-3-01
        self.assertEqual(header.get("xml:lang"), "de")             # C124-7.1-03
        self.assertEqual(header.get("xmlns"), CLIENT_NS)           # C206-3-03
        self.assertEqual(header.get("xmlns:stream"), STREAMS_NS)

    def test_C206_3_01_xbosh_version_matched_by_namespace_not_prefix(self):
        s = self.new_session()
        body = ("<body rid='500' to='example.com' wait='10' hold='1' ver='1.11' "
                "xmlns='http://jabber.org/protocol/httpbind' "
                "xmlns:x='urn:xmpp:xbosh' x:version='1.0'/>")
        resp = self.client().post("/http-bind", body)
        self.assertEqual(resp.status, 200)
        self.assertIsNotNone(resp.xml().get("sid"), resp.body)
        conn = self.xmpp.wait_connection(0)
        self.assertEqual(conn.wait_headers(1)[0].get("version"), "1.0")

    def test_C124_7_1_08_content_attribute_sets_content_type_of_every_reply(self):
        ctype = "text/html; charset=utf-8"
        s = self.new_session()
        created = s.create(wait=1, content=ctype)
        self.assertBoshHeaders(created, ctype)
        conn = self.xmpp.wait_connection(0)
        # A wait-expiry empty body.
        empty = s.request()
        self.assertEmptyBody(empty)
        self.assertBoshHeaders(empty, ctype)
        # A payload reply.
        c, rid = s.send()
        self.wait_requests_seen(3)
        conn.push(message("hello"))
        payload = c.read_response()
        self.assertHasStanza(payload, "message")
        self.assertBoshHeaders(payload, ctype)
        # A duplicate-rid replay: identical, and still the session's type.
        replay = s.request(rid=rid)
        self.assertEqual(replay.body, payload.body)
        self.assertBoshHeaders(replay, ctype)
        # The terminate reply.
        end = s.request(type="terminate")
        self.assertEqual(end.xml().get("type"), "terminate")
        self.assertBoshHeaders(end, ctype)

    def test_C124_5_08_request_content_type_is_ignored(self):
        for ctype in ("application/x-www-form-urlencoded", "text/plain"):
            s = self.new_session()
            c = s.conn()
            resp = c.request("POST", "/http-bind", s.creation_body(), [("Content-Type", ctype)])
            self.assertEqual(resp.status, 200)
            self.assertIsNotNone(resp.xml().get("sid"), resp.body)
            self.assertBoshHeaders(resp)

    def test_C206_4_02_late_features_answer_the_creation_request(self):
        self.xmpp.features_delay = 0.5
        s = self.new_session()
        resp = s.create()
        # The creation reply waits for the features instead of coming back
        # without them (boshd's design; C206-4-02 allows either).
        self.assertIsNotNone(resp.xml().find("{%s}features" % STREAMS_NS), resp.body)
        self.assertLess(resp.elapsed, 5)
