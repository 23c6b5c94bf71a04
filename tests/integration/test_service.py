"""boshd as a system service, seen from outside: the drain on SIGTERM, what it
tells systemd (sd_notify over a fake NOTIFY_SOCKET) and socket activation
(a listening socket handed over as descriptor 3, as systemd does)."""

import os
import signal
import socket
import tempfile
import threading
import time

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

    def wait_for(self, state, timeout=5.0):
        """Waits until a datagram holds the line |state|; returns its lines."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for m in self.messages:
                    if state in m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no %r within %.0f s; got %r" % (state, timeout,
                                                                           self.messages))
                self.changed.wait(left)

    def states(self):
        """Every line received so far, in order."""
        with self.changed:
            return [line for m in self.messages for line in m]


class DrainTest(BoshTestCase):
    service = {"shutdown_grace": 2}

    def test_C124_17_2_14_drain_refuses_new_sessions_and_ends_the_rest_after_the_grace(self):
        s, conn = self.open_session(wait=30)
        held, _ = s.send()
        self.wait_requests_seen(2)
        self.boshd.signal(signal.SIGTERM)
        # Every held request is answered at once...
        self.assertEmptyBody(held.read_response(timeout=5))
        self.boshd.wait_log("shutdown.begin", grace="2", sessions="1")
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
        s, conn = self.open_session(wait=30)
        held, _ = s.send()
        self.wait_requests_seen(2)
        self.boshd.signal(signal.SIGTERM)
        self.assertEmptyBody(held.read_response(timeout=5))
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
