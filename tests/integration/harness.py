"""Runs the real boshd binary for the integration suite.

Boshd       one boshd process with a temporary TOML config (listen
            127.0.0.1:0, routes to fake servers, short limits); waits for the
            `READY port=N` line, collects stderr, stops it with SIGTERM and
            checks exit code 0 and the absence of sanitizer reports.
BoshSession a BOSH client session on top of bosh_http (body building, rids).
BoshTestCase  unittest base class: a fake XMPP server for example.com plus a
            boshd routed to it, both torn down (and checked) after each test.

The binary comes from $BOSHD (default build/src/boshd of this checkout).
"""

import atexit
import os
import queue
import resource
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import xml.etree.ElementTree as ET

from bosh_http import HTTPBIND_NS, HttpClient
from fake_xmpp import FakeXmppServer

# The checkout's own build by default, wherever the repository lives.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOSHD = os.environ.get("BOSHD", os.path.join(REPO_ROOT, "build", "src", "boshd"))
XBOSH_NS = "urn:xmpp:xbosh"
STREAMS_NS = "http://etherx.jabber.org/streams"
CLIENT_NS = "jabber:client"
PATH = "/http-bind"

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer",
                   "WARNING: ThreadSanitizer")

_live = set()


@atexit.register
def _kill_leftovers():
    for p in list(_live):
        if p.poll() is None:
            p.kill()


# ---------------------------------------------------------------------------
# config

def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(v)


def route(domain, port, host="127.0.0.1", tls="none", **extra):
    r = {"domain": domain, "host": host, "port": port, "tls": tls}
    r.update(extra)
    return r


def make_config(routes, http=None, session=None, backend=None, log_level="debug"):
    """TOML text. Defaults suited to tests: any free port, polling disabled
    (so that quick successive empty requests are not policy violations unless
    a test asks for it), debug logging (tests synchronise on log lines)."""
    tables = {
        "http": {"listen": "127.0.0.1:0", "path": PATH},
        "session": {"polling": 0},
        "backend": {},
        "log": {"level": log_level},
    }
    for name, extra in (("http", http), ("session", session), ("backend", backend)):
        tables[name].update(extra or {})
    out = []
    for name, values in tables.items():
        out.append("[%s]" % name)
        out.extend("%s = %s" % (k, _toml_value(v)) for k, v in values.items())
        out.append("")
    for r in routes:
        out.append("[[route]]")
        out.extend("%s = %s" % (k, _toml_value(v)) for k, v in r.items())
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# the process

class Boshd:
    def __init__(self, config_text, binary=None, max_files=None):
        self.binary = binary or BOSHD
        self.max_files = max_files  # RLIMIT_NOFILE for the process, when set
        self.dir = tempfile.mkdtemp(prefix="boshd-it-")
        self.config_path = os.path.join(self.dir, "boshd.toml")
        with open(self.config_path, "w") as f:
            f.write(config_text)
        self.config_text = config_text
        self.proc = None
        self._pumps = []
        self.port = None
        self.stdout_lines = queue.Queue()
        self._stderr = []
        self._lock = threading.Condition()
        self.returncode = None

    # ---- lifecycle
    def start(self, timeout=START_TIMEOUT):
        limit = None
        if self.max_files is not None:
            n = self.max_files
            limit = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))  # noqa: E731
        self.proc = subprocess.Popen([self.binary, "--config", self.config_path],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, preexec_fn=limit)
        _live.add(self.proc)
        self._pumps = [threading.Thread(target=self._pump_stderr, daemon=True),
                       threading.Thread(target=self._pump_stdout, daemon=True)]
        for t in self._pumps:
            t.start()
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise AssertionError("boshd printed no READY line within %.0f s; stderr:\n%s"
                                     % (timeout, self.stderr_text()))
            try:
                line = self.stdout_lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(timeout=5)
                raise AssertionError("boshd exited (%s) before READY; stderr:\n%s"
                                     % (self.proc.returncode, self.stderr_text()))
            m = re.fullmatch(r"READY port=(\d+)", line.strip())
            if m:
                self.port = int(m.group(1))
                return self

    def _pump_stderr(self):
        for raw in self.proc.stderr:
            with self._lock:
                self._stderr.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._lock.notify_all()

    def _pump_stdout(self):
        for raw in self.proc.stdout:
            self.stdout_lines.put(raw.decode("utf-8", "replace"))
        self.stdout_lines.put(None)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=STOP_TIMEOUT):
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("boshd did not exit within %.0f s of SIGTERM; stderr tail:\n%s"
                                 % (timeout, self.stderr_tail()))
        _live.discard(self.proc)
        return self.returncode

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM; asserts exit code 0 and no sanitizer report."""
        try:
            if self.proc is None:
                return None
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            rc = self.wait_exit(timeout)
            self.check_clean_exit(rc)
            return rc
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def check_clean_exit(self, rc):
        # Collect every line boshd wrote before exiting (the pumps end at EOF).
        for t in self._pumps:
            t.join(timeout=5)
        text = self.stderr_text()
        for mark in SANITIZER_MARKS:
            if mark in text:
                raise AssertionError("sanitizer report in boshd stderr (%s):\n%s" % (mark, text))
        if rc != 0:
            raise AssertionError("boshd exited with %s, expected 0; stderr tail:\n%s"
                                 % (rc, self.stderr_tail()))

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        _live.discard(self.proc)

    # ---- logs
    def stderr_lines(self):
        with self._lock:
            return list(self._stderr)

    def stderr_text(self):
        return "\n".join(self.stderr_lines())

    def stderr_tail(self, n=40):
        return "\n".join(self.stderr_lines()[-n:])

    @staticmethod
    def parse_line(line):
        """(level, event, fields) of a log line 'TIMESTAMP level event k=v ...'."""
        parts = line.split(" ", 3)
        if len(parts) < 3:
            return None, None, {}
        level, event = parts[1], parts[2]
        rest = parts[3] if len(parts) > 3 else ""
        fields = {}
        for m in re.finditer(r'(\w[\w.-]*)=("(?:[^"\\]|\\.)*"|\S+)', rest):
            v = m.group(2)
            if v.startswith('"'):
                v = re.sub(r"\\(.)", r"\1", v[1:-1])
            fields[m.group(1)] = v
        return level, event, fields

    def log_events(self, event, **fields):
        """Log lines (as (level, fields)) for |event| whose fields match."""
        out = []
        for line in self.stderr_lines():
            level, ev, f = self.parse_line(line)
            if ev == event and all(f.get(k) == str(v) for k, v in fields.items()):
                out.append((level, f))
        return out

    def count(self, event, **fields):
        return len(self.log_events(event, **fields))

    def wait_log(self, event, count=1, timeout=5.0, **fields):
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = self.log_events(event, **fields)
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out after %.1f s waiting for %d x log %s %r; tail:\n%s"
                                         % (timeout, count, event, fields, self.stderr_tail()))
                self._lock.wait(min(left, 0.1))


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

    def __init__(self, port, to="example.com", path=PATH, timeout=5.0):
        self.port = port
        self.to = to
        self.path = path
        self.timeout = timeout
        self.sid = None
        self.rid = None            # the last rid sent
        self.conns = []
        self.creation = None       # creation response

    def conn(self):
        c = HttpClient(self.port, timeout=self.timeout)
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

    def boshd_config(self):
        return make_config(self.routes(), http=self.http, session=self.session,
                           backend=self.backend)

    def setUp(self):
        self.xmpp = FakeXmppServer(**self.fake_options()).start()
        self.addCleanup(self.xmpp.stop)
        self._sessions = []
        self.addCleanup(self._close_sessions)
        if self.start_boshd:
            self.boshd = self.launch(self.boshd_config())

    def launch(self, config_text):
        b = Boshd(config_text).start()
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
