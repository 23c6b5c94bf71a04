"""The client side of a conversation over HTTP: send, expect, expect_raw,
expect_pending and drop (xep/FORMAT.md, "Steps").

Each `send` is one HTTP request, written on an idle keep-alive connection
when there is one and on a new connection otherwise, so a held request never
blocks the next one. Replies are read when a step asks for them; every read
is bounded. The HTTP client is httpclient's strict one: one Content-Length,
no chunking.
"""

import ssl
import urllib.parse
import xml.etree.ElementTree as ET

from . import httpclient
from .patterns import Pattern, Mismatch, substitute
from .runner import StepFailed, NEGATIVE_CHECK

HTTPBIND_NS = "http://jabber.org/protocol/httpbind"
STREAMS_NS = "http://etherx.jabber.org/streams"
DEFAULT_CONTENT_TYPE = "text/xml; charset=utf-8"


class TlsHttpClient(httpclient.HttpClient):
    """httpclient's client over TLS (https:// URLs), certificate verified.
    Decrypted bytes the TLS layer holds are read before waiting on select()."""

    def __init__(self, port, host, timeout, context):
        super().__init__(port, host=host, timeout=timeout)
        self.sock = context.wrap_socket(self.sock, server_hostname=host)

    def _fill(self, deadline, what):
        if self.sock.pending():
            self.buf += self.sock.recv(self.sock.pending())
            return
        super()._fill(deadline, what)

    def has_pending_data(self, timeout=0.0):
        if self.sock.pending():
            return True
        return super().has_pending_data(timeout)


class Endpoint:
    """Where the BOSH service is: http(s)://host[:port]/path."""

    def __init__(self, url, ca_file=None):
        u = urllib.parse.urlsplit(url)
        self.ca_file = ca_file       # trusted CAs for https (default: the system's)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError("not an http:// or https:// URL: %s" % url)
        self.url = url
        self.tls = u.scheme == "https"
        self.host = u.hostname
        self.port = u.port or (443 if self.tls else 80)
        self.path = (u.path or "/") + ("?" + u.query if u.query else "")
        default = 443 if self.tls else 80
        host = "[%s]" % self.host if ":" in self.host else self.host
        self.host_header = host if self.port == default else "%s:%d" % (host, self.port)

    def connect(self, timeout):
        if self.tls:
            context = ssl.create_default_context(cafile=self.ca_file)
            return TlsHttpClient(self.port, self.host, timeout, context)
        return httpclient.HttpClient(self.port, host=self.host, timeout=timeout)


class Request:
    def __init__(self, name, conn, body):
        self.name = name
        self.conn = conn
        self.body = body          # bytes sent
        self.response = None      # httpclient.Response once read
        self.consumed = False     # an expect step has used the reply
        self.dropped = False


def _text(data):
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


def describe_response(resp):
    return "%s %d %s\n%s" % (resp.version, resp.status, resp.reason, _text(resp.body))


class HttpSteps:
    """Mixin for Conversation: the HTTP verbs. Call http_init() first."""

    def http_init(self, endpoint):
        self.endpoint = endpoint
        self.requests = {}        # name -> Request
        self.sent = []            # Requests in send order
        self.idle = []            # keep-alive connections with nothing outstanding
        self.conns = []           # every connection opened
        self.last_features = None  # the last <stream:features/> a reply carried

    def close(self):
        for c in self.conns:
            c.close()

    # ---- sending
    def _connection(self, timeout):
        while self.idle:
            conn = self.idle.pop()
            try:
                usable = not conn.eof and not conn.has_pending_data(0)
            except OSError:
                usable = False
            if usable:
                return conn
            conn.close()
        try:
            conn = self.endpoint.connect(timeout)
        except (OSError, ssl.SSLError) as e:
            raise StepFailed("cannot connect to %s: %s" % (self.endpoint.url, e))
        self.conns.append(conn)
        return conn

    def post(self, body, name, headers=None, content_type=DEFAULT_CONTENT_TYPE, method="POST",
             timeout=5.0):
        """Sends |body| (text) as a new request called |name|; returns it."""
        if name in self.requests:
            raise StepFailed("request name %s is already used in this scenario" % name)
        conn = self._connection(timeout)
        hdrs = [("Host", self.endpoint.host_header), ("Content-Type", content_type)]
        hdrs += [(k, str(v)) for k, v in (headers or {}).items()]
        data = httpclient.HttpClient.build(method, self.endpoint.path, body, hdrs)
        self.log("> " + "\n> ".join(_text(data).split("\r\n")))
        try:
            conn.send_raw(data)
        except OSError as e:
            raise StepFailed("sending %s failed: %s" % (name, e))
        req = Request(name, conn, data)
        self.requests[name] = req
        self.sent.append(req)
        return req

    # ---- replies
    def request_named(self, name):
        if name not in self.requests:
            raise StepFailed("no request named %s (sent so far: %s)"
                             % (name, ", ".join(self.requests) or "none"))
        return self.requests[name]

    def oldest_unanswered(self):
        for req in self.sent:
            if not req.consumed and not req.dropped:
                return req
        return None

    def request_for(self, step):
        if "req" in step.mods:
            req = self.request_named(step.mods["req"])
        else:
            req = self.oldest_unanswered()
            if req is None:
                raise StepFailed("no request is waiting for a reply")
        if req.dropped:
            raise StepFailed("request %s was dropped" % req.name)
        if req.consumed:
            raise StepFailed("the reply to %s was already checked" % req.name)
        return req

    def reply(self, req, timeout):
        """The response to |req|, read within |timeout| if not read yet."""
        if req.response is None:
            try:
                req.response = req.conn.read_response(timeout)
            except AssertionError as e:   # NoResponse, HttpProtocolError
                raise StepFailed("no valid reply to %s: %s" % (req.name, e))
            resp = req.response
            self.log("< " + "\n< ".join(["%s %d %s" % (resp.version, resp.status, resp.reason)]
                                         + ["%s: %s" % h for h in resp.headers] + [""]
                                         + _text(resp.body).split("\n")))
            if self._reusable(resp):
                self.idle.append(req.conn)
            self._note_features(resp.body)
        self.refresh_variables()
        return req.response

    @staticmethod
    def _reusable(resp):
        connection = ",".join(resp.header_values("Connection")).lower()
        if resp.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection

    def _note_features(self, body):
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return
        found = root.find("{%s}features" % STREAMS_NS)
        if found is not None:
            self.last_features = found

    # ---- verbs
    def step_send(self, step):
        body = substitute(step.value, self.vars)
        # The default name is r<index>, the step's 0-based index in `steps`.
        name = step.mods.get("as", "r%d" % (step.number - 1))
        req = self.post(body, name, step.mods.get("headers"),
                        step.mods.get("content_type", DEFAULT_CONTENT_TYPE),
                        step.mods.get("method", "POST"), self.timeout(step))
        self.after_send(req, body)

    def after_send(self, req, body):
        """Hook: a request was sent (live runs track the rid here)."""

    def _check_head(self, step, resp):
        want = step.mods.get("status", 200 if step.verb == "expect" else None)
        if want is not None and resp.status != want:
            raise StepFailed("HTTP status %d, expected %d" % (resp.status, want),
                             [("actual", describe_response(resp))])
        if "content_type" in step.mods:
            got = resp.header("Content-Type")
            if got != step.mods["content_type"]:
                raise StepFailed("Content-Type is %r, expected %r" % (got, step.mods["content_type"]),
                                 [("actual", describe_response(resp))])

    def step_expect(self, step):
        req = self.request_for(step)
        resp = self.reply(req, self.timeout(step))
        req.consumed = True
        self._check_head(step, resp)
        pattern = Pattern(step.value)
        try:
            actual = ET.fromstring(resp.body)
        except ET.ParseError as e:
            raise StepFailed("the reply is not well-formed XML (%s)" % e,
                             [("expected", step.value), ("actual", describe_response(resp))])
        try:
            pattern.match(actual, self.vars, step.mods.get("absent", ()))
        except Mismatch as e:
            raise StepFailed("the reply to %s does not match: %s" % (req.name, e),
                             [("expected", step.value), ("actual", describe_response(resp))])
        if "capture_raw" in step.mods:
            self.vars[step.mods["capture_raw"]] = resp.body.decode("utf-8", "surrogateescape")

    def step_expect_raw(self, step):
        req = self.request_for(step)
        resp = self.reply(req, self.timeout(step))
        req.consumed = True
        self._check_head(step, resp)
        want = substitute(step.value, self.vars).encode("utf-8", "surrogateescape")
        if resp.body != want:
            at = next((i for i, (a, b) in enumerate(zip(resp.body, want)) if a != b),
                      min(len(resp.body), len(want)))
            raise StepFailed("the reply to %s differs from byte %d on (%d bytes, expected %d)"
                             % (req.name, at, len(resp.body), len(want)),
                             [("expected", _text(want)), ("actual", describe_response(resp))])

    def step_expect_pending(self, step):
        req = self.request_named(step.value)
        if req.dropped or req.consumed or req.response is not None:
            raise StepFailed("request %s is not pending (already %s)"
                             % (req.name, "dropped" if req.dropped else "answered"))
        try:
            arrived = req.conn.has_pending_data(NEGATIVE_CHECK)
        except OSError as e:
            raise StepFailed("the connection of %s failed: %s" % (req.name, e))
        if req.conn.eof:
            raise StepFailed("boshd closed the connection of %s without a reply" % req.name)
        if arrived:
            resp = self.reply(req, self.timeout(step))
            raise StepFailed("request %s was answered" % req.name,
                             [("actual", describe_response(resp))])

    def step_drop(self, step):
        req = self.request_named(step.value)
        if req.response is not None or req.consumed:
            raise StepFailed("request %s was already answered" % req.name)
        req.dropped = True
        req.conn.close()
        if req.conn in self.idle:
            self.idle.remove(req.conn)
        self.log("> (closed the connection of %s)" % req.name)
