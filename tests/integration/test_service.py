"""boshd as a system service, seen from outside: the drain on SIGTERM, what it
tells systemd (sd_notify over a fake NOTIFY_SOCKET) and socket activation
(a listening socket handed over as descriptor 3, as systemd does)."""

import os
import signal
import socket
import tempfile
import threading
import time

from boshclient.boshd import make_config, route
from boshclient.fake_xmpp import FakeXmppServer
from boshclient.httpclient import HttpClient
from harness import PATH, BoshSession, BoshTestCase, message


class NotifySocket:
    """A fake systemd notification socket: a thread collects sd_notify
    datagrams as systemd would, at once (an unread AF_UNIX datagram queue
    fills up, and then sd_notify blocks the sender)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="boshd-notify-")
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.1)
        self.messages = []
        self.changed = threading.Condition()
        self.running = True
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while self.running:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.changed:
                self.messages.append(data.decode().split("\n"))
                self.changed.notify_all()

    def close(self):
        self.running = False
        self.reader.join(timeout=2)
        self.sock.close()
        os.unlink(self.path)
        os.rmdir(self.dir)

    def _wait(self, found, what, timeout):
        """Waits until found(messages) gives something; returns it."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                result = found(self.messages)
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no %s within %.0f s; got %r" % (what, timeout,
                                                                           self.messages))
                self.changed.wait(left)

    def wait_for(self, state, timeout=5.0):
        """Waits until a datagram holds the line |state|; returns its lines."""
        return self._wait(lambda ms: next((m for m in ms if state in m), None),
                          repr(state), timeout)

    def wait_count(self, state, n, timeout=5.0):
        """Waits until |state| has come |n| times; returns every line so far."""
        def found(ms):
            states = [line for m in ms for line in m]
            return states if states.count(state) >= n else None
        return self._wait(found, "%d x %r" % (n, state), timeout)

    def states(self):
        """Every line received so far, in order."""
        with self.changed:
            return [line for m in self.messages for line in m]


def start_drain(test):
    """A session with a held request, then SIGTERM: the held request is
    answered at once, empty. Returns (session, backend conn)."""
    s, conn = test.open_session(wait=30)
    held, _ = s.send()
    test.wait_requests_seen(2)
    test.boshd.signal(signal.SIGTERM)
    test.assertEmptyBody(held.read_response(timeout=5))
    return s, conn


def admin_get(port, path):
    c = HttpClient(port)
    try:
        return c.request("GET", path)
    finally:
        c.close()


class DrainTest(BoshTestCase):
    service = {"shutdown_grace": 2}

    def boshd_config(self):
        return make_config(self.routes(), service=self.service,
                           admin={"listen": "127.0.0.1:0"})

    def test_C124_17_2_14_drain_refuses_new_sessions_and_ends_the_rest_after_the_grace(self):
        admin = self.boshd.admin_port()
        self.assertEqual(admin_get(admin, "/healthz").status, 200)
        # Every held request is answered at once...
        s, conn = start_drain(self)
        self.boshd.wait_log("shutdown.begin", grace="2", sessions="1")
        # ...a load balancer sees the drain...
        health = admin_get(admin, "/healthz")
        self.assertEqual((health.status, health.body), (503, b"draining\n"))
        # ...new sessions are refused...
        refused = BoshSession(self.boshd.port)
        r = refused.conn().post(PATH, refused.creation_body(rid=500))
        self.assertTerminate(r, "system-shutdown")
        # ...and the live session goes on.
        c, _ = s.send(message("during-drain"))
        conn.wait_data("during-drain")
        conn.push(message("reply"))
        self.assertHasStanza(c.read_response(timeout=5), "message")
        last, _ = s.send()
        started = time.monotonic()
        # After the grace, it ends with system-shutdown and its stream closes.
        self.assertTerminate(last.read_response(timeout=6), "system-shutdown")
        self.assertGreater(time.monotonic() - started, 0.5)
        conn.wait_stream_closed()
        self.boshd.wait_log("shutdown.end", sessions="1")
        rc = self.boshd.wait_exit()
        self.assertEqual(rc, 0)
        self.boshd.check_clean_exit(rc)


class DrainEndsEarlyTest(BoshTestCase):
    service = {"shutdown_grace": 60}

    def test_drain_exits_as_soon_as_the_last_session_is_gone(self):
        s, conn = start_drain(self)
        started = time.monotonic()
        r = s.request("<presence type='unavailable' xmlns='jabber:client'/>", type="terminate")
        self.assertEqual(r.xml().get("type"), "terminate")
        rc = self.boshd.wait_exit(timeout=10)
        self.assertEqual(rc, 0)
        self.assertLess(time.monotonic() - started, 5, "waited for the grace period")
        self.boshd.check_clean_exit(rc)

    def test_a_second_signal_ends_the_drain_at_once(self):
        s, conn = self.open_session(wait=30)
        s.send()
        self.wait_requests_seen(2)
        self.boshd.signal(signal.SIGTERM)
        self.boshd.wait_log("shutdown.begin")
        self.boshd.signal(signal.SIGTERM)
        self.boshd.wait_log("shutdown.forced")
        self.assertEqual(self.boshd.wait_exit(timeout=5), 0)


class NotifyTest(BoshTestCase):
    start_boshd = False
    service = {"shutdown_grace": 1}

    def setUp(self):
        super().setUp()
        self.notify = NotifySocket()
        self.addCleanup(self.notify.close)

    def test_ready_status_watchdog_and_stopping_are_told_to_systemd(self):
        self.boshd = self.launch(self.boshd_config(), env={"NOTIFY_SOCKET": self.notify.path,
                                                           "WATCHDOG_USEC": "200000"})
        ready = self.notify.wait_for("READY=1")
        self.assertIn("STATUS=0 sessions", ready)
        # WATCHDOG_USEC=200000: a ping every 100 ms, from the event loop.
        self.notify.wait_for("WATCHDOG=1", timeout=2)
        s, conn = self.open_session()
        self.boshd.signal(signal.SIGTERM)
        self.notify.wait_for("STOPPING=1")
        self.assertEqual(self.boshd.wait_exit(), 0)
        states = self.notify.states()
        self.assertLess(states.index("READY=1"), states.index("STOPPING=1"))

    def test_without_notify_socket_nothing_is_sent(self):
        self.boshd = self.launch(self.boshd_config())
        self.open_session()
        time.sleep(0.3)
        self.assertEqual(self.notify.states(), [])


class SocketActivationTest(BoshTestCase):
    start_boshd = False

    def setUp(self):
        super().setUp()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.addCleanup(self.listener.close)
        # [http] listen names a port someone else holds: binding it would fail.
        self.taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.taken.bind(("127.0.0.1", 0))
        self.taken.listen(1)
        self.addCleanup(self.taken.close)
        self.http = {"listen": "127.0.0.1:%d" % self.taken.getsockname()[1]}

    def test_an_admin_socket_is_served_instead_of_admin_listen(self):
        admin = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        admin.bind(("127.0.0.1", 0))
        admin.listen(4)
        self.addCleanup(admin.close)
        config = make_config(self.routes(), http=self.http,
                             admin={"listen": self.http["listen"]})  # taken: unusable
        self.boshd = self.launch(config, listen_socket=self.listener, admin_socket=admin)
        self.boshd.wait_log("systemd.socket", name="admin")
        self.assertEqual(self.boshd.admin_port(), admin.getsockname()[1])
        self.assertEqual(admin_get(admin.getsockname()[1], "/healthz").status, 200)

    def test_the_passed_socket_is_served_instead_of_binding(self):
        self.boshd = self.launch(self.boshd_config(), listen_socket=self.listener)
        self.assertEqual(self.boshd.port, self.listener.getsockname()[1])
        self.boshd.wait_log("systemd.socket", name="bosh")
        s, conn = self.open_session()
        c, _ = s.send(message("activated"))
        conn.wait_data("activated")

    def test_a_restart_refuses_no_connection(self):
        port = self.listener.getsockname()[1]
        first = self.launch(self.boshd_config(), listen_socket=self.listener)
        self.assertEqual(first.stop(), 0)
        # No boshd runs now; the socket systemd (here: the test) holds still
        # accepts, and the request waits in its queue for the next boshd.
        early = HttpClient(port, timeout=10)
        self.addCleanup(early.close)
        pending = BoshSession(port)
        early.send("POST", PATH, pending.creation_body(rid=700),
                   [("Content-Type", "text/xml; charset=utf-8")])
        second = self.launch(self.boshd_config(), listen_socket=self.listener)
        r = early.read_response(timeout=10)
        self.assertEqual(r.status, 200)
        self.assertIsNone(r.xml().get("type"), r.body)
        self.assertTrue(r.xml().get("sid"))
        second.stop()


class ReloadTest(BoshTestCase):
    """SIGHUP re-reads the file: a changed limit, a route added and one
    removed, a broken file, a moved listener."""

    start_boshd = False

    def setUp(self):
        super().setUp()
        self.other = FakeXmppServer().start()
        self.addCleanup(self.other.stop)
        self.notify = NotifySocket()
        self.addCleanup(self.notify.close)
        self.boshd = self.launch(self.config(), env={"NOTIFY_SOCKET": self.notify.path})
        self.notify.wait_for("READY=1")

    def config(self, routes=("example.com", "other.example"), session=None, http=None,
               log_level="debug"):
        ports = {"example.com": self.xmpp.port, "other.example": self.other.port,
                 "third.example": self.other.port}
        return make_config([route(d, ports[d]) for d in routes], http=http, session=session,
                           log_level=log_level)

    def reload(self, text, event="config.reloaded", **fields):
        return self.boshd.reload(text, event, **fields)

    def open_on(self, server, to, port=None):
        before = len(server.conns)
        s = BoshSession(port or self.boshd.port, to=to)
        self._sessions.append(s)
        s.create(wait=30)
        return s, server.wait_connection(before)

    def test_live_sessions_go_on_a_removed_route_gets_host_gone_new_limits_apply(self):
        a, a_conn = self.open_on(self.xmpp, "example.com")
        b, b_conn = self.open_on(self.other, "other.example")
        self.assertEqual(a.creation.xml().get("wait"), "30")
        a_held, _ = a.send()
        self.reload(self.config(routes=("example.com", "third.example"),
                                session={"max_wait": 20}),
                    added="third.example", removed="other.example", routes="2")
        # RELOADING=1 (with MONOTONIC_USEC), then READY=1 again.
        reloading = self.notify.wait_for("RELOADING=1")
        self.assertTrue(any(line.startswith("MONOTONIC_USEC=") for line in reloading))
        states = self.notify.wait_count("READY=1", 2)
        self.assertLess(states.index("RELOADING=1"), len(states) - 1 - states[::-1].index("READY=1"))
        # The session on a kept route goes on, with what it negotiated.
        c, _ = a.send(message("after-reload"))
        a_conn.wait_data("after-reload")
        self.assertEmptyBody(a_held.read_response(timeout=5))  # hold = 1: c took its place
        a_conn.push(message("answer"))
        self.assertHasStanza(c.read_response(timeout=5), "message")
        # The removed route's session ends with host-gone on its next request.
        r = b.request(message("too-late"))
        self.assertTerminate(r, "host-gone")
        b_conn.wait_stream_closed()
        self.assertNotIn(b"too-late", bytes(b_conn.data))
        # New sessions: the new limit, the added route, not the removed one.
        n, _ = self.open_on(self.other, "third.example")
        self.assertEqual(n.creation.xml().get("wait"), "20")
        gone = BoshSession(self.boshd.port, to="other.example")
        self.assertTerminate(gone.conn().post(PATH, gone.creation_body()), "host-unknown")

    def test_a_broken_file_changes_nothing(self):
        a, a_conn = self.open_on(self.xmpp, "example.com")
        broken = self.config(routes=("third.example",)).replace("[session]",
                                                                 "[session]\nmax_wiat = 5")
        line = self.reload(broken, event="config.reload_failed")
        self.assertRegex(line["reason"], r"boshd\.toml:\d+:\d+: session\.max_wiat: unknown key")
        self.notify.wait_for("READY=1")
        # Nothing changed: the old routes serve, the new one does not.
        c, _ = a.send(message("still-routed"))
        a_conn.wait_data("still-routed")
        self.open_on(self.other, "other.example")
        third = BoshSession(self.boshd.port, to="third.example")
        self.assertTerminate(third.conn().post(PATH, third.creation_body()), "host-unknown")

    def test_a_moved_listener_is_bound_before_the_old_one_closes(self):
        a, a_conn = self.open_on(self.xmpp, "example.com")
        old_port = self.boshd.port
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            new_port = probe.getsockname()[1]
        self.reload(self.config(http={"listen": "127.0.0.1:%d" % new_port}))
        self.boshd.wait_log("http.listening", port=str(new_port))
        self.open_on(self.xmpp, "example.com", port=new_port)
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", old_port), timeout=2).close()
        # The session made on the old listener goes on over a new connection.
        c, _ = a.send(message("moved"), conn=HttpClient(new_port))
        a_conn.wait_data("moved")

    def test_a_listener_that_cannot_be_bound_refuses_the_whole_reload(self):
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        self.addCleanup(taken.close)
        port = taken.getsockname()[1]
        line = self.reload(self.config(routes=("third.example",),
                                       http={"listen": "127.0.0.1:%d" % port}),
                           event="config.reload_failed")
        self.assertIn("address already in use", line["reason"].lower())
        self.open_on(self.xmpp, "example.com")  # still on the old port, old routes

    def test_a_reload_opens_moves_and_closes_the_admin_listener(self):
        def free_port():
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                return probe.getsockname()[1]
        first, second = free_port(), free_port()
        self.reload(self.config() + '[admin]\nlisten = "127.0.0.1:%d"\n' % first)
        self.boshd.wait_log("admin.listening", port=str(first))
        self.assertEqual(admin_get(first, "/healthz").status, 200)
        self.reload(self.config() + '[admin]\nlisten = "127.0.0.1:%d"\n' % second)
        self.assertEqual(admin_get(second, "/healthz").status, 200)
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", first), timeout=2).close()
        self.reload(self.config())
        self.boshd.wait_log("admin.closed")
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", second), timeout=2).close()

    def test_the_log_level_follows_the_file(self):
        self.reload(self.config(log_level="notice"))
        before = self.boshd.count("http.request")
        self.open_on(self.xmpp, "example.com")
        self.reload(self.config(log_level="debug"))
        self.assertEqual(self.boshd.count("http.request"), before)

    def test_a_tls_file_that_cannot_be_read_refuses_the_reload(self):
        missing = os.path.join(self.boshd.dir, "no-such-ca.pem")
        text = self.config() + '[[route]]\ndomain = "third.example"\ntls = "starttls"\n' \
            'tls_ca_file = "%s"\n' % missing
        line = self.reload(text, event="config.reload_failed")
        self.assertIn("no-such-ca.pem", line["reason"])
        third = BoshSession(self.boshd.port, to="third.example")
        self.assertTerminate(third.conn().post(PATH, third.creation_body()), "host-unknown")
