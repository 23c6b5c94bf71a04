#!/usr/bin/env python3
"""boshd's CPU time per relayed message and per empty-poll turnaround.

Starts a fake XMPP server that echoes every <message/> stanza back, and boshd
on loopback (polling = 0, so that back-to-back empty requests are allowed).
Opens N sessions with hold=1 (so requests=2), two keep-alive connections each,
and one request always held, as Strophe.js keeps it. Then, with boshd's own
CPU time (utime + stime from /proc/PID/stat) read before and after each:

  relay        M round trips per session. A round trip is one <message/> the
               client sends and its echo coming back in a reply: the client
               POSTs the message (which releases the held empty request), the
               echo answers that request, and the client sends a new empty
               request to be held again. So 2 HTTP requests and 2 replies,
               1 stanza to the server and 1 back. Reported per round trip.
  empty polls  P empty requests per session, each sent while one is held, so
               each releases the older one, answered empty at once.
               Reported per request (one request and its empty reply).

Both run after an unmeasured warm-up of 2 of each per session; all sessions
run at once. The client's own speed only stretches the wall time: only
boshd's CPU is counted.

    scripts/bench/relay_cpu.py [--boshd PATH] [--compare OTHER_BOSHD]
                               [--sessions N] [--round-trips M] [--polls P] [--runs R]

Defaults: N=200, M=P=100, R=3. Each run starts a fresh boshd; the result is
the median over the R runs, each run's figure is printed too. --compare runs
the identical load against a second binary, alternating which goes first,
and prints both side by side. On a shared machine runs differ by 10-20 %:
compare medians of several runs, never two single runs.

Bounded: N <= 2000, N*M and N*P <= 200000, R <= 10, every read and every
phase has a timeout, everything it starts is stopped before it exits.
"""
import argparse
import asyncio
import collections
import os
import statistics
import sys
import time

from bench_common import DEFAULT_BOSHD, cpu_seconds, post, read_reply, running_boshd, \
    session_request, sid_of, start_fake_xmpp

MAX_SESSIONS = 2000
MAX_TOTAL = 200000
WARM_UP = 2
READ_TIMEOUT = 30  # a reply; sessions ask for wait=60, so a lost one shows here
PHASE_TIMEOUT = 600
MAX_RUNS = 10


class Session:
    """One BOSH session over two keep-alive connections. |outstanding| holds
    the connections with a request in flight, oldest first; boshd answers the
    oldest first (hold=1), so each reply is read there."""

    def __init__(self, n):
        self.n = n
        self.rid = 1_000_000 + n * 1_000_000
        self.sid = ""
        self.conns = []
        self.outstanding = collections.deque()
        self.sent = 0  # messages sent
        self.received = 0  # echoes received

    async def open(self, port):
        for _ in range(2):
            self.conns.append(await asyncio.open_connection("127.0.0.1", port))
        reader, writer = self.conns[0]
        writer.write(post(session_request(self.rid)))
        self.sid = sid_of(await asyncio.wait_for(read_reply(reader), READ_TIMEOUT))
        self.send(b"")  # held, as a logged-in client keeps one

    def close(self):
        for _, writer in self.conns:
            writer.close()

    def send(self, payload: bytes):
        # A connection with nothing in flight (there are two, at most one busy
        # when this is called).
        conn = next(c for c in self.conns if c not in self.outstanding)
        self.rid += 1
        conn[1].write(post(b"<body rid='%d' sid='%s' xmlns='http://jabber.org/protocol/httpbind'>%s</body>"
                           % (self.rid, self.sid.encode(), payload)))
        self.outstanding.append(conn)

    async def read_oldest(self) -> bytes:
        reader = self.outstanding.popleft()[0]
        reply = await asyncio.wait_for(read_reply(reader), READ_TIMEOUT)
        if b"type='terminate'" in reply:
            raise RuntimeError(f"session {self.n} terminated: {reply[:300]!r}")
        return reply

    async def relay(self, round_trips: int):
        target = self.received + round_trips
        while self.received < target:
            if not self.outstanding:
                self.send(b"")  # keep one held (Strophe sends it when idle)
            if self.sent == self.received:
                self.sent += 1
                self.send(b"<message xmlns='jabber:client' to='peer@example.com' type='chat' "
                          b"id='m%d'><body>round trip %d of session %d</body></message>"
                          % (self.sent, self.sent, self.n))
            self.received += (await self.read_oldest()).count(b"<message")
        if not self.outstanding:
            self.send(b"")

    async def polls(self, count: int):
        for _ in range(count):
            self.send(b"")  # releases the one held
            reply = await self.read_oldest()
            if b"<message" in reply:
                raise RuntimeError(f"session {self.n}: a stanza in an empty poll: {reply!r}")


async def measure(pid, coros):
    """boshd's CPU seconds and the wall time for running |coros| at once."""
    await asyncio.sleep(0.2)  # let boshd settle: it is idle between phases
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    await asyncio.wait_for(asyncio.gather(*coros), PHASE_TIMEOUT)
    wall = time.monotonic() - t0
    await asyncio.sleep(0.2)  # the last writes' completions
    return cpu_seconds(pid) - cpu0, wall


async def run(binary, xmpp_port, args):
    async with running_boshd(binary, xmpp_port, {"polling": 0}) as (proc, port):
        sessions = [Session(i) for i in range(args.sessions)]
        try:
            for batch in range(0, len(sessions), 200):
                await asyncio.wait_for(
                    asyncio.gather(*(s.open(port) for s in sessions[batch:batch + 200])), 60)
            await asyncio.wait_for(asyncio.gather(*(s.relay(WARM_UP) for s in sessions)), 60)
            await asyncio.wait_for(asyncio.gather(*(s.polls(WARM_UP) for s in sessions)), 60)
            relay = await measure(proc.pid, (s.relay(args.round_trips) for s in sessions))
            polls = await measure(proc.pid, (s.polls(args.polls) for s in sessions))
            if proc.poll() is not None:
                raise RuntimeError(f"{binary} exited with status {proc.returncode}")
            return relay, polls
        finally:
            for s in sessions:
                s.close()


def report(binaries, samples, count, unit):
    """One line per binary: the median over runs of CPU µs per |unit|."""
    medians = []
    for b, runs in zip(binaries, samples):
        per = sorted(cpu * 1e6 / count for cpu, _ in runs)
        medians.append(statistics.median(per))
        cpus = sorted(cpu for cpu, _ in runs)
        walls = sorted(wall for _, wall in runs)
        if len(runs) == 1:
            detail = f"boshd CPU {cpus[0]:.2f} s, wall {walls[0]:.1f} s"
        else:
            detail = (f"median of {len(runs)} runs: " + ", ".join(f"{x:.1f}" for x in per)
                      + f"; boshd CPU {cpus[0]:.2f}-{cpus[-1]:.2f} s, wall {walls[0]:.1f}-{walls[-1]:.1f} s")
        print(f"  {b}: {medians[-1]:.1f} µs per {unit} ({detail})")
    return medians


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--boshd", default=DEFAULT_BOSHD)
    ap.add_argument("--compare", metavar="OTHER_BOSHD",
                    help="run the same load against this binary too, and print both")
    ap.add_argument("--sessions", type=int, default=200)
    ap.add_argument("--round-trips", type=int, default=100, help="per session")
    ap.add_argument("--polls", type=int, default=100, help="empty polls per session")
    ap.add_argument("--runs", type=int, default=3,
                    help="measure each binary this many times (alternating with --compare), "
                         "report the median")
    args = ap.parse_args()
    if not 1 <= args.sessions <= MAX_SESSIONS:
        ap.error(f"--sessions must be 1..{MAX_SESSIONS}")
    for name, per in (("--round-trips", args.round_trips), ("--polls", args.polls)):
        if per < 1 or args.sessions * per > MAX_TOTAL:
            ap.error(f"{name} must be at least 1 and sessions x {name[2:]} at most {MAX_TOTAL}")
    if not 1 <= args.runs <= MAX_RUNS:
        ap.error(f"--runs must be 1..{MAX_RUNS}")
    binaries = [args.boshd] + ([args.compare] if args.compare else [])
    for b in binaries:
        if not os.access(b, os.X_OK):
            ap.error(f"{b}: not an executable")

    trips, polls = args.sessions * args.round_trips, args.sessions * args.polls
    print(f"load: {args.sessions} sessions (hold=1, 2 keep-alive connections each); "
          f"{args.round_trips} round trips, then {args.polls} empty polls per session"
          + (f"; {args.runs} runs" if args.runs > 1 else ""), flush=True)
    server, xmpp_port = await start_fake_xmpp(echo=True)
    relay = [[] for _ in binaries]
    poll = [[] for _ in binaries]
    try:
        for i in range(args.runs):
            # Every other run starts with the other binary, so that neither
            # always goes first.
            order = list(range(len(binaries)))
            for k in order if i % 2 == 0 else reversed(order):
                r, p = await run(binaries[k], xmpp_port, args)
                relay[k].append(r)
                poll[k].append(p)
    finally:
        server.close()

    print(f"relay: {trips} round trips (1 round trip = a <message/> to the server and its "
          "echo back; 2 HTTP requests)")
    relay_medians = report(binaries, relay, trips, "round trip")
    print(f"empty polls: {polls} requests, each answered empty when the next arrives")
    poll_medians = report(binaries, poll, polls, "request")
    if len(binaries) == 2:
        change = [(m[1] - m[0]) * 100 / m[0] if m[0] else float("nan")
                  for m in (relay_medians, poll_medians)]
        print(f"{binaries[1]} against {binaries[0]}: relay {change[0]:+.1f}%, "
              f"empty polls {change[1]:+.1f}% CPU")


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except (OSError, RuntimeError, asyncio.TimeoutError) as e:
        sys.exit(f"relay_cpu: error: {e!r}")
