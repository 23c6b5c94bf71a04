"""A raw-socket HTTP/1.1 and HTTP/1.0 client: bosh-client's wire side
(wire.py) and the integration suite's (tests/integration/).

It is strict on purpose: every response must have a well-formed status line,
exactly one Content-Length, and no Transfer-Encoding (BOSH replies are whole
documents: XEP-0124 §5, C124-5-06); anything else is an AssertionError
(HttpProtocolError, NoResponse), which fails a test or a scenario step.
Every read is bounded by a timeout. One HttpClient is one TCP connection, so
keep-alive reuse, pipelining and "did the server close the socket?" are all
explicit.
"""

import re
import select
import socket
import struct
import time
import xml.etree.ElementTree as ET

HTTPBIND_NS = "http://jabber.org/protocol/httpbind"
DEFAULT_TIMEOUT = 5.0
MAX_HEAD = 64 * 1024


class HttpProtocolError(AssertionError):
    """The server broke HTTP framing (or the strictness rules above)."""


class NoResponse(AssertionError):
    """No (complete) response within the timeout, or the connection closed first."""


class Response:
    def __init__(self, version, status, reason, headers, body, elapsed):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers      # list of (name, value) in arrival order
        self.body = body            # bytes, exactly Content-Length of them
        self.elapsed = elapsed      # seconds from send (or read start) to the last byte

    def header(self, name):
        """The value of header |name| (case-insensitive); None when absent.
        Fails when it appears more than once."""
        values = self.header_values(name)
        if len(values) > 1:
            raise HttpProtocolError("header %s appears %d times: %r" % (name, len(values), values))
        return values[0] if values else None

    def header_values(self, name):
        lname = name.lower()
        return [v for n, v in self.headers if n.lower() == lname]

    @property
    def text(self):
        return self.body.decode("utf-8")

    def xml(self):
        """The entity as a BOSH <body/> (namespace-aware; fails if it is not one)."""
        try:
            root = ET.fromstring(self.body)
        except ET.ParseError as e:
            raise AssertionError("response entity is not well-formed XML (%s): %r" % (e, self.body))
        if root.tag != "{%s}body" % HTTPBIND_NS:
            raise AssertionError("response root is %s, not an httpbind <body/>: %r" % (root.tag, self.body))
        return root

    def __repr__(self):
        return "<Response %s %d %r>" % (self.version, self.status, self.body[:300])


class HttpClient:
    """One TCP connection to boshd."""

    def __init__(self, port, host="127.0.0.1", timeout=DEFAULT_TIMEOUT, source=None,
                 ssl_context=None, server_hostname="localhost"):
        """|source|: the local address to connect from (e.g. "127.0.0.2":
        Linux routes all of 127/8 on lo), to appear as another client.
        |ssl_context|: speak HTTPS, checking the certificate for
        |server_hostname|; the handshake is done here (ssl.SSLError when it fails)."""
        self.host = host
        self.port = port
        self.timeout = timeout
        self.sock = socket.create_connection(
            (host, port), timeout=timeout,
            source_address=(source, 0) if source else None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ssl_context is not None:
            try:
                self.sock = ssl_context.wrap_socket(self.sock, server_hostname=server_hostname)
            except BaseException:
                self.sock.close()
                raise
        self.buf = b""
        self.eof = False
        self.sent_at = []           # send times, for Response.elapsed

    # ---- sending
    @staticmethod
    def build(method, path, body=b"", headers=None, version="HTTP/1.1", host="127.0.0.1"):
        if isinstance(body, str):
            body = body.encode("utf-8")
        lines = ["%s %s %s" % (method, path, version)]
        names = {n.lower() for n, _ in (headers or [])}
        if "host" not in names:
            lines.append("Host: %s" % host)
        for n, v in headers or []:
            lines.append("%s: %s" % (n, v))
        if method in ("POST", "PUT") and "content-length" not in names:
            lines.append("Content-Length: %d" % len(body))
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    def send_raw(self, data):
        self.sent_at.append(time.monotonic())
        self.sock.sendall(data)

    def send(self, method, path, body=b"", headers=None, version="HTTP/1.1"):
        self.send_raw(self.build(method, path, body, headers, version))

    def send_pipelined(self, requests):
        """Writes several requests back to back in one send (HTTP pipelining);
        |requests| holds (method, path, body, headers) tuples. Read the
        responses with read_response(), in order."""
        data = b"".join(self.build(m, p, b, h) for m, p, b, h in requests)
        now = time.monotonic()
        self.sent_at.extend([now] * len(requests))
        self.sock.sendall(data)

    def request(self, method, path, body=b"", headers=None, version="HTTP/1.1", timeout=None,
                head=False):
        self.send(method, path, body, headers, version)
        return self.read_response(timeout, head=head)

    def post(self, path, body, headers=None, version="HTTP/1.1", timeout=None):
        hdrs = [("Content-Type", "text/xml; charset=utf-8")] + list(headers or [])
        return self.request("POST", path, body, hdrs, version, timeout)

    # ---- receiving
    def _readable(self, timeout):
        # A TLS socket may hold decrypted bytes that select() cannot see.
        pending = getattr(self.sock, "pending", None)
        if pending is not None and pending() > 0:
            return True
        r, _, _ = select.select([self.sock], [], [], timeout)
        return bool(r)

    def _fill(self, deadline, what):
        left = deadline - time.monotonic()
        if left <= 0:
            raise NoResponse("no %s within the timeout; got so far %r" % (what, self.buf[:500]))
        if not self._readable(left):
            raise NoResponse("no %s within the timeout; got so far %r" % (what, self.buf[:500]))
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            raise NoResponse("connection closed by boshd before a complete %s; got %r"
                             % (what, self.buf[:500]))
        self.buf += chunk

    def read_response(self, timeout=None, head=False, close_delimited_ok=False):
        """The next response. Strict unless told otherwise: a HEAD response
        (|head|) has no body and may omit Content-Length; with
        |close_delimited_ok| a response without Content-Length is read until
        boshd closes the connection (only for tests that are about something
        else and must not stop at that framing check)."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        started = self.sent_at.pop(0) if self.sent_at else time.monotonic()
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > MAX_HEAD:
                raise HttpProtocolError("response head larger than %d bytes" % MAX_HEAD)
            self._fill(deadline, "response head")
        head_bytes, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head_bytes.decode("latin-1").split("\r\n")
        m = re.fullmatch(r"(HTTP/1\.[01]) (\d{3}) ?(.*)", lines[0])
        if not m:
            raise HttpProtocolError("bad status line %r" % lines[0])
        headers = []
        for line in lines[1:]:
            if not line or line[0] in " \t" or ":" not in line:
                raise HttpProtocolError("bad header line %r" % line)
            name, value = line.split(":", 1)
            if name != name.strip() or not name:
                raise HttpProtocolError("bad header name %r" % name)
            headers.append((name, value.strip()))
        te = [v for n, v in headers if n.lower() == "transfer-encoding"]
        if te:
            raise HttpProtocolError("Transfer-Encoding %r in a BOSH response (C124-5-06)" % te)
        cl = [v for n, v in headers if n.lower() == "content-length"]
        if not cl and (head or close_delimited_ok):
            if head:
                length = 0
            else:
                while not self.eof:
                    try:
                        self._fill(deadline, "close-delimited body")
                    except NoResponse:
                        if not self.eof:
                            raise
                length = len(self.buf)
        elif len(cl) != 1 or not cl[0].isdigit():
            raise HttpProtocolError("response %r needs exactly one numeric Content-Length, has %r"
                                    % (lines[0], cl))
        else:
            length = 0 if head else int(cl[0])
        while len(self.buf) < length:
            self._fill(deadline, "response body (%d of %d bytes)" % (len(self.buf), length))
        body, self.buf = self.buf[:length], self.buf[length:]
        return Response(m.group(1), int(m.group(2)), m.group(3), headers, body,
                        time.monotonic() - started)

    def closed_by_peer(self, timeout=2.0):
        """True if boshd closes the connection within |timeout| without sending
        anything more; False if it stays open. Unexpected bytes fail."""
        deadline = time.monotonic() + timeout
        while True:
            if self.eof:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if not self._readable(left):
                return False
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.eof = True
                break
            self.buf += chunk
        if self.buf:
            raise HttpProtocolError("unexpected bytes before the close: %r" % self.buf[:300])
        return True

    def has_pending_data(self, timeout=0.0):
        """True if bytes are buffered or arrive within |timeout| (non-consuming)."""
        if self.buf:
            return True
        if not self._readable(timeout):
            return False
        chunk = self.sock.recv(65536)
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def reset(self):
        """Abort the connection with a TCP RST (SO_LINGER 0) instead of a FIN."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
