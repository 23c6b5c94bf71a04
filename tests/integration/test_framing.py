"""Request framing that could smuggle one request inside another, and header
blocks no BOSH client sends (net/http_framing.h; issue "the internet edge",
strict HTTP/1.1): each is refused with a 4xx and a closed connection, nothing
of it reaches a session, and other sessions go on."""

from boshclient.httpclient import HttpClient
from harness import PATH, BoshSession, BoshTestCase, message


def creation(rid=5000):
    return BoshSession(0).creation_body(rid=rid).encode()


class FramingTest(BoshTestCase):

    def setUp(self):
        super().setUp()
        # A live session, which none of what follows may disturb.
        self.s, self.conn = self.open_session()
        self.created = self.boshd.count("session.created")

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

    def test_a_header_block_over_max_header_size_gets_400_and_a_close(self):
        # evhttp's own answer (net/http_framing.h): 400, not 431.
        self.assertRefused(b"GET %s HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n"
                           % (PATH.encode(), b"a" * 9000), 400, None)

    def test_a_request_line_over_max_header_size_gets_400_and_a_close(self):
        # evhttp's own answer (net/http_framing.h): 400, not 414.
        self.assertRefused(b"GET %s?%s HTTP/1.1\r\nHost: x\r\n\r\n"
                           % (PATH.encode(), b"q" * 9000), 400, None)


class HeaderSizeConfigTest(BoshTestCase):
    http = {"max_header_size": 16384}

    def test_max_header_size_is_configurable(self):
        c = HttpClient(self.boshd.port)
        self.addCleanup(c.close)
        c.send_raw(b"GET %s HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n"
                   % (PATH.encode(), b"a" * 12000))
        self.assertEqual(c.read_response().status, 200)
