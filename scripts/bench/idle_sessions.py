#!/usr/bin/env python3
"""Memory and file descriptors per idle BOSH session.

Starts a minimal fake XMPP server and boshd on loopback, opens N sessions,
each left with one held (empty) request, the steady state of an idle
logged-in Strophe client, then reads boshd's RSS and open descriptors from
/proc. Prints the per-session cost of the difference against an idle boshd.

    scripts/bench/idle_sessions.py [--sessions N] [--boshd PATH]

Bounded: N <= 9000, every step has a timeout, everything it starts is
stopped before it exits.
"""
import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEADER = (b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
          b"xmlns:stream='http://etherx.jabber.org/streams' id='s' from='example.com' version='1.0'>"
          b"<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>")


async def fake_xmpp(reader, writer):
    # Answer the stream header once, then keep the connection quietly open.
    try:
        await asyncio.wait_for(reader.readuntil(b">"), 30)
        writer.write(HEADER)
        await writer.drain()
        while await reader.read(4096):
            pass
    except (asyncio.IncompleteReadError, asyncio.TimeoutError, asyncio.CancelledError,
            ConnectionError):
        pass
    finally:
        writer.close()


def post(body: bytes) -> bytes:
    return (b"POST /http-bind HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


async def read_reply(reader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    return await reader.readexactly(length)


async def open_session(port, n, held):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    rid = 1000 + n * 10
    writer.write(post(f"<body rid='{rid}' to='example.com' wait='60' hold='1' ver='1.11' "
                      "xmlns='http://jabber.org/protocol/httpbind'/>".encode()))
    reply = await asyncio.wait_for(read_reply(reader), 30)
    sid = re.search(rb"sid='([0-9a-f]+)'", reply).group(1).decode()
    # The next request stays held: one connection per session, as a client keeps.
    writer.write(post(f"<body rid='{rid + 1}' sid='{sid}' xmlns='http://jabber.org/protocol/httpbind'/>".encode()))
    await writer.drain()
    held.append(writer)


def proc_stats(pid):
    with open(f"/proc/{pid}/status") as f:
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, fds


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=2000)
    ap.add_argument("--boshd", default=os.path.join(ROOT, "build/src/boshd"))
    args = ap.parse_args()
    n = min(args.sessions, 9000)

    server = await asyncio.start_server(fake_xmpp, "127.0.0.1", 0, backlog=4096)
    xmpp_port = server.sockets[0].getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "boshd.toml")
        with open(cfg, "w") as f:
            f.write(f"""[http]\nlisten = "127.0.0.1:0"\npath = "/http-bind"\n[session]\nmax_sessions = 10000\n"""
                    f"""[log]\nlevel = "warning"\n[[route]]\ndomain = "example.com"\nhost = "127.0.0.1"\n"""
                    f"""port = {xmpp_port}\ntls = "none"\n""")
        boshd = subprocess.Popen([args.boshd, "--config", cfg], stdout=subprocess.PIPE)
        try:
            line = await asyncio.wait_for(asyncio.to_thread(boshd.stdout.readline), 10)
            port = int(line.split(b"=")[1])
            await asyncio.sleep(0.2)
            rss0, fds0 = proc_stats(boshd.pid)
            held = []
            start = time.monotonic()
            for batch in range(0, n, 200):
                await asyncio.wait_for(
                    asyncio.gather(*(open_session(port, i, held) for i in range(batch, min(n, batch + 200)))), 60)
            elapsed = time.monotonic() - start
            await asyncio.sleep(0.5)
            rss1, fds1 = proc_stats(boshd.pid)
            print(f"sessions: {n} opened in {elapsed:.1f} s, each with one held request")
            print(f"boshd RSS: {rss0} kB idle -> {rss1} kB ({(rss1 - rss0) * 1024 / n:.0f} bytes per session)")
            print(f"boshd fds: {fds0} idle -> {fds1} ({(fds1 - fds0) / n:.2f} per session)")
            for w in held:
                w.close()
        finally:
            boshd.send_signal(signal.SIGTERM)
            try:
                boshd.wait(10)
            except subprocess.TimeoutExpired:
                boshd.kill()
            server.close()


if __name__ == "__main__":
    asyncio.run(main())
