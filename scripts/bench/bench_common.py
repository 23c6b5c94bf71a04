"""What the benchmarks under scripts/bench/ share: the HTTP framing of a BOSH
request, a minimal fake XMPP server, boshd started on loopback with a
temporary configuration, and what /proc says about a process.

Not a script; imported by the scripts next to it.
"""
import asyncio
import contextlib
import os
import re
import signal
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_BOSHD = os.path.join(ROOT, "build/src/boshd")
DOMAIN = "example.com"
HEADER = (b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
          b"xmlns:stream='http://etherx.jabber.org/streams' id='s' from='example.com' version='1.0'>"
          b"<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>")
MESSAGE_END = b"</message>"


async def _fake_xmpp(reader, writer, echo):
    # Answer the stream header once. Then either keep the connection quietly
    # open, or send back every <message/> stanza as it arrives, byte for byte.
    try:
        await asyncio.wait_for(reader.readuntil(b">"), 30)
        writer.write(HEADER)
        await writer.drain()
        buf = b""
        while data := await reader.read(65536):
            if not echo:
                continue
            buf += data
            end = buf.rfind(MESSAGE_END)
            if end < 0:
                continue
            end += len(MESSAGE_END)
            start = buf.find(b"<message")
            # Whole stanzas only; what follows the last one waits for more.
            if 0 <= start < end:
                writer.write(buf[start:end])
            buf = buf[end:]
    except (asyncio.IncompleteReadError, asyncio.TimeoutError, asyncio.CancelledError,
            ConnectionError):
        pass
    finally:
        writer.close()


async def start_fake_xmpp(echo=False):
    """A listening fake XMPP server on 127.0.0.1 and its port. With |echo|,
    every <message/> boshd forwards is sent straight back to it."""
    server = await asyncio.start_server(lambda r, w: _fake_xmpp(r, w, echo), "127.0.0.1", 0,
                                        backlog=4096)
    return server, server.sockets[0].getsockname()[1]


def _has_client_limits(binary):
    """True when |binary| knows the per-client limits (its --check-config
    accepts them); a binary from before them refuses the keys."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "probe.toml")
        with open(cfg, "w") as f:
            f.write('[http]\nmax_connections_per_ip = 1000\n[session]\nmax_sessions_per_ip = 0\n'
                    '[[route]]\ndomain = "example.com"\nhost = "127.0.0.1"\ntls = "none"\n')
        return subprocess.run([binary, "--config", cfg, "--check-config"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


@contextlib.asynccontextmanager
async def running_boshd(binary, xmpp_port, session=None):
    """boshd on 127.0.0.1 (any free port) routing example.com to the fake
    server; |session| adds [session] keys. Yields (process, HTTP port); stops
    it (SIGTERM, then SIGKILL after 10 s) on the way out."""
    # Every session and connection comes from 127.0.0.1 here: the
    # per-client limits (README: "Per-client limits", "Connections") are off,
    # in a binary that has them (a --compare against an older one).
    settings = {"max_sessions": 10000, **(session or {})}
    http = {}
    if _has_client_limits(binary):
        settings.update(max_sessions_per_ip=0, max_new_sessions_per_ip=0)
        http.update(max_connections=1000000, max_connections_per_ip=1000000)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "boshd.toml")
        with open(cfg, "w") as f:
            f.write('[http]\nlisten = "127.0.0.1:0"\npath = "/http-bind"\n')
            f.writelines(f"{k} = {v}\n" for k, v in http.items())
            f.write("[session]\n")
            f.writelines(f"{k} = {v}\n" for k, v in settings.items())
            f.write(f'[log]\nlevel = "warning"\n[[route]]\ndomain = "{DOMAIN}"\n'
                    f'host = "127.0.0.1"\nport = {xmpp_port}\ntls = "none"\n')
        proc = subprocess.Popen([binary, "--config", cfg], stdout=subprocess.PIPE)
        try:
            line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 10)
            m = re.match(rb"READY port=(\d+)", line)
            if not m:
                raise RuntimeError(f"{binary} did not start (printed {line!r})")
            yield proc, int(m.group(1))
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def post(body: bytes) -> bytes:
    return (b"POST /http-bind HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


_CONTENT_LENGTH = re.compile(rb"Content-Length: (\d+)")


async def read_reply(reader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    return await reader.readexactly(int(_CONTENT_LENGTH.search(head).group(1)))


def session_request(rid: int, hold: int = 1, wait: int = 60) -> bytes:
    """The body that creates a session."""
    return (f"<body rid='{rid}' to='{DOMAIN}' wait='{wait}' hold='{hold}' ver='1.11' "
            "xmlns='http://jabber.org/protocol/httpbind'/>").encode()


def sid_of(reply: bytes) -> str:
    return re.search(rb"sid='([0-9a-f]+)'", reply).group(1).decode()


def proc_stats(pid):
    """(RSS in kB, open descriptors) of a process."""
    with open(f"/proc/{pid}/status") as f:
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, fds


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid) -> float:
    """User plus system CPU time a process has used (utime + stime of
    /proc/PID/stat; clock-tick resolution, 10 ms on Linux)."""
    with open(f"/proc/{pid}/stat") as f:
        # After the command name, which may itself hold spaces or ')'.
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS
