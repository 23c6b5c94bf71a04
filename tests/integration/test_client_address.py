"""The client address behind a proxy and the per-client limits, over the wire
(README: "The client address behind a proxy", "Per-client limits"):
`http.trusted_proxies`, Forwarded / X-Forwarded-For from trusted and untrusted
peers, `ip=` on the log, `session.max_sessions_per_ip` and
`session.max_new_sessions_per_ip`. Other clients are other loopback source
addresses (127.0.0.2, ...: Linux routes all of 127/8 on lo)."""


from boshclient.httpclient import HttpClient
from harness import BoshTestCase, PATH


class ClientTestCase(BoshTestCase):
    def post_creation(self, source="127.0.0.1", headers=None, ver="1.11"):
        """A creation request from |source| with extra |headers|; its response."""
        s = self.new_session()
        conn = HttpClient(self.boshd.port, source=source)
        s.conns.append(conn)
        return conn.post(PATH, s.creation_body(ver=ver), headers)

    def assertCreated(self, resp):
        self.assertEqual(resp.status, 200, resp)
        self.assertIsNone(resp.xml().get("type"), resp.body)
        self.assertTrue(resp.xml().get("sid"), resp.body)


class TrustedProxyTest(ClientTestCase):
    http = {"trusted_proxies": ["127.0.0.1/32", "::1"]}
    session = {"max_new_sessions_per_ip": 2}

    def test_trusted_peer_forwarded_client_is_logged_and_limited(self):
        xff = [("X-Forwarded-For", "203.0.113.10")]
        for _ in range(2):
            self.assertCreated(self.post_creation(headers=xff))
        self.assertEqual(len(self.boshd.wait_log("session.created", count=2, ip="203.0.113.10")), 2)
        links = len(self.xmpp.conns)
        # Over its limit: policy-violation, and no connection to the server.
        self.assertTerminate(self.post_creation(headers=xff), "policy-violation")
        line = self.boshd.wait_log("session.refused", ip="203.0.113.10")[0][1]
        self.assertEqual(line["limit"], "session.max_new_sessions_per_ip")
        self.assertEqual(len(self.xmpp.conns), links)
        # Another forwarded client through the same proxy is unaffected ...
        self.assertCreated(self.post_creation(headers=[("X-Forwarded-For", "203.0.113.11")]))
        # ... and so is the proxy's own address.
        self.assertCreated(self.post_creation())
        self.assertEqual(len(self.boshd.wait_log("session.created", ip="127.0.0.1")), 1)

    def test_forwarded_header_wins_and_names_the_client(self):
        resp = self.post_creation(headers=[
            ("Forwarded", 'for="[2001:db8::5]:4711";proto=https'),
            ("X-Forwarded-For", "203.0.113.99")])
        self.assertCreated(resp)
        self.boshd.wait_log("session.created", ip="2001:db8::5")
        self.assertEqual(self.boshd.count("session.created", ip="203.0.113.99"), 0)

    def test_right_most_untrusted_hop_is_the_client(self):
        # What the client wrote itself, then what the proxies appended.
        resp = self.post_creation(headers=[("X-Forwarded-For", "1.1.1.1, 203.0.113.20, 127.0.0.1")])
        self.assertCreated(resp)
        self.boshd.wait_log("session.created", ip="203.0.113.20")

    def test_malformed_header_from_trusted_proxy_falls_back_to_peer(self):
        resp = self.post_creation(headers=[("X-Forwarded-For", "not-an-address")])
        self.assertCreated(resp)  # never a 5xx; the request goes on from the peer
        self.boshd.wait_log("session.created", ip="127.0.0.1")
        line = self.boshd.wait_log("http.forwarded_invalid")[0][1]
        self.assertEqual(line["ip"], "127.0.0.1")
        self.assertEqual(self.boshd.count("http.forwarded_invalid"), 1)

    def test_untrusted_peer_header_is_ignored(self):
        # 127.0.0.2 is not in trusted_proxies: its header is its own word.
        xff = [("X-Forwarded-For", "203.0.113.30")]
        for _ in range(2):
            self.assertCreated(self.post_creation(source="127.0.0.2", headers=xff))
        self.assertEqual(len(self.boshd.wait_log("session.created", count=2, ip="127.0.0.2")), 2)
        self.assertEqual(self.boshd.count("session.created", ip="203.0.113.30"), 0)
        # Limited as itself, whatever it claims to be.
        self.assertTerminate(
            self.post_creation(source="127.0.0.2", headers=[("X-Forwarded-For", "203.0.113.31")]),
            "policy-violation")
        self.boshd.wait_log("session.refused", ip="127.0.0.2")


class PerIpLimitTest(ClientTestCase):
    session = {"max_sessions_per_ip": 2, "max_new_sessions_per_ip": 60}

    def test_max_sessions_per_ip_at_over_and_another_address(self):
        a, _ = self.open_session()
        self.open_session()
        links = len(self.xmpp.conns)
        resp = self.post_creation()
        self.assertTerminate(resp, "policy-violation")
        self.assertEqual(len(self.xmpp.conns), links)  # no backend connection opened
        line = self.boshd.wait_log("session.refused", ip="127.0.0.1")[0][1]
        self.assertEqual(line["limit"], "session.max_sessions_per_ip")
        # Another address is unaffected.
        self.assertCreated(self.post_creation(source="127.0.0.3"))
        # A session that ends frees its slot.
        a.request(type="terminate")
        self.assertCreated(self.post_creation())

    def test_legacy_client_over_the_limit_gets_403(self):
        self.open_session()
        self.open_session()
        resp = self.post_creation(ver=None)
        self.assertTerminate(resp, "policy-violation", status=403)

    def test_refusals_logged_once_per_minute(self):
        self.open_session()
        self.open_session()
        for _ in range(5):
            self.assertTerminate(self.post_creation(), "policy-violation")
        # Synchronise on the last request, then count.
        self.wait_requests_seen(7)
        self.assertEqual(self.boshd.count("session.refused"), 1)


class RateLimitTest(ClientTestCase):
    session = {"max_new_sessions_per_ip": 3}

    def test_max_new_sessions_per_ip_at_over_and_another_address(self):
        for _ in range(3):
            self.assertCreated(self.post_creation())
        links = len(self.xmpp.conns)
        self.assertTerminate(self.post_creation(), "policy-violation")
        self.assertEqual(len(self.xmpp.conns), links)
        self.assertCreated(self.post_creation(source="127.0.0.4"))

    def test_reload_changes_the_limit(self):
        for _ in range(3):
            self.assertCreated(self.post_creation())
        self.assertTerminate(self.post_creation(), "policy-violation")
        text = self.boshd.config_text.replace("max_new_sessions_per_ip = 3",
                                              "max_new_sessions_per_ip = 0")
        self.boshd.reload(text)
        self.assertCreated(self.post_creation())


class TrustedProxiesReloadTest(ClientTestCase):
    def test_reload_trusts_a_proxy(self):
        xff = [("X-Forwarded-For", "203.0.113.40")]
        self.assertCreated(self.post_creation(headers=xff))
        self.boshd.wait_log("session.created", ip="127.0.0.1")
        text = self.boshd.config_text.replace(
            "[http]\n", "[http]\ntrusted_proxies = [\"127.0.0.0/8\"]\n", 1)
        self.boshd.reload(text)
        self.assertCreated(self.post_creation(headers=xff))
        self.boshd.wait_log("session.created", ip="203.0.113.40")


class Ipv6PeerTest(ClientTestCase):
    """A client that reaches boshd over IPv6 (::1) is named and limited by
    its address as one over IPv4 is (its /64 group: util/ip_address.h)."""
    http = {"listen": "[::1]:0", "max_connections_per_ip": 3}
    session = {"max_sessions_per_ip": 1}

    def connect(self):
        c = HttpClient(self.boshd.port, host="::1")
        self.addCleanup(c.close)
        return c

    def test_an_ipv6_peer_is_logged_and_limited_by_its_address(self):
        s = self.new_session()
        resp = self.connect().post(PATH, s.creation_body())
        self.assertCreated(resp)
        self.boshd.wait_log("session.created", ip="::1")
        # Over session.max_sessions_per_ip: refused as ::1.
        links = len(self.xmpp.conns)
        s2 = self.new_session()
        self.assertTerminate(self.connect().post(PATH, s2.creation_body()), "policy-violation")
        line = self.boshd.wait_log("session.refused", ip="::1")[0][1]
        self.assertEqual(line["limit"], "session.max_sessions_per_ip")
        self.assertEqual(len(self.xmpp.conns), links)

    def test_an_ipv6_peer_is_held_to_max_connections_per_ip(self):
        open_ = [self.connect() for _ in range(3)]
        for c in open_:
            self.assertEqual(c.request("GET", PATH).status, 200)
        over = self.connect()
        self.assertTrue(over.closed_by_peer(), "a 4th connection from ::1 was kept")
        line = self.boshd.wait_log("http.connection_refused")[0][1]
        self.assertEqual(line["ip"], "::1")
        self.assertEqual(line["limit"], "http.max_connections_per_ip")
