"""Bad input: every malformed or unacceptable request is answered, logged
exactly once (request.rejected or session.terminated), forwards nothing, and
leaves boshd serving a parallel healthy session (XEP-0124 §6, §14, §17)."""

import itertools

from harness import BoshTestCase, body_xml, message

HTTPBIND = "http://jabber.org/protocol/httpbind"
_ping = itertools.count()


class BadInputBase(BoshTestCase):
    http = {"max_body_size": 1024}

    def setUp(self):
        super().setUp()
        self.healthy, self.healthy_conn = self.open_session()

    def check_healthy(self):
        """The parallel session still carries a payload both ways."""
        tag = "healthy-%d" % next(_ping)
        c, _ = self.healthy.send(message(tag))
        self.healthy_conn.wait_data(tag)
        self.healthy_conn.push(message("re-" + tag))
        self.assertHasStanza(c.read_response(), "message")
        self.assertTrue(self.boshd.alive())
        # Sent after the bad request was answered: its log line comes after
        # any line about the bad request (assertLoggedOnce relies on it).
        self.log_barrier(c)

    def post_raw(self, body, **kw):
        return self.client().post("/http-bind", body, **kw)

    def assertBadInput(self, resp, condition, statuses=(200,)):
        self.assertIn(resp.status, statuses, resp)
        root = resp.xml()
        self.assertEqual(root.get("type"), "terminate", resp.body)
        self.assertEqual(root.get("condition"), condition, resp.body)


class UnparseableBodyTest(BadInputBase):
    """No session can be named from these bodies, so whether the client is a
    legacy one (no `ver`) cannot be known: boshd answers as to a current
    client, HTTP 200 with bad-request (C124-17.1-01, C124-17.2-04)."""

    def reject(self, body, forbidden=None):
        before = self.rejection_count()
        resp = self.post_raw(body)
        self.assertBadInput(resp, "bad-request", statuses=(200,))
        self.check_healthy()
        self.assertLoggedOnce(before)
        if forbidden:
            self.assertEqual(self.healthy_conn.count(forbidden), 0, "forwarded a rejected payload")
        return resp

    def sid(self):
        return self.healthy.sid

    def test_C124_17_2_04_malformed_xml(self):
        self.reject("<body rid='5' sid='%s' xmlns='%s'><message>unclosed-payload</body>"
                    % (self.sid(), HTTPBIND), forbidden="unclosed-payload")

    def test_C124_17_2_04_not_xml_at_all(self):
        self.reject("hello")

    def test_C124_17_2_04_root_other_than_body(self):
        self.reject("<foo rid='5' xmlns='%s'/>" % HTTPBIND)

    def test_C124_17_2_04_wrong_namespace(self):
        self.reject("<body rid='5' to='example.com' wait='10' hold='1' ver='1.11' xmlns='urn:wrong'/>")

    def test_C124_17_2_04_no_namespace(self):
        self.reject("<body rid='5' to='example.com' wait='10' hold='1' ver='1.11'/>")

    def test_C124_6_05_doctype_with_entity(self):
        self.reject("<!DOCTYPE body [<!ENTITY x 'entity-payload'>]>"
                    "<body rid='%d' sid='%s' xmlns='%s'><message xmlns='jabber:client'><body>&x;</body>"
                    "</message></body>" % (self.healthy.rid + 1, self.sid(), HTTPBIND),
                    forbidden="entity-payload")

    def test_C124_6_05_billion_laughs(self):
        lol = "<!DOCTYPE body [<!ENTITY a 'lol'>" + "".join(
            "<!ENTITY %s '%s'>" % (chr(98 + i), ("&%s;" % chr(97 + i)) * 10) for i in range(9)) + "]>"
        self.reject(lol + "<body rid='5' xmlns='%s'>&j;</body>" % HTTPBIND)

    def test_C124_6_06_processing_instruction(self):
        self.reject("<body rid='%d' sid='%s' xmlns='%s'><?pi pi-payload?></body>"
                    % (self.healthy.rid + 1, self.sid(), HTTPBIND), forbidden="pi-payload")

    def test_C124_6_06_comment(self):
        self.reject("<body rid='%d' sid='%s' xmlns='%s'><!-- comment-payload --></body>"
                    % (self.healthy.rid + 1, self.sid(), HTTPBIND), forbidden="comment-payload")

    def test_C124_6_07_character_data_in_body(self):
        self.reject("<body rid='%d' sid='%s' xmlns='%s'>text-payload</body>"
                    % (self.healthy.rid + 1, self.sid(), HTTPBIND), forbidden="text-payload")

    def test_xml_nesting_over_limit(self):
        deep = "<a>" * 40 + "</a>" * 40
        self.reject("<body rid='%d' sid='%s' xmlns='%s'><x xmlns='urn:deep'>%s</x></body>"
                    % (self.healthy.rid + 1, self.sid(), HTTPBIND, deep))


class BodySizeTest(BadInputBase):

    def test_body_over_max_body_size_is_413(self):
        before = self.rejection_count()
        big = message("x" * 1500)
        resp = self.post_raw(self.healthy.body(big))
        self.assertEqual(resp.status, 413, resp)
        self.assertEqual(resp.xml().get("type"), "terminate", resp.body)
        self.assertEqual(resp.xml().get("condition"), "policy-violation", resp.body)
        self.check_healthy()
        self.assertLoggedOnce(before)
        self.assertEqual(self.healthy_conn.count("x" * 1500), 0)

    def test_body_far_over_max_body_size_refused_by_transport(self):
        # Beyond 4 x max_body_size evhttp refuses the request itself.
        c = self.client()
        c.send("POST", "/http-bind", self.healthy.body(message("y" * 8000)),
               [("Content-Type", "text/xml; charset=utf-8")])
        try:
            resp = c.read_response(timeout=3)
            self.assertEqual(resp.status, 413, resp)
        except AssertionError:
            # A close without a response is acceptable for a refused upload.
            self.assertTrue(c.eof, "neither a 413 nor a close")
        self.check_healthy()


class SessionErrorTest(BadInputBase):
    """Requests that name a session but break its rules."""

    def victim(self, **kw):
        return self.open_session(**kw)

    def test_C124_6_09_missing_rid(self):
        s, conn = self.victim()
        before = self.rejection_count()
        resp = self.post_raw(body_xml({"sid": s.sid}, message("no-rid-payload")))
        self.assertBadInput(resp, "bad-request")
        self.check_healthy()
        self.assertLoggedOnce(before)
        self.assertEqual(conn.count("no-rid-payload"), 0)
        conn.wait_stream_closed()
        self.assertBadInput(s.request(), "item-not-found")

    def test_C124_6_10_non_numeric_rid(self):
        s, conn = self.victim()
        before = self.rejection_count()
        resp = self.post_raw(body_xml({"rid": "abc", "sid": s.sid}, message("abc-payload")))
        self.assertBadInput(resp, "bad-request")
        self.check_healthy()
        self.assertLoggedOnce(before)
        self.assertEqual(conn.count("abc-payload"), 0)

    def test_C124_17_2_09_unknown_sid(self):
        before = self.rejection_count()
        resp = self.post_raw(body_xml({"rid": 1001, "sid": "0123456789abcdef0123456789abcdef"}))
        self.assertBadInput(resp, "item-not-found", statuses=(200, 404))
        self.check_healthy()
        self.assertLoggedOnce(before)

    def test_C124_7_1_01_body_with_unknown_sid_never_creates(self):
        before = self.rejection_count()
        resp = self.post_raw(body_xml({"rid": 1, "sid": "nope", "to": "example.com", "wait": 10,
                                       "hold": 1, "ver": "1.11"}))
        self.assertBadInput(resp, "item-not-found", statuses=(200, 404))
        self.check_healthy()
        self.assertLoggedOnce(before)
        self.assertEqual(len(self.xmpp.conns), 1)   # only the healthy session's

    def test_C124_14_2_02_rid_beyond_window_and_other_request(self):
        s, conn = self.victim(hold=1)
        n = self.requests_seen()
        held, _ = s.send()
        self.wait_requests_seen(n + 1)
        before = self.rejection_count()
        resp = s.request(message("beyond-payload"), rid=s.rid + 5)
        self.assertBadInput(resp, "item-not-found")
        # C124-17.2-10: the other open request learns at once.
        self.assertBadInput(held.read_response(timeout=2), "other-request")
        self.check_healthy()
        self.assertLoggedOnce(before)
        self.assertEqual(conn.count("beyond-payload"), 0)
        conn.wait_stream_closed()
        self.assertBadInput(s.request(), "item-not-found")

    def test_C124_14_3_07_too_high_and_too_low_look_alike(self):
        a, _ = self.victim()
        b, b_conn = self.victim()
        high = a.request(rid=a.rid + 10)
        for i in range(3):   # push the creation reply out of the cache (depth = requests = 2)
            c, _ = b.send(message("fill-%d" % i))
            b_conn.wait_data("fill-%d" % i)
            b_conn.push(message("ack-%d" % i))
            self.assertHasStanza(c.read_response(), "message")
        low = b.request(rid=1000)
        self.assertBadInput(low, "item-not-found")
        self.assertEqual((high.status, high.body), (low.status, low.body))
        self.assertEqual(high.header("Content-Type"), low.header("Content-Type"))

    def test_request_after_terminate(self):
        s, conn = self.victim()
        s.request(type="terminate")
        # The termination line may still be in flight from boshd's stderr.
        self.boshd.wait_log("session.terminated", sid=s.sid)
        before = self.rejection_count()
        self.assertBadInput(s.request(), "item-not-found")
        self.check_healthy()
        self.assertLoggedOnce(before)

    def test_C124_17_2_06_unknown_domain_host_unknown(self):
        s = self.new_session(to="unknown.invalid")
        before = self.rejection_count()
        resp = s.conn().post("/http-bind", s.creation_body())
        self.assertBadInput(resp, "host-unknown")
        self.check_healthy()
        self.assertLoggedOnce(before)
        self.assertEqual(len(self.xmpp.conns), 1)

    def test_C124_17_2_07_missing_to_improper_addressing(self):
        s = self.new_session()
        before = self.rejection_count()
        resp = s.conn().post("/http-bind", body_xml({"rid": 10, "wait": 10, "hold": 1,
                                                     "ver": "1.11"}))
        self.assertBadInput(resp, "improper-addressing")
        self.check_healthy()
        self.assertLoggedOnce(before)

    def test_C124_17_2_07_empty_to_improper_addressing(self):
        s = self.new_session()
        before = self.rejection_count()
        resp = s.conn().post("/http-bind", s.creation_body(to=""))
        self.assertBadInput(resp, "improper-addressing")
        self.check_healthy()
        self.assertLoggedOnce(before)

    def test_C124_6_10_creation_with_bad_attribute_values(self):
        for attrs in ({"rid": "abc"}, {"rid": "0"}, {"wait": "x"}, {"hold": "-1"}):
            with self.subTest(attrs=attrs):
                s = self.new_session()
                before = self.rejection_count()
                resp = s.conn().post("/http-bind", s.creation_body(**attrs))
                self.assertBadInput(resp, "bad-request")
                self.check_healthy()
                self.assertLoggedOnce(before)
        self.assertEqual(len(self.xmpp.conns), 1)


class LegacyClientTest(BadInputBase):
    """C124-17.1-02: a session created without `ver` gets HTTP 400/403/404 for
    bad-request / policy-violation / item-not-found."""
    session = {"max_hold": 2}  # hold=2, for four simultaneous requests below

    def legacy(self, **kw):
        return self.open_session(ver=None, **kw)

    def test_C124_17_1_02_item_not_found_is_404(self):
        s, conn = self.legacy()
        self.assertIsNone(s.creation.xml().get("ver"))
        before = self.rejection_count()
        resp = s.request(rid=s.rid + 5)
        self.assertBadInput(resp, "item-not-found", statuses=(404,))
        self.check_healthy()
        self.assertLoggedOnce(before)

    def test_C124_17_1_02_bad_request_is_400(self):
        s, conn = self.legacy()
        before = self.rejection_count()
        resp = self.post_raw(body_xml({"rid": "abc", "sid": s.sid}))
        self.assertBadInput(resp, "bad-request", statuses=(400,))
        self.check_healthy()
        self.assertLoggedOnce(before)

    def test_C124_17_1_02_policy_violation_is_403(self):
        # hold=2 gives requests=3: rid+1 and rid+2 held, rid+4 parked, rid+5 is
        # a fourth simultaneous request (C124-11-01).
        s, conn = self.legacy(hold=2)
        r0 = s.rid
        n = self.requests_seen()
        others = [s.send(rid=r0 + k)[0] for k in (1, 2, 4)]
        self.wait_requests_seen(n + 3)
        before = self.rejection_count()
        resp = s.request(rid=r0 + 5)
        self.assertBadInput(resp, "policy-violation", statuses=(403,))
        for c in others:
            self.assertBadInput(c.read_response(), "other-request")
        self.check_healthy()
        self.assertLoggedOnce(before)

    def test_C124_17_1_02_legacy_creation_bad_request_is_400(self):
        s = self.new_session()
        before = self.rejection_count()
        resp = s.conn().post("/http-bind", s.creation_body(ver=None, wait="x"))
        self.assertBadInput(resp, "bad-request", statuses=(400,))
        self.check_healthy()
        self.assertLoggedOnce(before)

    def test_C124_17_1_01_versioned_session_gets_200(self):
        s, conn = self.open_session()
        resp = s.request(rid=s.rid + 5)
        self.assertBadInput(resp, "item-not-found", statuses=(200,))
