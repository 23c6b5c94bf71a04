"""XMPP over BOSH against a scripted server: SASL and stream restart, pushes
to held requests, stream errors and lost backend links (XEP-0206; XEP-0124
§8, §17.2)."""

import re

from boshclient.boshd import make_config, route
from boshclient.fake_xmpp import closed_port
from harness import BoshTestCase, CLIENT_NS, STREAMS_NS, XBOSH_NS, message

SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl"
BIND_NS = "urn:ietf:params:xml:ns:xmpp-bind"
STREAM_ERRORS_NS = "urn:ietf:params:xml:ns:xmpp-streams"
AUTH = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGZvbwBiYXI=</auth>"
BIND = ("<iq type='set' id='bind_1' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
        "<resource>httpclient</resource></bind></iq>")


def body_start_tag(resp):
    return re.match(rb"<body\b[^>]*>", resp.body).group(0).replace(b'"', b"'")


class SaslAndRestartTest(BoshTestCase):

    def login(self, restart_value):
        s, conn = self.open_session()
        # C206-2-05: SASL elements travel unchanged in both directions.
        r1 = s.request(AUTH)
        raw, auth = conn.wait_element("{%s}auth" % SASL_NS)
        self.assertEqual(auth.get("mechanism"), "PLAIN")
        self.assertEqual(auth.text, "AGZvbwBiYXI=")
        self.assertIsNotNone(r1.xml().find("{%s}success" % SASL_NS), r1.body)
        # C206-5-02: the restart request; C206-5-03: a stanza inside it is ignored.
        r2 = s.request(message("not-forwarded-restart-payload"), to="example.com",
                       **{"xml:lang": "en", "xmlns:xmpp": XBOSH_NS, "xmpp:restart": restart_value})
        return s, conn, r2

    def check_restart(self, s, conn, r2):
        headers = conn.wait_headers(2)
        # C206-5-05: the new header comes on the SAME TCP connection ...
        self.assertEqual(len(self.xmpp.conns), 1, "boshd opened a new backend connection")
        # ... C206-5-04: with no </stream:stream> before it, the connection still up.
        self.assertEqual(conn.count("</stream:stream>"), 0, bytes(conn.data))
        self.assertFalse(conn.eof)
        kinds = conn.kinds()
        self.assertEqual(kinds[:3], ["header", "element", "header"], kinds)
        self.assertTrue(conn.events[2][2], "second header did not arrive while the stream was open")
        # C206-5-07: built from the restart request's to / xml:lang.
        self.assertEqual(headers[1].get("to"), "example.com")
        self.assertEqual(headers[1].get("xml:lang"), "en")
        self.assertEqual(headers[1].get("version"), "1.0")
        # C206-5-06: the new features reach the client, xmlns:stream on <body>.
        root = r2.xml()
        features = root.find("{%s}features" % STREAMS_NS)
        self.assertIsNotNone(features, r2.body)
        self.assertIsNotNone(features.find("{%s}bind" % BIND_NS), r2.body)
        self.assertIn(b"xmlns:stream='http://etherx.jabber.org/streams'", body_start_tag(r2))
        # Resource binding over the new stream.
        r3 = s.request(BIND)
        iq = self.assertHasStanza(r3, "iq")
        self.assertEqual(iq.get("type"), "result")
        self.assertEqual(iq.findtext("{%s}bind/{%s}jid" % (BIND_NS, BIND_NS)),
                         "user@example.com/httpclient")
        # C206-5-03: the stanza put inside the restart body never reached the server
        # (the bind iq, sent later, did).
        self.assertEqual(conn.count("not-forwarded-restart-payload"), 0)

    def test_C206_5_04_05_06_restart_true_same_connection_no_close_tag(self):
        s, conn, r2 = self.login("true")
        self.check_restart(s, conn, r2)

    def test_C206_5_02_restart_one_is_a_restart(self):
        s, conn, r2 = self.login("1")
        self.check_restart(s, conn, r2)

    def test_C206_5_10_resent_restart_rid_replays_without_second_restart(self):
        s, conn, r2 = self.login("true")
        conn.wait_headers(2)
        rid = s.rid
        again = s.request(rid=rid, to="example.com",
                          **{"xml:lang": "en", "xmlns:xmpp": XBOSH_NS, "xmpp:restart": "true"})
        self.assertEqual(again.body, r2.body)
        # Prove the link is still in order, then count headers.
        s.request(BIND)
        self.assertEqual(len(conn.headers()), 2)


class PushTest(BoshTestCase):

    def test_C124_8_09_C206_2_04_push_reaches_held_request_promptly(self):
        s, conn = self.open_session(wait=10)
        n = self.requests_seen()
        c, _ = s.send()
        self.wait_requests_seen(n + 1)
        # A stanza without xmlns inherits jabber:client from the stream.
        conn.push("<message from='a@example.com/x' to='user@example.com/r' type='chat'>"
                  "<body>pushed</body></message>")
        resp = c.read_response(timeout=3)
        self.assertLess(resp.elapsed, 2.0, "push took %.2f s with wait=10" % resp.elapsed)
        msg = self.assertHasStanza(resp, "message", CLIENT_NS)
        self.assertEqual(msg.findtext("{%s}body" % CLIENT_NS), "pushed")
        self.assertIn(b"<message xmlns='jabber:client'", resp.body.replace(b'"', b"'"))

    def test_C124_8_10_push_while_nothing_held_is_delivered_on_next_request(self):
        s, conn = self.open_session(wait=10)
        conn.push(message("queued"))
        # Nothing is held: boshd queues the stanza. The next request must be
        # answered at once with it (if the request happens to overtake the
        # stanza, the stanza answers it at once all the same).
        resp = s.request(timeout=3)
        self.assertHasStanza(resp, "message")
        self.assertLess(resp.elapsed, 2.0)

    def test_C124_6_08_several_payload_namespaces_in_order(self):
        s, conn = self.open_session()
        resp_conn, _ = s.send(message("first") + "<x xmlns='urn:test'>second</x>")
        raw, x = conn.wait_element("{urn:test}x")
        data = bytes(conn.data)
        self.assertLess(data.index(b"first"), data.index(b"second"))
        conn.push(message("back"))
        self.assertHasStanza(resp_conn.read_response(), "message")


class StreamErrorTest(BoshTestCase):

    def test_C206_6_01_02_03_stream_error_whole_element_remote_stream_error(self):
        s, conn = self.open_session()
        n = self.requests_seen()
        c, _ = s.send()
        self.wait_requests_seen(n + 1)
        conn.push(message("before-error") +
                  "<stream:error><xml-not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                  "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>diag</text>"
                  "<escape-your-data xmlns='application-ns'/></stream:error>")
        resp = c.read_response()
        root = self.assertTerminate(resp, "remote-stream-error")
        self.assertIn(b"xmlns:stream='http://etherx.jabber.org/streams'", body_start_tag(resp))
        kids = list(root)
        self.assertEqual([k.tag for k in kids],
                         ["{%s}message" % CLIENT_NS, "{%s}error" % STREAMS_NS], resp.body)
        err = kids[1]
        self.assertEqual([k.tag for k in err],
                         ["{%s}xml-not-well-formed" % STREAM_ERRORS_NS,
                          "{%s}text" % STREAM_ERRORS_NS, "{application-ns}escape-your-data"])
        text = err.find("{%s}text" % STREAM_ERRORS_NS)
        self.assertEqual(text.get("{http://www.w3.org/XML/1998/namespace}lang"), "en")
        self.assertEqual(text.text, "diag")
        # The session is over.
        self.assertTerminate(s.request(), "item-not-found")
        conn.wait_stream_closed()

    def test_C206_6_05_stream_error_condition_not_mapped(self):
        s, conn = self.open_session()
        n = self.requests_seen()
        c, _ = s.send()
        self.wait_requests_seen(n + 1)
        conn.send_stream_error("<host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>")
        root = self.assertTerminate(c.read_response(), "remote-stream-error")
        err = root.find("{%s}error" % STREAMS_NS)
        self.assertIsNotNone(err.find("{%s}host-unknown" % STREAM_ERRORS_NS))

    def test_C206_6_04_stream_error_while_nothing_held_goes_to_next_request(self):
        s, conn = self.open_session()
        conn.send_stream_error("<conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>")
        conn.wait_stream_closed()   # boshd reacted to the error
        resp = s.request(timeout=3)
        root = self.assertTerminate(resp, "remote-stream-error")
        self.assertIsNotNone(root.find("{%s}error" % STREAMS_NS), resp.body)
        self.assertLess(resp.elapsed, 2.0)


class BackendFailureTest(BoshTestCase):

    def test_C124_17_2_12a_closed_backend_port_remote_connection_failed(self):
        port = closed_port()
        b = self.launch(self.make_config_with(route("example.com", port)))
        s = self.new_session(boshd=b)
        resp = s.conn().post("/http-bind", s.creation_body())
        self.assertTerminate(resp, "remote-connection-failed")
        self.assertBoshHeaders(resp)

    def make_config_with(self, *routes):
        return make_config(list(routes))

    def test_C124_17_2_12b_backend_closes_tcp_mid_session(self):
        s, conn = self.open_session()
        n = self.requests_seen()
        c, _ = s.send()
        self.wait_requests_seen(n + 1)
        conn.close()
        self.assertTerminate(c.read_response(), "remote-connection-failed")
        self.assertTerminate(s.request(), "item-not-found")

    def test_C124_17_1_03_legacy_session_remote_connection_failed_is_http_200(self):
        s, conn = self.open_session(ver=None)
        n = self.requests_seen()
        c, _ = s.send()
        self.wait_requests_seen(n + 1)
        conn.close()
        self.assertTerminate(c.read_response(), "remote-connection-failed", status=200)

    def test_backend_silent_after_connect_times_out(self):
        # backend.timeout: no stream features in time -> remote-connection-failed.
        self.xmpp.respond_header = False
        b = self.launch(self.make_config_with_timeout())
        s = self.new_session(boshd=b)
        resp = s.conn().post("/http-bind", s.creation_body(), timeout=6)
        self.assertTerminate(resp, "remote-connection-failed")
        self.assertGreaterEqual(resp.elapsed, 0.8)

    def make_config_with_timeout(self):
        return make_config(self.routes(), backend={"timeout": 1})


class FeatureFilterTest(BoshTestCase):
    fake = {"features": "<stream:features>"
                        "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms>"
                        "<compression xmlns='http://jabber.org/features/compress'><method>zlib</method></compression>"
                        "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
                        "</stream:features>"}

    def test_C206_4_06_C206_2_06_compression_and_starttls_features_stripped(self):
        # tls = "none": the server offers optional STARTTLS and compression;
        # neither reaches the client.
        s = self.new_session()
        resp = s.create()
        features = resp.xml().find("{%s}features" % STREAMS_NS)
        self.assertIsNotNone(features, resp.body)
        self.assertIsNotNone(features.find("{%s}mechanisms" % SASL_NS))
        self.assertNotIn(b"compress", resp.body)
        self.assertNotIn(b"starttls", resp.body)

    def test_C206_4_05_authid_is_the_server_stream_id(self):
        s = self.new_session()
        root = s.create().xml()
        conn = self.xmpp.wait_connection(0)
        self.assertEqual(root.get("authid"), "fake-0-1")

    def test_C206_2_06_client_starttls_is_not_forwarded(self):
        # TLS negotiation never travels over BOSH: a client's <starttls/> must
        # not reach the server (which would answer <proceed/> and wait for a
        # TLS handshake nobody starts).
        s, conn = self.open_session()
        c, _ = s.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        # Then an ordinary stanza: once it is there, the starttls would be too.
        c2, _ = s.send(message("after-starttls"))
        c.read_response()
        try:
            conn.wait_data("after-starttls", timeout=2)
        except AssertionError:
            pass   # the session may have ended instead: fine, as long as nothing leaked
        self.assertEqual(conn.count("xmpp-tls"), 0,
                         "boshd forwarded the client's <starttls/>: %r" % bytes(conn.data)[-200:])


class BackendLossWhileIdleTest(BoshTestCase):

    def test_backend_closes_while_nothing_held_next_request_learns_at_once(self):
        s, conn = self.open_session()
        conn.close()
        self.boshd.wait_log("session.terminated", condition="remote-connection-failed", timeout=3)
        resp = s.request(timeout=2)
        self.assertTerminate(resp, "remote-connection-failed")
        self.assertLess(resp.elapsed, 1.5)
        self.assertTerminate(s.request(), "item-not-found")

    def test_backend_ends_stream_gracefully_mid_session(self):
        s, conn = self.open_session()
        n = self.requests_seen()
        c, _ = s.send()
        self.wait_requests_seen(n + 1)
        conn.push("</stream:stream>")
        self.assertTerminate(c.read_response(), "remote-connection-failed")
