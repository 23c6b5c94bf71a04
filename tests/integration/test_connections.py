"""Connection limits (README: Connections; issue 8 item 3): http.max_connections
and http.max_connections_per_ip close a new connection over them at accept,
count connections down when they close, leave other addresses alone, log
once per 10 s however many are refused, never spin, and follow a reload.
127.0.0.2 and 127.0.0.3 are other client addresses: Linux routes all of
127/8 on lo."""

import socket
import time

from boshclient.boshd import Boshd, make_config
from boshclient.httpclient import HttpClient, NoResponse
from harness import BOSHD, BoshTestCase, cpu_seconds, message

WAIT = 5.0


def served(port, source="127.0.0.1"):
    """An open connection from |source| that boshd answered (GET of the
    info page, kept alive), or None when boshd closed it unanswered."""
    c = HttpClient.__new__(HttpClient)
    c.host, c.port, c.timeout = "127.0.0.1", port, WAIT
    c.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT,
                                      source_address=(source, 0))
    c.buf, c.eof, c.sent_at = b"", False, []
    try:
        c.send("GET", "/http-bind")
        resp = c.read_response()
    except (NoResponse, ConnectionResetError, BrokenPipeError):
        c.close()
        return None
    assert resp.status == 200, resp
    return c


class PerAddressLimitTest(BoshTestCase):
    http = {"max_connections_per_ip": 4}

    def setUp(self):
        super().setUp()
        self.open = []
        self.addCleanup(lambda: [c.close() for c in self.open])

    def fill(self, source="127.0.0.1", n=4):
        for _ in range(n):
            c = served(self.boshd.port, source)
            self.assertIsNotNone(c, "refused under the limit")
            self.open.append(c)

    def test_at_and_over_the_limit(self):
        self.fill()
        self.assertIsNone(served(self.boshd.port), "a 5th connection from one address served")
        line = self.boshd.wait_log("http.connection_refused")[0][1]
        self.assertEqual(line.get("ip"), "127.0.0.1")
        self.assertEqual(line.get("limit"), "http.max_connections_per_ip")
        self.assertEqual(line.get("max"), "4")
        # The connections already open are served as before.
        for c in self.open:
            c.send("GET", "/http-bind")
            self.assertEqual(c.read_response().status, 200)

    def test_another_address_unaffected(self):
        self.fill()
        self.assertIsNone(served(self.boshd.port))
        other = served(self.boshd.port, "127.0.0.2")
        self.assertIsNotNone(other, "127.0.0.2 refused for 127.0.0.1's connections")
        self.open.append(other)
        # And a session from there works end to end.
        s = self.new_session()
        s.conn = lambda: self._conn_from("127.0.0.2", s)
        self.assertEqual(s.create().status, 200)

    def _conn_from(self, source, session):
        c = served(self.boshd.port, source)
        self.assertIsNotNone(c)
        session.conns.append(c)
        return c

    def test_closed_connections_are_counted_down(self):
        self.fill()
        self.assertIsNone(served(self.boshd.port))
        # A client closes one: a new one is served again.
        self.open.pop().close()
        deadline = time.monotonic() + WAIT
        while True:
            c = served(self.boshd.port)
            if c is not None:
                self.open.append(c)
                break
            self.assertLess(time.monotonic(), deadline, "a closed connection was never counted down")
            time.sleep(0.05)
        # boshd closes one (Connection: close): counted down too.
        c = self.open.pop()
        c.send("GET", "/http-bind", headers=[("Connection", "close")])
        self.assertEqual(c.read_response().status, 200)
        self.assertTrue(c.closed_by_peer())
        c.close()
        self.assertIsNotNone(served(self.boshd.port))

    def test_held_request_connection_counted_down_when_client_leaves(self):
        self.fill(n=2)
        s = self.new_session()
        s.create()  # the 3rd connection, kept alive
        xmpp = self.xmpp.wait_connection(0)
        held, _ = s.send()  # the 4th, holding a request
        self.boshd.wait_log("http.request", count=2)
        self.assertIsNone(served(self.boshd.port))
        held.close()
        self.boshd.wait_log("http.gone")
        c = served(self.boshd.port)
        self.assertIsNotNone(c)
        self.open.append(c)
        self.assertIsNotNone(xmpp)

    def test_one_log_line_for_many_refusals_and_no_spinning(self):
        self.fill()
        pid = self.boshd.proc.pid
        before = cpu_seconds(pid)
        refused = []
        for _ in range(50):
            s = socket.create_connection(("127.0.0.1", self.boshd.port), timeout=WAIT)
            refused.append(s)  # kept open on our side: boshd must not care
        self.addCleanup(lambda: [s.close() for s in refused])
        for s in refused:
            self.assertEqual(s.recv(1), b"", "boshd did not close a connection over the limit")
        time.sleep(1.0)
        self.assertEqual(self.boshd.count("http.connection_refused"), 1)
        used = cpu_seconds(pid) - before
        self.assertLess(used, 0.5, "boshd used %.2f s of CPU refusing 50 connections" % used)

    def test_reload_changes_the_limit(self):
        self.fill(n=2)
        self.boshd.reload(make_config(self.routes(), http={"max_connections_per_ip": 2}))
        self.assertIsNone(served(self.boshd.port))
        # The open ones stay.
        for c in self.open:
            c.send("GET", "/http-bind")
            self.assertEqual(c.read_response().status, 200)


class TotalLimitTest(BoshTestCase):
    http = {"max_connections": 3}

    def test_over_the_total_from_any_address(self):
        open_ = [served(self.boshd.port, src) for src in ("127.0.0.1", "127.0.0.2", "127.0.0.1")]
        self.addCleanup(lambda: [c.close() for c in open_ if c])
        self.assertTrue(all(open_), open_)
        self.assertIsNone(served(self.boshd.port, "127.0.0.3"))
        line = self.boshd.wait_log("http.connection_refused")[0][1]
        self.assertEqual(line.get("limit"), "http.max_connections")
        self.assertEqual(line.get("open"), "3")
        open_.pop().close()
        deadline = time.monotonic() + WAIT
        while (c := served(self.boshd.port, "127.0.0.3")) is None:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        open_.append(c)


class DefaultLimitTest(BoshTestCase):
    """With an open-files limit of 200, http.max_connections defaults to
    (200 - 64) * 2 / 3 = 90."""
    start_boshd = False

    def test_default_follows_the_open_files_limit(self):
        b = Boshd(make_config(self.routes(), log_level="notice"), BOSHD, max_files=200).start()
        self.addCleanup(b.stop)
        open_ = []
        self.addCleanup(lambda: [c.close() for c in open_])
        for i in range(90):
            c = served(b.port, "127.0.0.%d" % (1 + i % 3))
            self.assertIsNotNone(c, "connection %d refused" % (i + 1))
            open_.append(c)
        self.assertIsNone(served(b.port, "127.0.0.4"))
        line = b.wait_log("http.connection_refused")[0][1]
        self.assertEqual((line.get("limit"), line.get("max")), ("http.max_connections", "90"))


class TrustedProxyTest(BoshTestCase):
    """A trusted proxy (http.trusted_proxies) carries many clients: it is not
    limited per address, only by http.max_connections."""
    http = {"max_connections_per_ip": 2, "max_connections": 8,
            "trusted_proxies": ["127.0.0.2/32"]}

    def test_trusted_proxy_exempt_from_the_per_address_limit(self):
        open_ = []
        self.addCleanup(lambda: [c.close() for c in open_])
        for _ in range(6):
            c = served(self.boshd.port, "127.0.0.2")
            self.assertIsNotNone(c, "the trusted proxy was limited per address")
            open_.append(c)
        open_.extend([served(self.boshd.port), served(self.boshd.port)])
        self.assertTrue(all(open_))
        # 8 open: the total still applies to the proxy.
        self.assertIsNone(served(self.boshd.port, "127.0.0.2"))
        self.assertEqual(self.boshd.wait_log("http.connection_refused")[0][1].get("limit"),
                         "http.max_connections")
