#!/usr/bin/env python3
"""The dependency rule of ARCHITECTURE.md §1, checked on every run.

- src/bosh, src/xmpp, src/xml and src/util are the sans-I/O core: they include
  no libevent, no OpenSSL TLS, no socket headers and nothing from src/net or
  src/svc.
- src/net (the adapters) includes nothing from src/svc (the wiring above it).
- The monotonic clock is read in src/net/clock.cpp only; the wall clock only
  for log timestamps (src/svc/log_sink.cpp).

Prints one line per rule and "N passed, N failed"; exit 1 on any violation.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
CORE = ["bosh", "xmpp", "xml", "util"]

FORBIDDEN_IN_CORE = [
    re.compile(r'#\s*include\s*[<"]event2/'),
    re.compile(r'#\s*include\s*[<"]openssl/ssl\.h'),
    re.compile(r'#\s*include\s*[<"](sys/socket|netinet/|arpa/|netdb)'),
    re.compile(r'#\s*include\s*"(net|svc)/'),
]
NET_FORBIDDEN = re.compile(r'#\s*include\s*"svc/')
CLOCK_READ = re.compile(r"(steady_clock|system_clock|MonotonicClock|high_resolution_clock)::now\s*\(")
CLOCK_ALLOWED = {SRC / "net" / "clock.cpp", SRC / "svc" / "log_sink.cpp"}


def sources(folder):
    return sorted(p for p in folder.rglob("*") if p.suffix in (".h", ".cpp"))


def check_core_includes():
    bad = []
    for folder in CORE:
        for path in sources(SRC / folder):
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if any(rx.search(line) for rx in FORBIDDEN_IN_CORE):
                    bad.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    return bad


def check_net_includes():
    bad = []
    for path in sources(SRC / "net"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if NET_FORBIDDEN.search(line):
                bad.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    return bad


def check_clock_reads():
    bad = []
    for path in sources(SRC):
        if path in CLOCK_ALLOWED:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if CLOCK_READ.search(line.split("//", 1)[0]):
                bad.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    return bad


def main():
    rules = [
        ("the core (bosh, xmpp, xml, util) includes no I/O headers", check_core_includes),
        ("the adapters in net include nothing from svc, which wires them", check_net_includes),
        ("clocks are read only in net/clock.cpp (and log timestamps)", check_clock_reads),
    ]
    failed = 0
    for name, rule in rules:
        bad = rule()
        if bad:
            failed += 1
            print(f"not ok - {name}")
            for b in bad:
                print(f"#   {b}")
        else:
            print(f"ok - {name}")
    print(f"{len(rules) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
