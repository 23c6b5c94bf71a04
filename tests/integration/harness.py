"""The integration suite's client side and base test case, on top of
bosh-client's modules (scripts/lib/boshclient): the HTTP client (httpclient),
the fake XMPP server (fake_xmpp) and boshd process control (boshd).

BoshSession   a BOSH client session on top of HttpClient (body building, rids).
BoshTestCase  unittest base class: a fake XMPP server for example.com plus a
              boshd routed to it, both torn down (and checked) after each test.

The binary comes from $BOSHD (default build/src/boshd of this checkout).
"""

import os
import time
import unittest

from boshclient.boshd import PATH, Boshd, make_config, route
from boshclient.fake_xmpp import FakeXmppServer
from boshclient.httpclient import HTTPBIND_NS, HttpClient

# The checkout's own build by default, wherever the repository lives.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOSHD = os.environ.get("BOSHD", os.path.join(REPO_ROOT, "build", "src", "boshd"))
XBOSH_NS = "urn:xmpp:xbosh"
STREAMS_NS = "http://etherx.jabber.org/streams"
CLIENT_NS = "jabber:client"


# ---------------------------------------------------------------------------
# BOSH client

def q(value):
    """An XML attribute value in single quotes."""
    return "'" + (str(value).replace("&", "&amp;").replace("<", "&lt;").replace("'", "&apos;")) + "'"


def body_xml(attrs, payload=""):
    parts = ["<body"]
    for k, v in attrs.items():
        if v is None:
            continue
        parts.append(" %s=%s" % (k, q(v)))
    parts.append(" xmlns='%s'" % HTTPBIND_NS)
    if payload:
        return "".join(parts) + ">" + payload + "</body>"
    return "".join(parts) + "/>"


def attr(elem, local, ns=None):
    return elem.get("{%s}%s" % (ns, local) if ns else local)


def children(elem):
    return list(elem)


class BoshSession:
    """A client session: builds bodies, tracks rid and sid, opens connections."""

    def __init__(self, port, to="example.com", path=PATH, timeout=5.0, ssl_context=None):
        self.port = port
        self.ssl_context = ssl_context  # HTTPS when set (boshclient.testca)
        self.to = to
        self.path = path
        self.timeout = timeout
        self.sid = None
        self.rid = None            # the last rid sent
        self.conns = []
        self.creation = None       # creation response

    def conn(self):
        c = HttpClient(self.port, timeout=self.timeout, ssl_context=self.ssl_context)
        self.conns.append(c)
        return c

    def close(self):
        for c in self.conns:
            c.close()

    def creation_body(self, rid=1000, wait=10, hold=1, ver="1.11", lang="en", xmpp_version="1.0",
                      to=None, payload="", **extra):
        attrs = {"rid": rid, "to": self.to if to is None else to, "wait": wait, "hold": hold,
                 "ver": ver, "xml:lang": lang}
        if xmpp_version is not None:
            attrs["xmlns:xmpp"] = XBOSH_NS
            attrs["xmpp:version"] = xmpp_version
        attrs.update(extra)
        return body_xml(attrs, payload)

    def create(self, conn=None, rid=1000, headers=None, **kw):
        """Sends the creation request and returns its response; fails unless
        it created a session."""
        conn = conn or self.conn()
        resp = conn.post(self.path, self.creation_body(rid=rid, **kw), headers)
        self.creation = resp
        self.rid = rid
        assert resp.status == 200, resp
        root = resp.xml()
        assert root.get("type") is None, "creation failed: %r" % resp.body
        self.sid = root.get("sid")
        assert self.sid, "no sid in %r" % resp.body
        return resp

    def body(self, payload="", rid=None, **extra):
        attrs = {"rid": self.rid + 1 if rid is None else rid, "sid": self.sid}
        attrs.update(extra)
        return body_xml(attrs, payload)

    def send(self, payload="", conn=None, rid=None, headers=None, version="HTTP/1.1", **extra):
        """Sends a request without reading the reply: (conn, rid). The next
        rid is used unless |rid| is given; self.rid tracks the highest sent."""
        conn = conn or self.conn()
        rid = self.rid + 1 if rid is None else rid
        hdrs = [("Content-Type", "text/xml; charset=utf-8")] + list(headers or [])
        conn.send("POST", self.path, self.body(payload, rid=rid, **extra), hdrs, version)
        self.rid = max(self.rid, rid)
        return conn, rid

    def request(self, payload="", conn=None, rid=None, timeout=None, **extra):
        conn, _ = self.send(payload, conn=conn, rid=rid, **extra)
        return conn.read_response(timeout)


def cpu_seconds(pid):
    """User and system CPU time process |pid| has used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def message(text, to="user@example.com/r", frm=None, xmlns=True):
    ns = " xmlns='jabber:client'" if xmlns else ""
    f = " from=%s" % q(frm) if frm else ""
    return "<message%s to=%s%s type='chat'><body>%s</body></message>" % (ns, q(to), f, text)


# ---------------------------------------------------------------------------
# base test case

class BoshTestCase(unittest.TestCase):
    """A fake server for example.com and a boshd routed to it, per test.

    Subclasses tune them with the class attributes below or by overriding
    fake_options() / boshd_config()."""

    http = None
    session = None
    backend = None
    fake = {}
    start_boshd = True

    def fake_options(self):
        return dict(self.fake)

    def routes(self):
        return [route("example.com", self.xmpp.port)]

    service = None

    def boshd_config(self):
        return make_config(self.routes(), http=self.http, session=self.session,
                           backend=self.backend, service=self.service)

    def setUp(self):
        self.xmpp = FakeXmppServer(**self.fake_options()).start()
        self.addCleanup(self.xmpp.stop)
        self._sessions = []
        self.addCleanup(self._close_sessions)
        if self.start_boshd:
            self.boshd = self.launch(self.boshd_config())

    def launch(self, config_text, **boshd_options):
        b = Boshd(config_text, BOSHD, **boshd_options).start()
        # Cleanups run last-in first-out: boshd stops (and is checked) before
        # the client sockets and the fake server go away.
        self.addCleanup(b.stop)
        return b

    def _close_sessions(self):
        for s in self._sessions:
            s.close()

    def new_session(self, boshd=None, **kw):
        s = BoshSession((boshd or self.boshd).port, **kw)
        self._sessions.append(s)
        return s

    def client(self, boshd=None):
        s = self.new_session(boshd)
        return s.conn()

    def open_session(self, boshd=None, **create_kw):
        """A new session created against the fake server: (session, backend conn)."""
        before = len(self.xmpp.conns)
        s = self.new_session(boshd)
        s.create(**create_kw)
        conn = self.xmpp.wait_connection(before)
        return s, conn

    # ---- assertions on BOSH bodies
    def assertEmptyBody(self, resp):
        self.assertEqual(resp.status, 200, resp)
        root = resp.xml()
        self.assertEqual(list(root), [], "expected an empty <body/>: %r" % resp.body)
        self.assertIsNone(root.get("type"), resp.body)
        return root

    def assertTerminate(self, resp, condition, status=200):
        self.assertEqual(resp.status, status, resp)
        root = resp.xml()
        self.assertEqual(root.get("type"), "terminate", resp.body)
        self.assertEqual(root.get("condition"), condition, resp.body)
        return root

    def assertHasStanza(self, resp, local, ns=CLIENT_NS):
        root = resp.xml()
        found = root.findall("{%s}%s" % (ns, local))
        self.assertTrue(found, "no {%s}%s in %r" % (ns, local, resp.body))
        return found[0]

    def assertBoshHeaders(self, resp, content_type="text/xml; charset=utf-8"):
        self.assertEqual(resp.header("Content-Type"), content_type, resp.headers)
        self.assertEqual(int(resp.header("Content-Length")), len(resp.body))
        self.assertIsNone(resp.header("Transfer-Encoding"))
        self.assertEqual(resp.header("Cache-Control"), "no-store", resp.headers)
        self.assertEqual(resp.header("X-Accel-Buffering"), "no", resp.headers)

    def wait_requests_seen(self, n, boshd=None, timeout=5.0):
        """Waits until boshd has read |n| POST bodies in total (debug log)."""
        (boshd or self.boshd).wait_log("http.request", count=n, timeout=timeout)

    def requests_seen(self, boshd=None):
        return (boshd or self.boshd).count("http.request")

    def log_barrier(self, client, boshd=None):
        """Waits until boshd's log, as read so far, holds the http.request line
        of the last POST sent on |client| (an HttpClient): every line boshd
        wrote before it has then been collected too (stderr is read by a
        thread, which may lag behind the test)."""
        port = client.sock.getsockname()[1]
        (boshd or self.boshd).wait_log("http.request", peer="127.0.0.1:%d" % port)

    def assertLoggedOnce(self, before, events=("request.rejected", "session.terminated")):
        """Exactly one rejection/termination line since |before| (a count).
        Call it after a log_barrier() placed after the rejected request, or
        it only waits (bounded) for the first line to be collected."""
        deadline = time.monotonic() + 5
        while True:
            total = sum(self.boshd.count(e) for e in events)
            if total > before or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        self.assertEqual(total - before, 1, "expected exactly one new %s line; log tail:\n%s"
                         % ("/".join(events), self.boshd.stderr_tail()))

    def rejection_count(self, events=("request.rejected", "session.terminated")):
        return sum(self.boshd.count(e) for e in events)
