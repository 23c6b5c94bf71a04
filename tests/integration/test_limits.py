"""Configured limits, seen from outside (conf/CONFIG.md): sessions, body and
stanza sizes, client queue, idle keep-alive connections; and a burst of
concurrent sessions with clients dropping held requests."""

import random
import socket
import threading
import time

from boshclient.boshd import Boshd, make_config, route
from harness import BOSHD, BoshSession, BoshTestCase, message


class SessionLimitTest(BoshTestCase):
    session = {"max_sessions": 2}

    def test_max_sessions_refused_with_undefined_condition(self):
        # CONFIG.md: "creation beyond it is refused with `undefined-condition`"
        # (no §17.2 condition fits a full server; policy-violation blames the client).
        self.open_session()
        self.open_session()
        before = self.rejection_count()
        s = self.new_session()
        resp = s.conn().post("/http-bind", s.creation_body())
        self.assertTerminate(resp, "undefined-condition")
        self.assertLoggedOnce(before)
        self.assertEqual(len(self.xmpp.conns), 2)

    def test_max_sessions_frees_slots_on_terminate(self):
        a, _ = self.open_session()
        self.open_session()
        a.request(type="terminate")
        self.open_session()


HEADER_AND_FEATURES = (
    b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    b"xmlns:stream='http://etherx.jabber.org/streams' id='x' from='example.com' version='1.0'>"
    b"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
    b"<mechanism>PLAIN</mechanism></mechanisms></stream:features>")


class ServerQueueTest(BoshTestCase):
    """session.max_server_queue: an XMPP server that stops reading (it
    throttles the client, or hangs) must not make boshd buffer without bound."""

    def test_server_that_stops_reading_ends_the_session(self):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(10)
        port = listener.getsockname()[1]
        stop = threading.Event()

        def backend():
            # Answer the stream header, then never read again.
            c, _ = listener.accept()
            c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            c.settimeout(10)
            buf = b""
            while b"<stream:stream" not in buf or not buf.rstrip().endswith(b">"):
                buf += c.recv(4096)
            c.sendall(HEADER_AND_FEATURES)
            stop.wait(30)
            c.close()

        t = threading.Thread(target=backend, daemon=True)
        t.start()
        b = self.launch(make_config([route("example.com", port)],
                                    session={"polling": 0, "max_server_queue": 65536}))
        try:
            s = BoshSession(b.port)
            s.create(wait=10)
            big = message("x" * 30000)
            # Two connections in turn, as a client with data does: each
            # request releases the one held before it. Bounded: at most
            # 300 x 30 KB and 30 s (loopback socket buffers take a few MB
            # before boshd's own queue starts to grow).
            first, _ = s.send(big)
            conns = [first, s.conn()]
            deadline = time.monotonic() + 30
            ended = None
            for i in range(1, 300):
                s.send(big, conn=conns[i % 2])
                resp = conns[(i - 1) % 2].read_response(timeout=10)
                if resp.xml().get("type") == "terminate" or time.monotonic() > deadline:
                    ended = resp if resp.xml().get("type") == "terminate" else None
                    break
            self.assertIsNotNone(ended, "boshd kept buffering for a server that does not read")
            self.assertEqual(ended.xml().get("condition"), "remote-connection-failed", ended.body)
            b.wait_log("session.terminated", reason=
                       "the XMPP server is not reading (over session.max_server_queue)")
        finally:
            stop.set()
            listener.close()


class DescriptorExhaustionTest(BoshTestCase):
    """Out of file descriptors, accept() fails; boshd pauses its listener,
    says so, and recovers once descriptors are free (no busy loop)."""

    def test_accept_pauses_when_out_of_descriptors_and_recovers(self):
        # http.max_connections above the descriptors, so that accept() itself
        # fails (its default would stay below them: test_connections.py).
        b = Boshd(make_config(self.routes(), log_level="notice", http={"max_connections": 1000}),
                  BOSHD, max_files=40).start()
        socks = []
        try:
            for _ in range(45):  # more connections than descriptors left
                socks.append(socket.create_connection(("127.0.0.1", b.port), timeout=5))
            b.wait_log("http.accept_paused", reason="Too many open files", timeout=5)
            self.assertTrue(b.alive())
            for s in socks:
                s.close()
            socks = []
            # Descriptors are back: the listener resumes and serves sessions.
            s = BoshSession(b.port)
            deadline = time.monotonic() + 10
            while True:
                try:
                    resp = s.create()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            self.assertEqual(resp.status, 200)
        finally:
            for s in socks:
                s.close()
            b.stop()


class SizeLimitTest(BoshTestCase):
    session = {"max_client_queue": 4096, "max_xml_elements": 10}
    backend = {"max_stanza_size": 1024}

    def test_stanza_over_backend_max_stanza_size_ends_session(self):
        s, conn = self.open_session()
        n = self.requests_seen()
        c, _ = s.send()
        self.wait_requests_seen(n + 1)
        conn.push(message("B" * 3000))
        root = self.assertTerminate(c.read_response(), "remote-connection-failed")
        self.assertNotIn(b"BBBB", c.buf)
        conn.wait_stream_closed()
        self.boshd.wait_log("session.terminated", reason="stanza larger than backend.max_stanza_size")

    def test_client_queue_over_max_client_queue_ends_session(self):
        s, conn = self.open_session()
        for i in range(6):              # nobody fetches: 6 x ~950 bytes > 4096
            conn.push(message("%d" % i + "Q" * 900))
        conn.wait_stream_closed()
        resp = s.request()
        self.assertTerminate(resp, "policy-violation")
        self.assertLess(len(resp.body), 2 * 4096 + 1024, "the queue grew past its limit")

    def test_xml_elements_over_limit_is_bad_request(self):
        s, conn = self.open_session()
        many = "".join("<x%d xmlns='urn:x'/>" % i for i in range(20))
        resp = s.request(many)
        self.assertIn(resp.status, (200, 400))
        self.assertEqual(resp.xml().get("condition"), "bad-request", resp.body)
        self.assertEqual(conn.count("urn:x"), 0)


class IdleTimeoutTest(BoshTestCase):
    http = {"idle_timeout": 1}

    def test_idle_timeout_never_cuts_a_held_request(self):
        s, conn = self.open_session(wait=2)
        resp = s.request(timeout=5)
        self.assertEmptyBody(resp)
        self.assertGreater(resp.elapsed, 1.5)

    def test_idle_keepalive_connection_closed_after_idle_timeout(self):
        c = self.client()
        self.assertEqual(c.request("GET", "/http-bind").status, 200)
        self.assertTrue(c.closed_by_peer(4.0), "idle keep-alive connection not closed")


class ConcurrencyTest(BoshTestCase):

    def test_many_sessions_with_held_requests_and_drops(self):
        rng = random.Random(1234)
        pairs = [self.open_session(wait=10) for _ in range(20)]
        n = self.requests_seen()
        held = [(s, conn) + s.send() for s, conn in pairs]
        self.wait_requests_seen(n + len(held))
        gone = self.boshd.count("http.gone")
        dropped = [h for h in held if rng.random() < 0.5]
        for h in dropped:
            h[2].close()
        self.boshd.wait_log("http.gone", count=gone + len(dropped), timeout=3)
        # Every session still works; dropped ones after resending their rid.
        errors = []

        def exercise(s, conn, c, rid, was_dropped):
            try:
                if was_dropped:
                    again = s.request(rid=rid)
                    assert again.status == 200 and again.xml().get("type") is None, again
                    c, _ = s.send(message("after-%s" % s.sid))
                else:
                    conn.push(message("wake-%s" % s.sid))
                    c.read_response()
                    c, _ = s.send(message("after-%s" % s.sid))
                conn.wait_data("after-%s" % s.sid)
                conn.push(message("final"))
                resp = c.read_response()
                assert resp.xml().find("{jabber:client}message") is not None, resp
            except Exception as e:  # collected below
                errors.append("%s: %r" % (s.sid, e))
        threads = [threading.Thread(target=exercise, args=h + (h in dropped,)) for h in held]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=15)
        self.assertEqual(errors, [])
        self.assertTrue(self.boshd.alive())
