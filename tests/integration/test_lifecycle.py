"""Session lifetime over the wire: wait expiry, inactivity, client terminate,
SIGTERM drain, and the command line's exit codes (XEP-0124 §8, §10, §13,
§17.2; main.cpp sysexits)."""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from boshclient.boshd import make_config, route
from harness import BOSHD, BoshTestCase, message


class WaitAndInactivityTest(BoshTestCase):
    session = {"inactivity": 1}

    def test_C124_8_05_08_wait_expiry_answers_empty_body(self):
        s, conn = self.open_session(wait=1)
        resp = s.request(timeout=5)
        self.assertEmptyBody(resp)
        self.assertBoshHeaders(resp)
        self.assertGreaterEqual(resp.elapsed, 0.7, "answered before wait")
        self.assertLess(resp.elapsed, 2.5, "answered long after wait")
        self.assertNotIn(b"sid=", resp.body)   # C124-7.2-12

    def test_C124_10_01_02_inactivity_closes_stream_then_item_not_found(self):
        s, conn = self.open_session(wait=1)
        started = time.monotonic()
        conn.wait_stream_closed(timeout=5)     # about `inactivity` (1 s) after the reply
        self.assertGreaterEqual(time.monotonic() - started, 0.5)
        self.assertTrue(self.boshd.wait_log("session.expired", count=1, timeout=2))
        self.assertTerminate(s.request(), "item-not-found")

    def test_C124_10_03_no_expiry_while_a_request_is_held(self):
        # wait (2 s) > inactivity (1 s): the held request keeps the session alive.
        s, conn = self.open_session(wait=2)
        self.assertEmptyBody(s.request(timeout=5))
        c, _ = s.send(message("still-here"))
        conn.wait_data("still-here")
        conn.push(message("x"))
        self.assertHasStanza(c.read_response(), "message")
        self.assertEqual(self.boshd.count("session.expired"), 0)


class TerminateTest(BoshTestCase):

    def test_C124_13_01_02_03_client_terminate(self):
        s, conn = self.open_session()
        presence = "<presence type='unavailable' xmlns='jabber:client'/>"
        resp = s.request(presence, type="terminate")
        self.assertEqual(resp.status, 200)
        root = resp.xml()
        self.assertEqual(root.get("type"), "terminate", resp.body)
        self.assertIsNone(root.get("condition"), resp.body)
        conn.wait_data("</stream:stream>")
        data = bytes(conn.data)
        self.assertLess(data.index(b"unavailable"), data.index(b"</stream:stream>"))
        # C124-13-03 / C124-17.2-01: the sid is dead.
        self.boshd.wait_log("session.terminated", sid=s.sid)
        before = self.rejection_count()
        self.assertTerminate(s.request(), "item-not-found")
        self.assertLoggedOnce(before)

    def test_C124_13_02b_terminate_with_a_held_request(self):
        s, conn = self.open_session(hold=1)
        n = self.requests_seen()
        held, _ = s.send()
        self.wait_requests_seen(n + 1)
        term = s.request(type="terminate")
        first = held.read_response()
        self.assertEqual(first.xml().get("type"), "terminate", first.body)
        self.assertEmptyBody(term)
        conn.wait_stream_closed()

    def test_C124_13_04_terminate_waits_for_missing_rid(self):
        s, conn = self.open_session(hold=1)
        r0 = s.rid
        n = self.requests_seen()
        t, _ = s.send("<presence type='unavailable' xmlns='jabber:client'/>", rid=r0 + 2,
                      type="terminate")
        self.wait_requests_seen(n + 1)
        m, _ = s.send(message("before-terminate"), rid=r0 + 1)
        conn.wait_data("</stream:stream>")
        data = bytes(conn.data)
        self.assertLess(data.index(b"before-terminate"), data.index(b"unavailable"))
        self.assertLess(data.index(b"unavailable"), data.index(b"</stream:stream>"))
        self.assertEqual(m.read_response().xml().get("type"), "terminate")
        self.assertEmptyBody(t.read_response())


class ShutdownTest(BoshTestCase):

    def test_C124_17_2_14_sigterm_answers_held_requests_with_system_shutdown(self):
        sessions = [self.open_session(wait=10) for _ in range(2)]
        n = self.requests_seen()
        held = [s.send()[0] for s, _ in sessions]
        self.wait_requests_seen(n + 2)
        self.boshd.signal(signal.SIGTERM)
        for c in held:
            self.assertTerminate(c.read_response(timeout=5), "system-shutdown")
        for _, conn in sessions:
            conn.wait_stream_closed()
        rc = self.boshd.wait_exit()
        self.assertEqual(rc, 0)
        self.boshd.check_clean_exit(rc)

    def test_sigterm_with_no_sessions_exits_zero(self):
        self.boshd.signal(signal.SIGTERM)
        self.assertEqual(self.boshd.wait_exit(), 0)

    def test_sighup_does_not_kill(self):
        s, conn = self.open_session()
        self.boshd.signal(signal.SIGHUP)
        self.boshd.wait_log("signal.ignored", timeout=2)
        c, _ = s.send(message("after-hup"))
        conn.wait_data("after-hup")
        conn.push(message("x"))
        self.assertHasStanza(c.read_response(), "message")


class CommandLineTest(unittest.TestCase):

    def run_boshd(self, *args):
        return subprocess.run([BOSHD, *args], stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=10)

    def write(self, text):
        d = tempfile.mkdtemp(prefix="boshd-it-cli-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "boshd.toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_missing_config_file_exits_78(self):
        r = self.run_boshd("--config", "/nonexistent/missing.toml")
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertIn(b"missing.toml", r.stderr)

    def test_check_config_valid_exits_0(self):
        path = self.write(make_config([route("example.com", 5222)]))
        r = self.run_boshd("--config", path, "--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_check_config_shipped_example_is_valid(self):
        conf = os.path.join(os.path.dirname(__file__), "..", "..", "conf", "boshd.toml")
        r = self.run_boshd("--config", conf, "--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_invalid_config_exits_78_with_position(self):
        text = make_config([route("example.com", 5222)])
        path = self.write(text.replace("[session]\n", "[session]\nmax_wiat = 5\n"))
        r = self.run_boshd("--config", path, "--check-config")
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertRegex(r.stderr.decode(), r"boshd\.toml:\d+:\d+: session\.max_wiat: unknown key")
        r = self.run_boshd("--config", path)
        self.assertEqual(r.returncode, 78, r.stderr)

    def test_empty_config_name_exits_64(self):
        r = self.run_boshd("--config=")
        self.assertEqual(r.returncode, 64, r.stderr)

    def test_without_config_reads_the_default_file(self):
        # SYSCONFDIR/boshd/boshd.toml (92b96b2); --check-config, so nothing
        # starts whether or not that file exists here.
        r = self.run_boshd("--check-config")
        self.assertNotEqual(r.returncode, 64, r.stderr)
        self.assertIn(b"/boshd/boshd.toml", r.stdout + r.stderr)

    def test_unknown_argument_exits_64(self):
        r = self.run_boshd("--frobnicate")
        self.assertEqual(r.returncode, 64, r.stderr)

    def test_listen_port_in_use_exits_69(self):
        import socket
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        try:
            port = blocker.getsockname()[1]
            path = self.write(make_config([route("example.com", 5222)],
                                          http={"listen": "127.0.0.1:%d" % port}))
            r = self.run_boshd("--config", path)
            self.assertEqual(r.returncode, 69, r.stderr)
            # Says why, not only that it failed.
            self.assertIn(b"cannot listen on 127.0.0.1:%d" % port, r.stderr)
            self.assertIn(b"address already in use", r.stderr)
        finally:
            blocker.close()

    def test_listen_on_an_address_not_on_this_machine_says_so(self):
        # 192.0.2.0/24 is reserved for documentation (RFC 5737): bind() fails
        # locally, nothing is sent anywhere.
        path = self.write(make_config([route("example.com", 5222)],
                                      http={"listen": "192.0.2.1:5280"}))
        r = self.run_boshd("--config", path)
        self.assertEqual(r.returncode, 69, r.stderr)
        self.assertIn(b"cannot listen on 192.0.2.1:5280: no such address on this machine",
                      r.stderr)

    def test_unreadable_ca_file_fails_check_config_and_start_with_78(self):
        d = tempfile.mkdtemp(prefix="boshd-it-ca-")
        self.addCleanup(shutil.rmtree, d, True)
        missing = os.path.join(d, "missing.pem")
        path = self.write(make_config([route("example.com", 5222, tls="starttls",
                                             tls_ca_file=missing)]))
        for args in (("--check-config",), ()):
            r = self.run_boshd("--config", path, *args)
            self.assertEqual(r.returncode, 78, (args, r.stderr))
            self.assertIn(("tls_ca_file %s: No such file or directory" % missing).encode(),
                          r.stderr)
        # Even where it would not be used for verification: the configuration names it.
        path = self.write(make_config([route("example.com", 5222, tls="starttls",
                                             tls_verify=False, tls_ca_file=missing)]))
        r = self.run_boshd("--config", path, "--check-config")
        self.assertEqual(r.returncode, 78, r.stderr)

    def test_ca_file_without_a_certificate_fails_check_config_with_78(self):
        d = tempfile.mkdtemp(prefix="boshd-it-ca-")
        self.addCleanup(shutil.rmtree, d, True)
        junk = os.path.join(d, "junk.pem")
        with open(junk, "w") as f:
            f.write("not a certificate\n")
        path = self.write(make_config([route("example.com", 5222, tls="starttls",
                                             tls_ca_file=junk)]))
        r = self.run_boshd("--config", path, "--check-config")
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertIn(b"no CA certificate could be read from it", r.stderr)
