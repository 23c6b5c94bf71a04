"""Routes found by DNS SRV (issue 8 §5; RFC 6120 §3.2.1, XEP-0368): boshd
asks a small DNS server the test starts (boshclient.fake_dns, through
[backend] resolver) and reaches the scripted XMPP server wherever the records
point: SRV targets on other ports, lower priority first, the next target when
one refuses, the domain's own address when there is no SRV record, nothing at
all for a "." target, remote-connection-failed when the DNS is down, and
answers cached for their TTL."""

import socket

from boshclient.boshd import PATH, make_config, route
from boshclient.fake_dns import FakeDns, a, aaaa, closed_udp_port, srv
from boshclient.fake_xmpp import FakeXmppServer, closed_port, make_self_signed_cert
from harness import STREAMS_NS, BoshSession, BoshTestCase

DOMAIN = "srv.example"
SRV_NAME = "_xmpp-client._tcp." + DOMAIN


def srv_route(domain=DOMAIN, **extra):
    r = {"domain": domain, "srv": True, "tls": "none"}
    r.update(extra)
    return r


class SrvTestCase(BoshTestCase):
    start_boshd = False

    def start_dns(self, table):
        dns = FakeDns(table).start()
        self.addCleanup(dns.stop)
        return dns

    def start_xmpp(self, **options):
        server = FakeXmppServer(**options).start()
        self.addCleanup(server.stop)
        return server

    def launch_with(self, routes, resolver):
        self.boshd = self.launch(make_config(routes, backend={"resolver": resolver}))
        return self.boshd

    def create(self, to=DOMAIN):
        """(session, creation response), whatever the response is."""
        s = self.new_session(to=to)
        return s, s.conn().post(PATH, s.creation_body())

    def assertSessionOn(self, server, before=0, to=DOMAIN):
        """A session to |to| is created, its stream opened on |server|."""
        s = self.new_session(to=to)
        resp = s.create()
        self.assertIsNone(resp.xml().get("type"), resp.body)
        self.assertIsNotNone(resp.xml().find("{%s}features" % STREAMS_NS), resp.body)
        conn = server.wait_connection(before)
        # The stream is to the XMPP domain, wherever SRV pointed.
        self.assertEqual(conn.wait_headers(1)[0].get("to"), to)
        return s

    def termination_reason(self):
        found = self.boshd.wait_log("session.terminated", condition="remote-connection-failed")
        return found[0][1].get("reason", "")


class SrvTargetTest(SrvTestCase):
    def test_srv_target_on_another_port_is_reached(self):
        # The route names neither host nor port: SRV says where.
        dns = self.start_dns({SRV_NAME: [srv(0, 0, self.xmpp.port, "xmpp1.hosting.test")],
                              "xmpp1.hosting.test": [a("127.0.0.1")]})
        self.launch_with([srv_route()], dns.address)
        self.assertSessionOn(self.xmpp)
        self.assertEqual(dns.asked(SRV_NAME, "SRV"), [(SRV_NAME, "SRV")])
        self.assertTrue(dns.asked("xmpp1.hosting.test", "A"))
        self.assertFalse(dns.asked(DOMAIN), "no address lookup of the domain itself")

    def test_lower_priority_first(self):
        low = self.start_xmpp()
        dns = self.start_dns({
            # Listed first and heavier, but priority 20: tried after priority 10.
            SRV_NAME: [srv(20, 100, self.xmpp.port, "high.hosting.test"),
                       srv(10, 0, low.port, "low.hosting.test")],
            "high.hosting.test": [a("127.0.0.1")],
            "low.hosting.test": [a("127.0.0.1")],
        })
        self.launch_with([srv_route()], dns.address)
        for _ in range(3):
            before = len(low.conns)
            self.assertSessionOn(low, before)
        self.assertEqual(len(self.xmpp.conns), 0)

    def test_next_target_when_the_first_refuses(self):
        dns = self.start_dns({
            SRV_NAME: [srv(0, 0, closed_port(), "down.hosting.test"),
                       srv(1, 0, self.xmpp.port, "up.hosting.test")],
            "down.hosting.test": [a("127.0.0.1")],
            "up.hosting.test": [a("127.0.0.1")],
        })
        self.launch_with([srv_route()], dns.address)
        self.assertSessionOn(self.xmpp)
        retry = self.boshd.wait_log("backend.retry")
        self.assertEqual(len(retry), 1)
        self.assertIn("connection to down.hosting.test:", retry[0][1]["reason"])
        self.assertEqual(self.boshd.count("backend.closed"), 0)

    def test_next_target_when_the_first_times_out(self):
        # A listener whose accept queue is full: the SYN goes unanswered, so
        # the connection neither succeeds nor fails until the 4 s try is over.
        hole = socket.socket()
        self.addCleanup(hole.close)
        hole.bind(("127.0.0.1", 0))
        hole.listen(0)
        filler = socket.create_connection(hole.getsockname())
        self.addCleanup(filler.close)
        dns = self.start_dns({
            SRV_NAME: [srv(0, 0, hole.getsockname()[1], "slow.hosting.test"),
                       srv(1, 0, self.xmpp.port, "up.hosting.test")],
            "slow.hosting.test": [a("127.0.0.1")],
            "up.hosting.test": [a("127.0.0.1")],
        })
        self.launch_with([srv_route()], dns.address)
        s = self.new_session(to=DOMAIN, timeout=10.0)
        resp = s.create()
        self.assertIsNone(resp.xml().get("type"), resp.body)
        self.xmpp.wait_connection(0)
        retry = self.boshd.wait_log("backend.retry")
        self.assertIn("slow.hosting.test", retry[0][1]["reason"])
        self.assertIn("timed out", retry[0][1]["reason"])

    def test_each_address_of_a_target_in_turn(self):
        # Nothing listens on 127.0.0.2 at that port: refused, then 127.0.0.1.
        dns = self.start_dns({
            SRV_NAME: [srv(0, 0, self.xmpp.port, "two.hosting.test")],
            "two.hosting.test": [a("127.0.0.2"), a("127.0.0.1")],
        })
        self.launch_with([srv_route()], dns.address)
        self.assertSessionOn(self.xmpp)
        retry = self.boshd.wait_log("backend.retry")
        self.assertIn("(127.0.0.2)", retry[0][1]["reason"])

    def test_next_target_when_the_first_has_no_address(self):
        dns = self.start_dns({
            SRV_NAME: [srv(0, 0, self.xmpp.port, "gone.hosting.test"),
                       srv(5, 0, self.xmpp.port, "up.hosting.test")],
            "up.hosting.test": [a("127.0.0.1")],
        })
        self.launch_with([srv_route()], dns.address)
        self.assertSessionOn(self.xmpp)
        self.assertTrue(dns.asked("gone.hosting.test", "A"))
        retry = self.boshd.wait_log("backend.retry")
        self.assertIn("cannot resolve gone.hosting.test", retry[0][1]["reason"])

    def test_ipv6_target_from_its_aaaa_record(self):
        v6 = self.start_xmpp(host="::1")
        dns = self.start_dns({SRV_NAME: [srv(0, 0, v6.port, "v6.hosting.test")],
                              "v6.hosting.test": [aaaa("::1")]})
        self.launch_with([srv_route()], dns.address)
        self.assertSessionOn(v6)
        self.assertTrue(dns.asked("v6.hosting.test", "AAAA"))

    def test_every_target_refusing_is_remote_connection_failed(self):
        dns = self.start_dns({
            SRV_NAME: [srv(0, 0, closed_port(), "a.hosting.test"),
                       srv(1, 0, closed_port(), "b.hosting.test")],
            "a.hosting.test": [a("127.0.0.1")],
            "b.hosting.test": [a("127.0.0.1")],
        })
        self.launch_with([srv_route()], dns.address)
        _, resp = self.create()
        self.assertTerminate(resp, "remote-connection-failed")
        self.assertIn("b.hosting.test", self.termination_reason())  # the last one tried
        # The first failure is a retry, the last one the link's, logged once.
        self.assertEqual(len(self.boshd.wait_log("backend.retry")), 1)
        self.assertIn("a.hosting.test", self.boshd.log_events("backend.retry")[0][1]["reason"])
        self.assertEqual(len(self.boshd.wait_log("backend.closed")), 1)
        # An SRV answer was had: no fall-back to the domain's own address.
        self.assertEqual(dns.asked(DOMAIN), [])


class SrvFallbackTest(SrvTestCase):
    def test_no_srv_record_falls_back_to_the_domain_address_on_the_route_port(self):
        # NXDOMAIN for the SRV name; the domain's A record, on the route's port
        # (5222 unless set: set here to the scripted server's).
        dns = self.start_dns({DOMAIN: [a("127.0.0.1")]})
        self.launch_with([srv_route(port=self.xmpp.port)], dns.address)
        self.assertSessionOn(self.xmpp)
        self.assertEqual(dns.asked(SRV_NAME, "SRV"), [(SRV_NAME, "SRV")])
        self.assertTrue(dns.asked(DOMAIN, "A"))

    def test_srv_name_without_srv_record_falls_back_too(self):
        # NODATA: the name exists, with no SRV record.
        dns = self.start_dns({SRV_NAME: [], DOMAIN: [a("127.0.0.1")]})
        self.launch_with([srv_route(port=self.xmpp.port)], dns.address)
        self.assertSessionOn(self.xmpp)

    def test_dot_target_means_no_service_remote_connection_failed(self):
        dns = self.start_dns({SRV_NAME: [srv(0, 0, 0, ".")], DOMAIN: [a("127.0.0.1")]})
        self.launch_with([srv_route(port=self.xmpp.port)], dns.address)
        _, resp = self.create()
        self.assertTerminate(resp, "remote-connection-failed")
        self.assertIn("no XMPP service at " + DOMAIN, self.termination_reason())
        # Decidedly not available: no fall-back to the domain's address.
        self.assertEqual(dns.asked(DOMAIN), [])
        self.assertEqual(len(self.xmpp.conns), 0)

    def test_dns_down_remote_connection_failed_logged_once_with_the_name(self):
        self.launch_with([srv_route(port=self.xmpp.port)],
                         "127.0.0.1:%d" % closed_udp_port())
        _, resp = self.create()
        self.assertTerminate(resp, "remote-connection-failed")
        closed = self.boshd.wait_log("backend.closed")
        self.assertEqual(len(closed), 1)
        reason = closed[0][1]["reason"]
        self.assertIn("cannot resolve " + SRV_NAME, reason)
        self.assertIn(reason, self.termination_reason())
        self.assertEqual(len(self.xmpp.conns), 0)

    def test_dns_silent_times_out_remote_connection_failed(self):
        # A DNS server that never answers: c-ares' retries run on boshd's
        # timer (1.5 s, then 3 s) and the link fails with c-ares' reason.
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(silent.close)
        silent.bind(("127.0.0.1", 0))
        self.launch_with([srv_route(port=self.xmpp.port)], "127.0.0.1:%d" % silent.getsockname()[1])
        s = self.new_session(to=DOMAIN, timeout=10.0)
        resp = s.conn().post(PATH, s.creation_body())
        self.assertTerminate(resp, "remote-connection-failed")
        reason = self.boshd.wait_log("backend.closed")[0][1]["reason"]
        self.assertIn("cannot resolve " + SRV_NAME, reason)
        self.assertIn("Timeout", reason)

    def test_session_failing_while_its_lookup_runs_cancels_the_lookup(self):
        # backend.timeout (1 s) ends the session while c-ares still waits for
        # the silent server: the link is closed with its lookup pending, and
        # boshd stops (clean exit checked, sanitizers too) with queries still
        # in c-ares.
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(silent.close)
        silent.bind(("127.0.0.1", 0))
        self.boshd = self.launch(make_config(
            [srv_route(port=self.xmpp.port)],
            backend={"resolver": "127.0.0.1:%d" % silent.getsockname()[1], "timeout": 1}))
        for _ in range(2):
            _, resp = self.create()
            self.assertTerminate(resp, "remote-connection-failed")
        self.assertIn("no stream features in time", self.termination_reason())
        self.assertEqual(self.boshd.count("backend.closed"), 0)

    def test_ip_literal_and_etc_hosts_names_ask_no_dns(self):
        dns = self.start_dns({})
        self.launch_with([route(DOMAIN, self.xmpp.port, host="127.0.0.1"),
                          route("hosts.example", self.xmpp.port, host="localhost")], dns.address)
        self.assertSessionOn(self.xmpp, 0)
        self.assertSessionOn(self.xmpp, 1, to="hosts.example")  # /etc/hosts
        self.assertEqual(dns.asked(), [])

    def test_plain_host_resolves_through_the_resolver_too(self):
        dns = self.start_dns({"xmpp.internal.test": [a("127.0.0.1")]})
        self.launch_with([route(DOMAIN, self.xmpp.port, host="xmpp.internal.test")],
                         dns.address)
        self.assertSessionOn(self.xmpp)
        self.assertEqual(dns.asked(SRV_NAME), [], "srv is off: no SRV lookup")


class SrvCacheTest(SrvTestCase):
    def test_answers_are_cached_for_their_ttl(self):
        dns = self.start_dns({SRV_NAME: [srv(0, 0, self.xmpp.port, "xmpp1.hosting.test", ttl=300)],
                              "xmpp1.hosting.test": [a("127.0.0.1", ttl=300)]})
        self.launch_with([srv_route()], dns.address)
        self.assertSessionOn(self.xmpp, 0)
        asked = len(dns.asked())
        self.assertGreaterEqual(asked, 2)  # SRV, A (and AAAA)
        self.assertSessionOn(self.xmpp, 1)
        self.assertSessionOn(self.xmpp, 2)
        self.assertEqual(len(dns.asked()), asked, "the second session asked the DNS again")

    def test_ttl_zero_is_not_cached(self):
        dns = self.start_dns({SRV_NAME: [srv(0, 0, self.xmpp.port, "xmpp1.hosting.test", ttl=0)],
                              "xmpp1.hosting.test": [a("127.0.0.1", ttl=0)]})
        self.launch_with([srv_route()], dns.address)
        self.assertSessionOn(self.xmpp, 0)
        self.assertSessionOn(self.xmpp, 1)
        self.assertEqual(len(dns.asked(SRV_NAME, "SRV")), 2)


class SrvDirectTlsTest(SrvTestCase):
    """XEP-0368: tls = "direct" looks up _xmpps-client._tcp; the certificate
    (CN=example.com) is checked against the domain, not the SRV target
    (RFC 6120 §13.7.2.1)."""
    fake = {"direct_tls": True}

    def test_xmpps_client_target_verified_against_the_domain(self):
        cert, _ = make_self_signed_cert()
        name = "_xmpps-client._tcp.example.com"
        dns = self.start_dns({name: [srv(0, 0, self.xmpp.port, "tls.hosting.test")],
                              "tls.hosting.test": [a("127.0.0.1")]})
        self.launch_with([srv_route("example.com", tls="direct", tls_ca_file=cert)],
                         dns.address)
        s, resp = self.create("example.com")
        conn = self.xmpp.wait_connection(0)
        self.assertTrue(conn.wait_tls(), "TLS handshake failed: %s" % conn.tls_error)
        self.assertIsNone(resp.xml().get("type"), resp.body)
        self.assertEqual(dns.asked(name, "SRV"), [(name, "SRV")])
        self.assertEqual(dns.asked("_xmpp-client._tcp.example.com"), [])


class SrvReloadTest(SrvTestCase):
    """A reload applies backend.resolver and a route's srv to new sessions."""

    def config(self, srv_on, resolver):
        r = srv_route(srv=srv_on, host="127.0.0.1", port=closed_port())
        return make_config([r], backend={"resolver": resolver})

    def test_reload_turns_srv_on_changes_the_resolver_and_empties_the_cache(self):
        dns = self.start_dns({SRV_NAME: [srv(0, 0, self.xmpp.port, "xmpp1.hosting.test")],
                              "xmpp1.hosting.test": [a("127.0.0.1")]})
        self.boshd = self.launch(self.config(False, "127.0.0.1:%d" % closed_udp_port()))
        _, resp = self.create()
        self.assertTerminate(resp, "remote-connection-failed")  # host:port refuses
        self.assertEqual(dns.asked(), [])

        self.boshd.reload(self.config(True, dns.address))
        self.assertSessionOn(self.xmpp, 0)
        self.assertSessionOn(self.xmpp, 1)
        self.assertEqual(len(dns.asked(SRV_NAME, "SRV")), 1)  # the second from the cache

        # A reload starts a new resolver (re-reading /etc/resolv.conf when it
        # is the system's): the cache starts empty.
        self.boshd.reload(self.config(True, dns.address))
        self.assertSessionOn(self.xmpp, 2)
        self.assertEqual(len(dns.asked(SRV_NAME, "SRV")), 2)
