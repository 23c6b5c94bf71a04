"""Request framing that could smuggle one request inside another, header
blocks no BOSH client sends, unknown methods and slow senders
(net/http_framing.h, net/request_head.h; README: Strict HTTP): each is
refused with a 4xx and a closed connection, nothing of it reaches a session,
other sessions go on, and the process does not grow."""

import socket
import time

from boshclient.httpclient import HttpClient, NoResponse
from harness import PATH, BoshSession, BoshTestCase, message


def creation(rid=5000):
    return BoshSession(0).creation_body(rid=rid).encode()


class FramingTest(BoshTestCase):

    def setUp(self):
        super().setUp()
        # A live session, which none of what follows may disturb.
        self.s, self.conn = self.open_session()
        # Its log line may trail its reply: count once it is in.
        self.created = len(self.boshd.wait_log("session.created"))

    def raw(self, data):
        """Sends |data| on a new connection; returns (response, connection)."""
        c = HttpClient(self.boshd.port)
        self.addCleanup(c.close)
        c.send_raw(data)
        return c.read_response(close_delimited_ok=True), c

    def assertRefused(self, data, status, why):
        """|why|: boshd's reason in its http.refused line, or None when
        evhttp refuses the request itself, before any callback."""
        before = self.boshd.count("http.refused")
        r, c = self.raw(data)
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.header("Connection"), "close", r.headers)
        self.assertTrue(c.closed_by_peer(), "the connection stayed open")
        if why is not None:
            self.boshd.wait_log("http.refused", count=before + 1, reason=why)
            self.assertEqual(self.boshd.count("http.refused"), before + 1)
        # Nothing of it, nor of a request hidden after it, made a session.
        self.assertEqual(self.boshd.count("session.created"), self.created)
        self.assertSessionGoesOn()
        return r

    def assertSessionGoesOn(self):
        c, _ = self.s.send(message("still-here"))
        self.conn.wait_data("still-here")
        self.conn.push(message("reply"))
        self.assertHasStanza(c.read_response(), "message")

    def test_two_different_content_lengths_are_refused(self):
        body = creation()
        self.assertRefused(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                           b"Content-Length: 5\r\n\r\n" % (PATH.encode(), len(body)) + body,
                           400, "more than one Content-Length")

    def test_two_equal_content_lengths_with_a_request_hidden_after_them_are_refused(self):
        body = creation()
        hidden = b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (
            PATH.encode(), len(creation(6000))) + creation(6000)
        self.assertRefused(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                           b"Content-Length: %d\r\n\r\n" % (PATH.encode(), len(body), len(body))
                           + body + hidden, 400, "more than one Content-Length")

    def test_transfer_encoding_is_refused(self):
        body = creation()
        self.assertRefused(b"POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                           b"%x\r\n" % (PATH.encode(), len(body)) + body + b"\r\n0\r\n\r\n",
                           400, "Transfer-Encoding")

    def test_transfer_encoding_with_a_content_length_is_refused(self):
        body = creation()
        self.assertRefused(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n%x\r\n" % (
                               PATH.encode(), len(body) + 7, len(body)) + body + b"\r\n0\r\n\r\n",
                           400, None)  # evhttp refuses this one itself

    def test_more_than_100_header_lines_get_431(self):
        extra = b"".join(b"X-H%d: v\r\n" % i for i in range(100))  # 101 with Host
        self.assertRefused(b"GET %s HTTP/1.1\r\nHost: x\r\n" % PATH.encode() + extra + b"\r\n",
                           431, "too many header lines")

    def test_100_header_lines_are_served(self):
        extra = b"".join(b"X-H%d: v\r\n" % i for i in range(99))  # 100 with Host
        r, _ = self.raw(b"GET %s HTTP/1.1\r\nHost: x\r\n" % PATH.encode() + extra + b"\r\n")
        self.assertEqual(r.status, 200, r)

    def test_a_header_block_over_max_header_size_gets_431_and_a_close(self):
        self.assertRefused(b"GET %s HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n"
                           % (PATH.encode(), b"a" * 9000), 431,
                           "header block over http.max_header_size")

    def test_many_small_headers_over_max_header_size_get_431(self):
        extra = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(90))
        self.assertRefused(b"GET %s HTTP/1.1\r\nHost: x\r\n" % PATH.encode() + extra + b"\r\n",
                           431, "header block over http.max_header_size")

    def test_a_request_line_over_8_KiB_gets_414_and_a_close(self):
        self.assertRefused(b"GET %s?%s HTTP/1.1\r\nHost: x\r\n\r\n"
                           % (PATH.encode(), b"q" * 9000), 414, "request line over 8 KiB")

    def test_a_request_line_just_under_8_KiB_is_served(self):
        line = b"GET %s?%s HTTP/1.1\r\n" % (PATH.encode(), b"q" * 8000)
        self.assertLess(len(line), 8192)
        r, _ = self.raw(line + b"Host: x\r\n\r\n")
        self.assertEqual(r.status, 200, r)

    def test_unknown_and_lower_case_methods_get_405_with_allow(self):
        for method in (b"FOO", b"post", b"get", b"PROPFIND", b"po/st", b"X" * 40):
            r = self.assertRefused(b"%s %s HTTP/1.1\r\nHost: x\r\n\r\n" % (method, PATH.encode()),
                                   405, "unknown method")
            self.assertEqual(r.header("Allow"), "POST, GET, HEAD, OPTIONS", method)

    def test_lower_case_post_with_a_creation_body_creates_nothing(self):
        body = creation()
        self.assertRefused(b"post %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                           % (PATH.encode(), len(body)) + body, 405, "unknown method")

    def test_known_methods_bosh_does_not_use_get_405(self):
        for method in (b"PUT", b"DELETE", b"PATCH", b"TRACE"):
            r, c = self.raw(b"%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                            % (method, PATH.encode()))
            self.assertEqual(r.status, 405, (method, r))
            self.assertEqual(r.header("Allow"), "POST, GET, HEAD, OPTIONS")

    def test_a_body_only_where_evhttp_reads_one(self):
        # evhttp reads no body after a HEAD: what follows its head is the
        # next request, and the checker reads it as one. Both arrive in one
        # piece, so the connection is refused at once: 405, never evhttp's
        # 501 for the second.
        self.assertRefused(b"HEAD %s HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n"
                           b"foo %s HTTP/1.1\r\nHost: x\r\n\r\n" % (PATH.encode(), PATH.encode()),
                           405, "unknown method")
        # Sent apart, the HEAD is answered first.
        c = HttpClient(self.boshd.port)
        self.addCleanup(c.close)
        c.send_raw(b"HEAD %s HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n" % PATH.encode())
        self.assertLess(c.read_response(head=True).status, 300)
        c.send_raw(b"foo %s HTTP/1.1\r\nHost: x\r\n\r\n" % PATH.encode())
        self.assertEqual(c.read_response(close_delimited_ok=True).status, 405)

    def test_a_content_length_not_digits_alone_gets_400(self):
        body = creation()
        for value in (b"+%d" % len(body), b"0" * 60 + b"%d" % len(body), b"%d 0" % len(body)):
            self.assertRefused(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\n\r\n"
                               % (PATH.encode(), value) + body, 400, "malformed Content-Length")

    def test_a_malformed_request_line_gets_400(self):
        r, c = self.raw(b"GARBAGE\r\nHost: x\r\n\r\n")
        self.assertEqual(r.status, 400, r)
        self.assertTrue(c.closed_by_peer())
        self.assertSessionGoesOn()

    def test_hostile_heads_do_not_grow_the_process(self):
        def rss_kib():
            with open("/proc/%d/status" % self.boshd.proc.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
            raise AssertionError("no VmRSS")
        def hostile(head):
            # 1 MB of it; boshd answers and closes after 8 KiB, so the rest
            # may meet a closed socket.
            with socket.create_connection(("127.0.0.1", self.boshd.port), timeout=5) as sock:
                try:
                    sock.sendall(head + b"a" * (1 << 20))
                except OSError:
                    pass
                try:
                    while sock.recv(65536):
                        pass
                except OSError:
                    pass
        hostile(b"GET %s HTTP/1.1\r\nX-Big: " % PATH.encode())  # warm up
        before = rss_kib()
        for i in range(20):
            hostile(b"GET %s HTTP/1.1\r\nX-Big: " % PATH.encode())
            hostile(b"GET %s?" % PATH.encode())
        grown = rss_kib() - before
        self.assertLess(grown, 2048, "40 MB of hostile heads grew boshd by %d KiB" % grown)
        self.assertEqual(self.boshd.count("session.created"), self.created)
        self.assertSessionGoesOn()


class HeaderSizeConfigTest(BoshTestCase):
    http = {"max_header_size": 16384}

    def test_max_header_size_is_configurable(self):
        c = HttpClient(self.boshd.port)
        self.addCleanup(c.close)
        c.send_raw(b"GET %s HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n"
                   % (PATH.encode(), b"a" * 12000))
        self.assertEqual(c.read_response().status, 200)


class HeaderTimeoutTest(BoshTestCase):
    """http.header_timeout (1 s here): a head must be complete within it from
    its first byte, a body within it from the end of its head; idle
    keep-alive time and held requests do not count."""
    http = {"header_timeout": 1}

    def trickle(self, data, interval=0.2, limit=4.0):
        """Sends |data| a byte every |interval| until boshd answers; returns
        (response, seconds from the first byte)."""
        c = HttpClient(self.boshd.port)
        self.addCleanup(c.close)
        started = time.monotonic()
        for i in range(len(data)):
            self.assertLess(time.monotonic() - started, limit, "never cut off")
            try:
                c.send_raw(data[i:i + 1])
            except OSError:
                break
            if c.has_pending_data(interval):
                break
        r = c.read_response(close_delimited_ok=True)
        return r, time.monotonic() - started, c

    def test_a_head_trickled_a_byte_at_a_time_is_cut_off(self):
        s, conn = self.open_session()
        head = b"POST %s HTTP/1.1\r\nHost: x\r\n" % PATH.encode() + b"X-Slow: " + b"a" * 100
        r, elapsed, c = self.trickle(head)
        self.assertEqual(r.status, 408, r)
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, 2.5)
        self.assertTrue(c.closed_by_peer())
        self.boshd.wait_log("http.refused", status="408")
        # The live session goes on.
        cc, _ = s.send(message("after-slow"))
        conn.wait_data("after-slow")
        conn.push(message("x"))
        self.assertHasStanza(cc.read_response(), "message")

    def test_a_body_not_complete_in_time_is_cut_off(self):
        c = HttpClient(self.boshd.port)
        self.addCleanup(c.close)
        c.send_raw(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n<body" % PATH.encode())
        started = time.monotonic()
        r = c.read_response(timeout=4, close_delimited_ok=True)
        self.assertEqual(r.status, 408, r)
        self.assertLess(time.monotonic() - started, 2.5)
        self.assertEqual(self.boshd.count("session.created"), 0)

    def test_idle_keep_alive_time_does_not_count(self):
        c = HttpClient(self.boshd.port)
        self.addCleanup(c.close)
        self.assertEqual(c.request("GET", PATH).status, 200)
        time.sleep(1.5)
        self.assertEqual(c.request("GET", PATH).status, 200)

    def test_the_clock_stops_while_an_earlier_request_is_held(self):
        # C124-18-01: a request pipelined behind a held one, half of it in the
        # same segment; boshd does not read the rest while it holds the
        # first, so that wait is not the client's.
        s, conn = self.open_session()
        c = s.conn()
        first = c.build("POST", PATH, s.body(rid=s.rid + 1))
        second = c.build("POST", PATH, s.body(message("second"), rid=s.rid + 2))
        c.send_raw(first + second[:20])
        time.sleep(1.5)
        c.send_raw(second[20:])
        conn.push(message("for-the-first"))
        self.assertHasStanza(c.read_response(), "message")
        conn.wait_data("second")
        conn.push(message("for-the-second"))
        self.assertHasStanza(c.read_response(), "message")
        self.assertEqual(self.boshd.count("http.refused"), 0)

    def test_a_held_request_is_not_cut_off(self):
        s, conn = self.open_session()
        c, _ = s.send()
        time.sleep(1.5)
        conn.push(message("late"))
        self.assertHasStanza(c.read_response(), "message")
