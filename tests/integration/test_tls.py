"""TLS to the XMPP server (XEP-0124 §19.2, C124-19.2-01; XEP-0206 C206-2-06):
STARTTLS and direct TLS, with and without certificate verification."""

from boshclient.boshd import make_config, route
from boshclient.fake_xmpp import STREAMS_NS, TLS_NS, make_self_signed_cert
from harness import BoshTestCase, message


class StartTlsTest(BoshTestCase):
    fake = {"starttls": "offer"}

    def routes(self):
        return [route("example.com", self.xmpp.port, tls="starttls", tls_verify=False)]

    def with_route(self, **tls):
        return self.launch(make_config([route("example.com", self.xmpp.port, tls="starttls", **tls)]))

    def termination_reason(self, boshd):
        found = boshd.wait_log("session.terminated", condition="remote-connection-failed")
        return found[0][1].get("reason", "")

    def check_tls_session(self, boshd):
        s = self.new_session(boshd=boshd)
        resp = s.create()
        conn = self.xmpp.conns[-1]
        # The server saw <starttls/> in the clear, upgraded, then a new header over TLS.
        conn.wait_element("{%s}starttls" % TLS_NS)
        self.assertTrue(conn.wait_tls(), "TLS handshake failed: %s" % conn.tls_error)
        headers = conn.wait_headers(2)
        kinds = conn.kinds()
        self.assertEqual(kinds[:4], ["header", "element", "tls", "header"], kinds)
        self.assertEqual(headers[1].get("to"), "example.com")
        # Nothing but <starttls/> went out before TLS (no credentials, C124-19.2-01).
        self.assertEqual(len(conn.elements()), 1)
        # C206-2-06: the client's features carry no <starttls/>.
        root = resp.xml()
        features = root.find("{%s}features" % STREAMS_NS)
        self.assertIsNotNone(features, resp.body)
        self.assertIsNone(features.find("{%s}starttls" % TLS_NS), resp.body)
        self.assertNotIn(b"starttls", resp.body)
        self.assertIsNotNone(features.find("{urn:ietf:params:xml:ns:xmpp-sasl}mechanisms"))
        # Payloads cross the encrypted link both ways.
        c, _ = s.send(message("over-tls"))
        conn.wait_data("over-tls")
        conn.push(message("back-over-tls"))
        self.assertHasStanza(c.read_response(), "message")
        return s, conn

    def test_C124_19_2_01_starttls_without_verification(self):
        self.check_tls_session(self.boshd)

    def test_C124_13_01_terminate_payload_and_close_reach_the_server_over_starttls(self):
        # The last bytes of a STARTTLS link sit below the TLS filter when the
        # link is closed; they must still be written before the socket goes.
        s, conn = self.check_tls_session(self.boshd)
        resp = s.request("<presence xmlns='jabber:client' type='unavailable'/>", type="terminate")
        self.assertEqual(resp.xml().get("type"), "terminate", resp.body)
        conn.wait_data("type='unavailable'")
        conn.wait_data("</stream:stream>")

    def test_starttls_verified_with_ca_file_and_server_name(self):
        cert, _ = make_self_signed_cert()
        b = self.with_route(tls_verify=True, tls_ca_file=cert, tls_server_name="example.com")
        self.check_tls_session(b)

    def test_starttls_wrong_server_name_remote_connection_failed(self):
        cert, _ = make_self_signed_cert()
        b = self.with_route(tls_verify=True, tls_ca_file=cert, tls_server_name="wrong.example")
        s = self.new_session(boshd=b)
        resp = s.conn().post("/http-bind", s.creation_body())
        self.assertTerminate(resp, "remote-connection-failed")
        self.assertIn("hostname mismatch", self.termination_reason(b))
        conn = self.xmpp.conns[-1]
        self.assertFalse(conn.tls_ready and conn.count("<stream:stream") > 0,
                         "boshd talked XMPP over an unverified link")
        # Nothing after <starttls/> reached the server in the clear or over TLS.
        self.assertEqual([e.tag for _, e in conn.elements()], ["{%s}starttls" % TLS_NS])

    def test_starttls_untrusted_certificate_remote_connection_failed(self):
        # Verification on, and the self-signed certificate is not in the
        # trust store boshd uses (a CA file holding another certificate).
        other, _ = make_self_signed_cert("other.example")
        b = self.with_route(tls_verify=True, tls_ca_file=other, tls_server_name="example.com")
        s = self.new_session(boshd=b)
        resp = s.conn().post("/http-bind", s.creation_body())
        self.assertTerminate(resp, "remote-connection-failed")
        self.assertIn("certificate verification failed", self.termination_reason(b))

    def test_starttls_required_but_not_offered_remote_connection_failed(self):
        self.xmpp.starttls = "none"
        s = self.new_session()
        resp = s.conn().post("/http-bind", s.creation_body())
        self.assertTerminate(resp, "remote-connection-failed")
        conn = self.xmpp.conns[-1]
        self.assertEqual(conn.elements(), [], "boshd sent stanzas over a link without TLS")

    def test_starttls_refused_by_server_remote_connection_failed(self):
        self.xmpp.starttls = "fail"
        s = self.new_session()
        resp = s.conn().post("/http-bind", s.creation_body())
        self.assertTerminate(resp, "remote-connection-failed")


class DirectTlsTest(BoshTestCase):
    """A route with tls = "direct": TLS from the first byte (XEP-0368 style)."""
    fake = {"direct_tls": True}

    def routes(self):
        cert, _ = make_self_signed_cert()
        return [route("example.com", self.xmpp.port, tls="direct", tls_verify=True,
                      tls_ca_file=cert, tls_server_name="example.com")]

    def test_C124_19_2_01_direct_tls_verified(self):
        s = self.new_session()
        resp = s.create()
        conn = self.xmpp.conns[-1]
        self.assertTrue(conn.wait_tls(), "TLS handshake failed: %s" % conn.tls_error)
        # The very first stream header already travelled over TLS; no STARTTLS.
        self.assertEqual(conn.kinds()[0], "tls")
        self.assertEqual(conn.count("starttls"), 0)
        self.assertIsNotNone(resp.xml().find("{%s}features" % STREAMS_NS), resp.body)
        c, _ = s.send(message("direct-tls"))
        conn.wait_data("direct-tls")
        conn.push(message("back-direct"))
        self.assertHasStanza(c.read_response(), "message")

    def test_direct_tls_untrusted_certificate_remote_connection_failed(self):
        other, _ = make_self_signed_cert("other.example")
        b = self.launch(make_config([route("example.com", self.xmpp.port, tls="direct",
                                           tls_verify=True, tls_ca_file=other)]))
        s = self.new_session(boshd=b)
        self.assertTerminate(s.conn().post("/http-bind", s.creation_body()),
                             "remote-connection-failed")
        reason = b.wait_log("session.terminated", condition="remote-connection-failed")[0][1]
        self.assertIn("certificate verification failed", reason.get("reason", ""))
