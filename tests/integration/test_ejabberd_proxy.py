"""The PROXY protocol against a real XMPP server (README: "PROXY protocol"):
Debian's ejabberd (scripts/ejabberd, conf/ejabberd-test.yml) with
`use_proxy_protocol: true` on its c2s listener, boshd's route sending v1 or
v2, and a client forwarded by a trusted proxy. ejabberd must log the
forwarded address, not boshd's, for the login. ejabberd is a dependency of
the test suites (scripts/deps installs it): a missing one fails this test."""

import base64
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from boshclient.boshd import Boshd, make_config, route
from boshclient.httpclient import HttpClient
from harness import BOSHD, BoshSession, PATH

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EJABBERD = os.path.join(REPO, "scripts", "ejabberd")
SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl"


class EjabberdCase(unittest.TestCase):
    """A private ejabberd for the class, its c2s expecting the PROXY header."""

    ejabberd_options = []

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="boshd-ejabberd-")
        out = subprocess.run([EJABBERD, "start", "--dir", cls.dir, "--c2s-port", "0",
                              "--proxy-protocol"] + cls.ejabberd_options,
                             capture_output=True, text=True, timeout=90)
        if out.returncode != 0:
            shutil.rmtree(cls.dir, ignore_errors=True)
            raise AssertionError("scripts/ejabberd start failed (is Debian's ejabberd "
                                 "installed? scripts/deps installs it):\n" + out.stderr)
        cls.c2s_port = int(re.search(r"c2s=127\.0\.0\.1:(\d+)", out.stdout).group(1))

    @classmethod
    def tearDownClass(cls):
        subprocess.run([EJABBERD, "stop", "--dir", cls.dir], capture_output=True, timeout=30)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def ejabberd_log(self):
        with open(os.path.join(self.dir, "ejabberd.log"), errors="replace") as f:
            return f.read()

    def assertLogged(self, pattern):
        deadline = time.monotonic() + 10
        while not re.search(pattern, self.ejabberd_log()):
            if time.monotonic() > deadline:
                self.fail("ejabberd.log has no line matching %r; its tail:\n%s"
                          % (pattern, "\n".join(self.ejabberd_log().splitlines()[-20:])))
            time.sleep(0.1)


class EjabberdProxyProtocolTest(EjabberdCase):
    def login_through(self, version, client_address):
        b = Boshd(make_config([route("localhost", self.c2s_port, proxy_protocol=version)],
                              http={"trusted_proxies": ["127.0.0.1"]}), BOSHD).start()
        self.addCleanup(b.stop)
        s = BoshSession(b.port, to="localhost")
        self.addCleanup(s.close)
        xff = [("X-Forwarded-For", client_address)]
        conn = HttpClient(b.port)
        s.conns.append(conn)
        resp = s.create(conn=conn, headers=xff, wait=10)
        b.wait_log("session.created", ip=client_address)
        # The features may come with the creation reply or the next one.
        body = resp.body
        if b"mechanisms" not in body:
            body = s.request(timeout=15).body
        self.assertIn(b"PLAIN", body)
        token = base64.b64encode(b"\0alice\0alice-pw").decode()
        auth = "<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (SASL_NS, token)
        c, _ = s.send(auth, headers=xff)
        reply = c.read_response(15)
        self.assertIn(b"success", reply.body, reply)
        s.request(type="terminate")

    def test_v1_ejabberd_sees_the_forwarded_client(self):
        self.login_through("v1", "203.0.113.77")
        # The connection itself: from the client, to boshd's end of the link.
        self.assertLogged(r"Accepted proxied connection 203\.0\.113\.77:0 -> 127\.0\.0\.1:\d+")
        self.assertLogged(r"Accepted c2s PLAIN authentication for alice@localhost .*"
                          r"from 203\.0\.113\.77\b")

    def test_v2_ejabberd_sees_the_forwarded_client(self):
        self.login_through("v2", "2001:db8::77")
        self.assertLogged(r"Accepted c2s PLAIN authentication for alice@localhost .*"
                          r"from 2001:db8::77\b")


class EjabberdFail2banTest(EjabberdCase):
    """The issue's case: ejabberd's mod_fail2ban bans an address after failed
    logins. Behind boshd without the PROXY protocol that address is boshd's,
    and every BOSH user is banned at once; with it, only the client that
    failed is."""

    ejabberd_options = ["--fail2ban"]

    def attempt(self, b, client_address, password):
        """One login as alice through boshd: the creation reply (or the next,
        with the features) and, when the stream opened, the SASL answer."""
        s = BoshSession(b.port, to="localhost")
        self.addCleanup(s.close)
        xff = [("X-Forwarded-For", client_address)]
        conn = HttpClient(b.port)
        s.conns.append(conn)
        resp = conn.post(PATH, s.creation_body(wait=10), xff)
        root = resp.xml()
        if root.get("type") == "terminate":
            return resp
        s.sid, s.rid = root.get("sid"), 1000
        if b"mechanisms" not in resp.body:
            resp = s.request(timeout=15)
            if resp.xml().get("type") == "terminate":
                return resp
        token = base64.b64encode(b"\0alice\0" + password).decode()
        c, _ = s.send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (SASL_NS, token),
                      headers=xff)
        reply = c.read_response(15)
        if reply.xml().get("type") != "terminate":
            s.request(type="terminate")
        return reply

    def test_only_the_failing_client_is_banned(self):
        b = Boshd(make_config([route("localhost", self.c2s_port, proxy_protocol="v2")],
                              http={"trusted_proxies": ["127.0.0.1"]}), BOSHD).start()
        self.addCleanup(b.stop)
        # conf/ejabberd-test.yml: c2s_max_auth_failures: 5; the fifth failure
        # is answered with the ban itself.
        for _ in range(4):
            self.assertIn(b"not-authorized", self.attempt(b, "203.0.113.66", b"wrong").body)
        self.assertNotIn(b"success", self.attempt(b, "203.0.113.66", b"wrong").body)
        banned = self.attempt(b, "203.0.113.66", b"alice-pw")
        self.assertNotIn(b"success", banned.body, banned)
        self.assertEqual(banned.xml().get("type"), "terminate", banned)
        self.assertIn(b"203.0.113.66", banned.body)  # ejabberd names whom it banned
        # Another client behind the same proxy, through the same boshd, logs in.
        self.assertIn(b"success", self.attempt(b, "203.0.113.67", b"alice-pw").body)
