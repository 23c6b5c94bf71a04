"""A scripted fake XMPP server: the backend of `bosh-client corpus` runs (the
server_* steps of xep/FORMAT.md) and of the integration suite
(tests/integration/).

One thread runs a selector loop for the listener and every accepted
connection, so TLS (done with ssl.MemoryBIO, never a blocking SSLSocket) and
pushes from the caller's thread never race. Callers talk to it through
methods that hand a command to the loop and wait (bounded) until it has run.

Per connection it records every application-level byte received (plaintext
before STARTTLS, decrypted bytes after), and a list of events in arrival order:

    ("header", attrs, restarted)   a <stream:stream> start tag; |restarted| is
                                   True when it came while the previous stream
                                   was still open (a restart without a closing tag)
    ("element", raw, elem)         a complete top-level element: its bytes and an
                                   ElementTree element (namespace-aware)
    ("close",)                     </stream:stream>
    ("tls",)                       the TLS handshake completed
    ("eof",)                       the peer closed the TCP connection

By default it answers each stream header with its own header and features,
answers SASL <auth/> with <success/> and a bind <iq/> with a result.
"""

import atexit
import heapq
import os
import re
import selectors
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

STREAMS_NS = "http://etherx.jabber.org/streams"
TLS_NS = "urn:ietf:params:xml:ns:xmpp-tls"
SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl"
BIND_NS = "urn:ietf:params:xml:ns:xmpp-bind"
CLIENT_NS = "jabber:client"

MECHANISMS = (
    "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
    "<mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms>"
)
DEFAULT_FEATURES = "<stream:features>" + MECHANISMS + "</stream:features>"
RESTART_FEATURES = (
    "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"
)
STARTTLS_FEATURE = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"

DEFAULT_TIMEOUT = 5.0


class Timeout(AssertionError):
    """A bounded wait ran out; fails the test with what was awaited."""


def _local(qname):
    return qname.split(":", 1)[-1]


_ATTR_RE = re.compile(rb"""([^\s=/>]+)\s*=\s*(?:'([^']*)'|"([^"]*)")""")


def _parse_start_tag(tag):
    """(qname, attrs, empty) for the bytes of a start or empty-element tag."""
    inner = tag[1:-1]
    empty = inner.endswith(b"/")
    if empty:
        inner = inner[:-1]
    m = re.match(rb"\s*([^\s/>]+)", inner)
    name = m.group(1).decode("utf-8", "replace") if m else ""
    attrs = {}
    for am in _ATTR_RE.finditer(inner, m.end() if m else 0):
        value = am.group(2) if am.group(2) is not None else am.group(3)
        attrs[am.group(1).decode("utf-8", "replace")] = _unescape(value.decode("utf-8", "replace"))
    return name, attrs, empty


def _unescape(text):
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


def _find_tag_end(buf):
    """Index of the '>' closing the tag at buf[0], skipping quoted values; -1 if incomplete."""
    quote = None
    for i in range(1, len(buf)):
        c = buf[i]
        if quote is not None:
            if c == quote:
                quote = None
        elif c in (0x27, 0x22):  # ' "
            quote = c
        elif c == 0x3E:  # >
            return i
    return -1


class StreamScanner:
    """Splits an XMPP stream (bytes, arriving in pieces) into headers,
    top-level elements and the closing tag. A second header while a stream is
    open is accepted (that is what a stream restart looks like on the wire)."""

    def __init__(self):
        self.buf = b""
        self.depth = 0
        self.cur = bytearray()
        self.ns_decls = {}

    def feed(self, data):
        self.buf += data
        events = []
        while self.buf:
            buf = self.buf
            if buf[:1] != b"<":
                i = buf.find(b"<")
                text = buf if i < 0 else buf[:i]
                if self.depth >= 2:
                    self.cur += text
                self.buf = buf[len(text):]
                continue
            for opener, closer in ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>")):
                if buf.startswith(opener):
                    j = buf.find(closer)
                    if j < 0:
                        return events
                    chunk = buf[:j + len(closer)]
                    if self.depth >= 2:
                        self.cur += chunk
                    elif self.depth == 1 and opener != b"<?":
                        events.append(("junk", chunk))
                    self.buf = buf[len(chunk):]
                    break
            else:
                if len(buf) < 2 or buf[:2] == b"<!" and len(buf) < 9:
                    return events
                j = _find_tag_end(buf)
                if j < 0:
                    return events
                tag = buf[:j + 1]
                self.buf = buf[j + 1:]
                self._tag(tag, events)
        return events

    def _tag(self, tag, events):
        if tag.startswith(b"</"):
            if self.depth <= 1:
                self.depth = 0
                events.append(("close",))
                return
            self.cur += tag
            self.depth -= 1
            if self.depth == 1:
                self._element(events)
            return
        name, attrs, empty = _parse_start_tag(tag)
        if _local(name) == "stream" and self.depth <= 1 and not tag.startswith(b"<!"):
            self.ns_decls = {k: v for k, v in attrs.items() if k == "xmlns" or k.startswith("xmlns:")}
            events.append(("header", attrs, self.depth == 1))
            self.depth = 0 if empty else 1
            return
        if self.depth == 0:
            events.append(("junk", tag))
            return
        self.cur += tag
        if empty:
            if self.depth == 1:
                self._element(events)
        else:
            self.depth += 1

    def _element(self, events):
        raw = bytes(self.cur)
        self.cur = bytearray()
        decls = dict(self.ns_decls)
        decls.setdefault("xmlns", CLIENT_NS)
        decls.setdefault("xmlns:stream", STREAMS_NS)
        wrapper = "<w " + " ".join("%s='%s'" % (k, v) for k, v in decls.items()) + ">"
        try:
            elem = ET.fromstring(wrapper.encode() + raw + b"</w>")[0]
        except ET.ParseError:
            elem = None
        events.append(("element", raw, elem))


_cert_lock = threading.Lock()
_cert_cache = {}


def make_self_signed_cert(cn="example.com"):
    """(cert_path, key_path) of a self-signed certificate for |cn|, made once
    per process with the openssl command line into a temporary directory."""
    with _cert_lock:
        if cn not in _cert_cache:
            d = tempfile.mkdtemp(prefix="boshd-it-cert-")
            atexit.register(shutil.rmtree, d, True)
            cert = os.path.join(d, "cert.pem")
            key = os.path.join(d, "key.pem")
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + cn,
                 "-days", "1", "-keyout", key, "-out", cert],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
            _cert_cache[cn] = (cert, key)
        return _cert_cache[cn]


class FakeConn:
    """One accepted connection. Its state is only changed by the loop thread,
    under the server's condition variable; tests read it through the wait_*
    helpers or under `with server.cond`."""

    def __init__(self, server, sock, index):
        self.server = server
        self.sock = sock
        self.index = index
        self.scanner = StreamScanner()
        self.data = bytearray()      # application-level bytes received
        self.events = []
        self.outbuf = bytearray()
        self.outbuf_pending = b""    # written while the TLS handshake runs
        self.tls = False             # TLS is active (handshake started)
        self.tls_ready = False
        self.tls_error = None
        self.sslobj = None
        self.inbio = None
        self.outbio = None
        self.eof = False             # the peer closed
        self.closed = False          # we closed (or the peer did)
        self.close_after_flush = False
        self.streams = 0             # headers received since the start or the last TLS upgrade
        self.stream_ids = []         # the id of each header we answered with, in order

    # ---- read-side views (call with or without the lock; lists only grow)
    def headers(self):
        return [e[1] for e in list(self.events) if e[0] == "header"]

    def elements(self):
        return [(e[1], e[2]) for e in list(self.events) if e[0] == "element"]

    def count(self, needle):
        if isinstance(needle, str):
            needle = needle.encode()
        return bytes(self.data).count(needle)

    def kinds(self):
        return [e[0] for e in list(self.events)]

    # ---- bounded waits
    def wait_headers(self, n=1, timeout=DEFAULT_TIMEOUT):
        self.server.wait_for(lambda: len(self.headers()) >= n, timeout,
                             "%d stream header(s) on connection %d" % (n, self.index))
        return self.headers()

    def wait_element(self, pred, timeout=DEFAULT_TIMEOUT, what=None):
        """First top-level element for which pred(raw, elem) is true. |pred|
        may also be a local name or a '{ns}local' tag."""
        if isinstance(pred, str):
            tag = pred
            def pred(raw, elem, tag=tag):
                if elem is None:
                    return False
                return elem.tag == tag if tag.startswith("{") else elem.tag.split("}")[-1] == tag
            what = what or "element %s" % tag
        found = []

        def check():
            for raw, elem in self.elements():
                if pred(raw, elem):
                    found.append((raw, elem))
                    return True
            return False
        self.server.wait_for(check, timeout, what or "a matching element")
        return found[0]

    def wait_data(self, needle, timeout=DEFAULT_TIMEOUT, count=1):
        if isinstance(needle, str):
            needle = needle.encode()
        self.server.wait_for(lambda: bytes(self.data).count(needle) >= count, timeout,
                             "%r x%d from boshd on connection %d" % (needle, count, self.index))

    def wait_stream_closed(self, timeout=DEFAULT_TIMEOUT):
        """</stream:stream> or a TCP close from boshd."""
        self.server.wait_for(lambda: "close" in self.kinds() or self.eof, timeout,
                             "boshd to close the stream on connection %d" % self.index)

    def wait_eof(self, timeout=DEFAULT_TIMEOUT):
        self.server.wait_for(lambda: self.eof, timeout, "boshd to close TCP connection %d" % self.index)

    def wait_tls(self, timeout=DEFAULT_TIMEOUT):
        self.server.wait_for(lambda: self.tls_ready or self.tls_error or self.closed, timeout,
                             "the TLS handshake on connection %d" % self.index)
        return self.tls_ready

    # ---- actions (run in the loop thread)
    def push(self, data):
        """Sends |data| to boshd (through TLS when it is up)."""
        if isinstance(data, str):
            data = data.encode()
        self.server.call(lambda: self._send(data))

    def send_stream_error(self, inner, close=False):
        """Sends <stream:error>inner</stream:error>, then optionally
        </stream:stream> and a TCP close."""
        data = "<stream:error>" + inner + "</stream:error>"
        if close:
            data += "</stream:stream>"
        self.push(data)
        if close:
            self.close()

    def close(self):
        """Closes the TCP connection once pending bytes are written."""
        def do():
            self.close_after_flush = True
            self.server._flush(self)
        self.server.call(do)

    # ---- loop-thread internals
    def _send(self, data):
        if self.closed:
            return
        if self.tls:
            if not self.tls_ready:
                self.outbuf_pending += data
                return
            self.sslobj.write(data)
            self.outbuf += self.outbio.read()
        else:
            self.outbuf += data
        self.server._flush(self)


class FakeXmppServer:
    """The fake server. Options (all may be changed on the instance before
    boshd connects):

    respond_header  answer each stream header with our own header
    features        features for the first stream (after TLS when STARTTLS is used)
    restart_features  features for later streams on the same connection
    features_delay  seconds between our header and the features
    starttls        "none" (not offered), "offer" (offered, upgrade on
                    <starttls/>) or "fail" (offered, answered with <failure/>)
    direct_tls      TLS from the first byte (a route with tls = "direct")
    tls_cert        (cert, key) used for STARTTLS and direct TLS; made on demand
    auto_sasl       answer <auth/> with <success/>
    auto_bind       answer a bind <iq type='set'/> with a result
    on_element      optional callable(conn, raw, elem) run for each element
    header_attrs    extra attributes (text) for our stream header, for
                    example namespace declarations stanzas then rely on
    host, port      where to listen (default: an ephemeral loopback port)

    refuse_next() makes the next accepted connection fail at once (reset).
    """

    def __init__(self, features=DEFAULT_FEATURES, restart_features=RESTART_FEATURES,
                 features_delay=0.0, starttls="none", tls_cert=None, respond_header=True,
                 auto_sasl=True, auto_bind=True, on_element=None, header_attrs="",
                 direct_tls=False, host="127.0.0.1", port=0):
        self.features = features
        self.restart_features = restart_features
        self.features_delay = features_delay
        self.starttls = starttls
        self.tls_cert = tls_cert
        self.respond_header = respond_header
        self.auto_sasl = auto_sasl
        self.auto_bind = auto_bind
        self.on_element = on_element
        self.header_attrs = header_attrs
        self.direct_tls = direct_tls
        self.cond = threading.Condition()
        self.conns = []
        self._sel = selectors.DefaultSelector()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, port))
        self._listener.listen(64)
        self._listener.setblocking(False)
        self.port = self._listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._commands = []
        self._timers = []
        self._timer_seq = 0
        self._stop = False
        self._ssl_ctx = None
        self._refuse = 0
        self._thread = threading.Thread(target=self._run, name="fake-xmpp-%d" % self.port,
                                        daemon=True)
        self.loop_error = None

    # ---- lifecycle
    def start(self):
        if self.starttls != "none" or self.direct_tls:
            self._ssl_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            cert, key = self.tls_cert or make_self_signed_cert()
            self._ssl_ctx.load_cert_chain(cert, key)
        self._sel.register(self._listener, selectors.EVENT_READ, ("listener", None))
        self._sel.register(self._wake_r, selectors.EVENT_READ, ("wake", None))
        self._thread.start()
        return self

    def stop(self):
        self._stop = True
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        self._thread.join(timeout=5)
        for c in self.conns:
            try:
                c.sock.close()
            except OSError:
                pass
        self._listener.close()
        self._wake_r.close()
        self._wake_w.close()

    # ---- test-side API
    def wait_for(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                if predicate():
                    return
                if self.loop_error:
                    raise AssertionError("fake XMPP server failed: %s" % self.loop_error)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Timeout("timed out after %.1f s waiting for %s" % (timeout, what))
                self.cond.wait(min(left, 0.05))

    def wait_connection(self, index=0, timeout=DEFAULT_TIMEOUT):
        self.wait_for(lambda: len(self.conns) > index, timeout,
                      "boshd to open backend connection #%d" % index)
        return self.conns[index]

    def call(self, fn, timeout=DEFAULT_TIMEOUT):
        """Runs |fn| in the loop thread and waits until it has run."""
        done = threading.Event()
        box = []

        def wrapped():
            try:
                fn()
            except Exception as e:  # reported to the caller
                box.append(e)
            finally:
                done.set()
        with self.cond:
            self._commands.append(wrapped)
        self._wake_w.send(b"x")
        if not done.wait(timeout):
            raise Timeout("fake XMPP server loop did not run a command within %.1f s" % timeout)
        if box:
            raise box[0]

    def refuse_next(self):
        """The next connection boshd opens is reset as soon as it is
        accepted (it never becomes one of self.conns)."""
        def do():
            self._refuse += 1
        self.call(do)

    # ---- loop
    def _run(self):
        try:
            while not self._stop:
                timeout = None
                if self._timers:
                    timeout = max(0.0, self._timers[0][0] - time.monotonic())
                for key, mask in self._sel.select(timeout if timeout is not None else 1.0):
                    kind, conn = key.data
                    if kind == "listener":
                        self._accept()
                    elif kind == "wake":
                        try:
                            while self._wake_r.recv(4096):
                                pass
                        except BlockingIOError:
                            pass
                    else:
                        if mask & selectors.EVENT_READ:
                            self._readable(conn)
                        if mask & selectors.EVENT_WRITE and not conn.closed:
                            self._flush(conn)
                with self.cond:
                    commands, self._commands = self._commands, []
                for cmd in commands:
                    with self.cond:
                        cmd()
                        self.cond.notify_all()
                now = time.monotonic()
                while self._timers and self._timers[0][0] <= now:
                    _, _, fn = heapq.heappop(self._timers)
                    with self.cond:
                        fn()
                        self.cond.notify_all()
        except Exception as e:  # surfaced to waiting tests
            import traceback
            with self.cond:
                self.loop_error = "%r\n%s" % (e, traceback.format_exc())
                self.cond.notify_all()

    def _later(self, delay, fn):
        self._timer_seq += 1
        heapq.heappush(self._timers, (time.monotonic() + delay, self._timer_seq, fn))

    def _accept(self):
        try:
            sock, _ = self._listener.accept()
        except BlockingIOError:
            return
        if self._refuse:
            self._refuse -= 1
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            return
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.cond:
            conn = FakeConn(self, sock, len(self.conns))
            if self.direct_tls:
                self._wrap_tls(conn)
            self.conns.append(conn)
            self.cond.notify_all()
        self._sel.register(sock, selectors.EVENT_READ, ("conn", conn))

    def _wrap_tls(self, conn):
        # Server side of a TLS handshake over memory BIOs; the loop pumps it.
        conn.inbio = ssl.MemoryBIO()
        conn.outbio = ssl.MemoryBIO()
        conn.sslobj = self._ssl_ctx.wrap_bio(conn.inbio, conn.outbio, server_side=True)
        conn.tls = True

    def _set_interest(self, conn):
        if conn.closed:
            return
        mask = selectors.EVENT_READ | (selectors.EVENT_WRITE if conn.outbuf else 0)
        self._sel.modify(conn.sock, mask, ("conn", conn))

    def _flush(self, conn):
        if conn.closed:
            return
        while conn.outbuf:
            try:
                n = conn.sock.send(conn.outbuf)
            except BlockingIOError:
                break
            except OSError:
                conn.outbuf.clear()
                self._close(conn)
                return
            del conn.outbuf[:n]
        if not conn.outbuf and conn.close_after_flush:
            self._close(conn)
            return
        self._set_interest(conn)

    def _close(self, conn):
        if conn.closed:
            return
        conn.closed = True
        try:
            self._sel.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        try:
            conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        conn.sock.close()
        with self.cond:
            self.cond.notify_all()

    def _readable(self, conn):
        try:
            data = conn.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            with self.cond:
                conn.eof = True
                conn.events.append(("eof",))
            self._close(conn)
            return
        if not conn.tls:
            self._plaintext(conn, data)
            return
        conn.inbio.write(data)
        if not conn.tls_ready:
            try:
                conn.sslobj.do_handshake()
            except ssl.SSLWantReadError:
                pass
            except (ssl.SSLError, OSError) as e:
                with self.cond:
                    conn.tls_error = str(e)
                conn.outbuf += conn.outbio.read()
                conn.close_after_flush = True
                self._flush(conn)
                return
            else:
                with self.cond:
                    conn.tls_ready = True
                    conn.events.append(("tls",))
                pending = conn.outbuf_pending
                if pending:
                    conn.outbuf_pending = b""
                    conn.sslobj.write(pending)
            conn.outbuf += conn.outbio.read()
            self._flush(conn)
            if not conn.tls_ready:
                return
        chunks = []
        while True:
            try:
                chunk = conn.sslobj.read(65536)
            except ssl.SSLWantReadError:
                break
            except (ssl.SSLZeroReturnError, ssl.SSLError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        conn.outbuf += conn.outbio.read()
        self._flush(conn)
        if chunks:
            self._plaintext(conn, b"".join(chunks))

    def _plaintext(self, conn, data):
        with self.cond:
            conn.data += data
            events = conn.scanner.feed(data)
            conn.events.extend(events)
            self.cond.notify_all()
        for ev in events:
            if conn.closed:
                return
            if ev[0] == "header":
                self._on_header(conn, ev[1])
            elif ev[0] == "element":
                self._on_element(conn, ev[1], ev[2])
                if conn.tls and not conn.tls_ready:
                    return  # the rest (none expected) belongs to the TLS layer

    def _on_header(self, conn, attrs):
        conn.streams += 1
        if not self.respond_header:
            return
        stream_no = conn.streams
        stream_id = "fake-%d-%d" % (conn.index, len(conn.headers()))
        conn.stream_ids.append(stream_id)
        header = ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                  "xmlns:stream='http://etherx.jabber.org/streams' id='%s' from='%s' "
                  "version='1.0'%s>" % (stream_id, attrs.get("to", ""),
                                        (" " + self.header_attrs) if self.header_attrs else ""))
        conn._send(header.encode())
        offer_tls = self.starttls != "none" and not conn.tls
        if offer_tls:
            features = "<stream:features>" + STARTTLS_FEATURE + MECHANISMS + "</stream:features>"
        elif stream_no == 1:
            features = self.features
        else:
            features = self.restart_features
        if features is None:
            return
        if self.features_delay > 0:
            self._later(self.features_delay, lambda: conn._send(features.encode()))
        else:
            conn._send(features.encode())

    def _on_element(self, conn, raw, elem):
        if self.on_element is not None:
            self.on_element(conn, raw, elem)
        if elem is None:
            return
        if elem.tag == "{%s}starttls" % TLS_NS:
            if self.starttls == "offer" and not conn.tls:
                conn._send(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
                self._flush(conn)
                self._wrap_tls(conn)
                conn.scanner = StreamScanner()
                conn.streams = 0
            else:
                conn._send(b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>")
                conn.close_after_flush = True
                self._flush(conn)
        elif elem.tag == "{%s}auth" % SASL_NS and self.auto_sasl:
            conn._send(b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")
        elif (elem.tag == "{%s}iq" % CLIENT_NS and self.auto_bind and elem.get("type") == "set"
              and elem.find("{%s}bind" % BIND_NS) is not None):
            resource = elem.findtext("{%s}bind/{%s}resource" % (BIND_NS, BIND_NS)) or "r"
            conn._send(("<iq type='result' id='%s'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                        "<jid>user@example.com/%s</jid></bind></iq>"
                        % (elem.get("id", ""), resource)).encode())


def closed_port():
    """A local TCP port with nothing listening on it (bound, then released)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
