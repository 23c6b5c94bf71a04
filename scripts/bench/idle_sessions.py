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
import time

from bench_common import DEFAULT_BOSHD, post, proc_stats, read_reply, running_boshd, \
    session_request, sid_of, start_fake_xmpp


async def open_session(port, n, held):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    rid = 1000 + n * 10
    writer.write(post(session_request(rid)))
    sid = sid_of(await asyncio.wait_for(read_reply(reader), 30))
    # The next request stays held: one connection per session, as a client keeps.
    writer.write(post(f"<body rid='{rid + 1}' sid='{sid}' xmlns='http://jabber.org/protocol/httpbind'/>".encode()))
    await writer.drain()
    held.append(writer)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=2000)
    ap.add_argument("--boshd", default=DEFAULT_BOSHD)
    args = ap.parse_args()
    n = min(args.sessions, 9000)

    server, xmpp_port = await start_fake_xmpp()
    try:
        async with running_boshd(args.boshd, xmpp_port) as (boshd, port):
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
        server.close()


if __name__ == "__main__":
    asyncio.run(main())
