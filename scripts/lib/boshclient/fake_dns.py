"""A small authoritative DNS server for tests, standard library only: it
answers SRV, A and AAAA queries from a table over UDP on loopback, and counts
the queries it gets.

    dns = FakeDns({
        "_xmpp-client._tcp.example.test": [srv(0, 0, 5299, "xmpp.example.test", ttl=300)],
        "xmpp.example.test": [a("127.0.0.1")],
        "empty.example.test": [],            # the name exists, no records: NODATA
    }).start()
    ... dns.port ... dns.queries  # [("xmpp.example.test", "A"), ...]
    dns.stop()

A name absent from the table is NXDOMAIN. Answers are far below 512 bytes,
so a resolver never needs TCP (no truncation), and TCP is not served.
"""

import socket
import struct
import threading

TYPES = {1: "A", 28: "AAAA", 33: "SRV"}
CODES = {name: code for code, name in TYPES.items()}
NOERROR, FORMERR, NXDOMAIN = 0, 1, 3


def srv(priority, weight, port, target, ttl=300):
    return ("SRV", ttl, (priority, weight, port, target))


def a(address, ttl=300):
    return ("A", ttl, address)


def aaaa(address, ttl=300):
    return ("AAAA", ttl, address)


def encode_name(name):
    name = name.rstrip(".")
    out = b""
    for label in name.split(".") if name else []:
        raw = label.encode("ascii")
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def parse_question(packet):
    """(id, flags, name, qtype, end of question) of a query, or None."""
    if len(packet) < 12:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", packet[:6])
    if qdcount != 1:
        return None
    labels, i = [], 12
    while True:
        if i >= len(packet):
            return None
        n = packet[i]
        i += 1
        if n == 0:
            break
        if n & 0xC0 or i + n > len(packet):  # no compression in a question we accept
            return None
        labels.append(packet[i:i + n].decode("ascii", "replace"))
        i += n
    if i + 4 > len(packet):
        return None
    qtype, _qclass = struct.unpack("!HH", packet[i:i + 4])
    return qid, flags, ".".join(labels).lower(), qtype, i + 4


def rdata(kind, value):
    if kind == "A":
        return socket.inet_pton(socket.AF_INET, value)
    if kind == "AAAA":
        return socket.inet_pton(socket.AF_INET6, value)
    priority, weight, port, target = value
    return struct.pack("!HHH", priority, weight, port) + encode_name(target)


def answer(packet, table):
    """The reply to |packet| (bytes), with the question's (name, type name)."""
    q = parse_question(packet)
    if q is None:
        qid = struct.unpack("!H", packet[:2])[0] if len(packet) >= 2 else 0
        return struct.pack("!HHHHHH", qid, 0x8000 | FORMERR, 0, 0, 0, 0), None
    qid, flags, name, qtype, end = q
    kind = TYPES.get(qtype, str(qtype))
    records = table.get(name)
    rcode = NXDOMAIN if records is None else NOERROR
    rrs = [r for r in records or [] if r[0] == kind]
    # QR, AA, the client's RD, RA.
    head = struct.pack("!HHHHHH", qid, 0x8400 | (flags & 0x0100) | 0x0080 | rcode, 1, len(rrs),
                       0, 0)
    body = packet[12:end]
    for rtype, ttl, value in rrs:
        data = rdata(rtype, value)
        body += struct.pack("!HHHIH", 0xC00C, CODES[rtype], 1, ttl, len(data)) + data
    return head + body, (name, kind)


class FakeDns:
    def __init__(self, table, host="127.0.0.1"):
        self.table = {k.lower().rstrip("."): v for k, v in table.items()}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.address = "%s:%d" % (host, self.port)
        self.queries = []
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()

    def asked(self, name=None, kind=None):
        """The queries seen so far, for |name| and |kind| when given."""
        with self.lock:
            return [q for q in self.queries
                    if (name is None or q[0] == name) and (kind is None or q[1] == kind)]

    def _serve(self):
        while not self._stop.is_set():
            try:
                packet, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            reply, question = answer(packet, self.table)
            if question:
                with self.lock:
                    self.queries.append(question)
            try:
                self.sock.sendto(reply, peer)
            except OSError:
                pass


def closed_udp_port():
    """A loopback UDP port with nothing bound to it (bound, then released):
    a query sent there gets ICMP port unreachable, as a DNS server that is down."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
