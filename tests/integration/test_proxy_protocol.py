"""[[route]] proxy_protocol (README: "PROXY protocol"): what a backend
connection carries before anything else, read by a raw listener standing in
for the XMPP server. ejabberd's reading of it is tested in tests/e2e/proxy.sh."""

import socket
import struct
import threading

from boshclient.boshd import make_config, route
from boshclient.httpclient import HttpClient
from harness import BoshTestCase, PATH

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


class RawServer:
    """Accepts one connection and keeps its first bytes."""

    def __init__(self, want):
        self.want = want          # bytes to read before handing over
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(10)
        self.port = self.sock.getsockname()[1]
        self.data = b""
        self.peer = None
        self.done = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        try:
            c, self.peer = self.sock.accept()
            c.settimeout(10)
            while len(self.data) < self.want:
                chunk = c.recv(4096)
                if not chunk:
                    break
                self.data += chunk
            self.conn = c
        finally:
            self.done.set()

    def close(self):
        self.sock.close()


class ProxyProtocolTest(BoshTestCase):
    start_boshd = False

    def start(self, version, tls="none", trusted=("127.0.0.1",), want=200):
        server = RawServer(want)
        self.addCleanup(server.close)
        extra = {"proxy_protocol": version}
        if tls != "none":
            extra.update(tls_verify=False)
        self.boshd = self.launch(make_config(
            [route("example.com", server.port, tls=tls, **extra)],
            http={"trusted_proxies": list(trusted)}))
        return server

    def create(self, headers=None, source=None):
        s = self.new_session()
        conn = HttpClient(self.boshd.port, source=source)
        s.conns.append(conn)
        conn.send("POST", PATH, s.creation_body(), headers)
        return conn

    def test_v1_names_the_forwarded_client_port_0_and_boshds_end(self):
        server = self.start("v1", want=60)
        self.create([("X-Forwarded-For", "203.0.113.7")])
        self.assertTrue(server.done.wait(10))
        line, _, rest = server.data.partition(b"\r\n")
        # boshd's end of the connection is what the server sees as its peer.
        self.assertEqual(line.decode(), "PROXY TCP4 203.0.113.7 %s 0 %d"
                         % (server.peer[0], server.peer[1]))
        self.assertTrue(rest.startswith(b"<?xml") or rest.startswith(b"<stream"), rest)

    def test_v1_forwarded_port_and_ipv6_client(self):
        server = self.start("v1", want=60)
        self.create([("Forwarded", 'for="[2001:db8::7]:4711"')])
        self.assertTrue(server.done.wait(10))
        line = server.data.partition(b"\r\n")[0].decode()
        self.assertEqual(line, "PROXY TCP6 2001:db8::7 ::ffff:7f00:1 4711 %d" % server.peer[1])

    def test_v2_binary_header_with_the_peer_as_client(self):
        # Not trusted: the peer is the client, with its own port.
        server = self.start("v2", trusted=(), want=28)
        conn = self.create([("X-Forwarded-For", "203.0.113.7")], source="127.0.0.5")
        client_port = conn.sock.getsockname()[1]
        self.assertTrue(server.done.wait(10))
        head = server.data[:28]
        self.assertEqual(head[:12], V2_SIGNATURE)
        self.assertEqual(head[12:16], b"\x21\x11\x00\x0c")
        src, dst, sport, dport = struct.unpack("!4s4sHH", head[16:28])
        self.assertEqual(socket.inet_ntoa(src), "127.0.0.5")
        self.assertEqual(socket.inet_ntoa(dst), server.peer[0])
        self.assertEqual(sport, client_port)
        self.assertEqual(dport, server.peer[1])

    def test_direct_tls_header_goes_first_in_plaintext(self):
        server = self.start("v1", tls="direct", want=70)
        self.create([("X-Forwarded-For", "203.0.113.8")])
        self.assertTrue(server.done.wait(10))
        line, _, rest = server.data.partition(b"\r\n")
        self.assertTrue(line.startswith(b"PROXY TCP4 203.0.113.8 "), server.data)
        self.assertEqual(rest[:1], b"\x16")  # a TLS handshake record: the ClientHello

    def test_off_sends_no_header(self):
        server = self.start("off", want=5)
        self.create([("X-Forwarded-For", "203.0.113.7")])
        self.assertTrue(server.done.wait(10))
        self.assertTrue(server.data.startswith(b"<"), server.data)
