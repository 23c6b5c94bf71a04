#!/usr/bin/env python3
"""The dependency rule of ARCHITECTURE.md §1, checked on every run.

- src/bosh, src/xmpp, src/xml and src/util are the sans-I/O core: they include
  no libevent, no OpenSSL TLS, no socket headers and nothing from src/net or
  src/svc.
- src/net (the adapters) includes nothing from src/svc (the wiring above it).
- The core is layered util < xml < xmpp < bosh: a folder includes from its
  own layer and the ones below only (xml knows nothing of XMPP or BOSH, xmpp
  nothing of BOSH, util nothing of either).
- net knows ids and bytes only: of src/bosh it includes just the shared
  vocabulary, NET_BOSH_VOCABULARY (ids.h: request and link ids; route.h: where
  a link connects; event.h: what it reports to the engine; reply.h: the bytes
  it sends back), never condition.h, body_builder.h or the engine; and those
  headers include nothing else of bosh, xml or xmpp, so that nothing more
  comes in through them. action.h is not in it: svc applies the actions.
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
LAYERS = ["util", "xml", "xmpp", "bosh"]  # lowest first
PROJECT_INCLUDE = re.compile(r'#\s*include\s*"([a-z_]+)/([^"]+)"')
NET_BOSH_VOCABULARY = {"ids.h", "route.h", "event.h", "reply.h"}
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


def project_includes(path):
    """(line number, line, folder, file) of each #include "folder/file"."""
    for n, line in enumerate(path.read_text().splitlines(), 1):
        m = PROJECT_INCLUDE.search(line)
        if m:
            yield n, line.strip(), m.group(1), m.group(2)


def check_core_layers():
    bad = []
    for rank, folder in enumerate(LAYERS):
        above = set(LAYERS[rank + 1:])
        for path in sources(SRC / folder):
            for n, line, inc_folder, _ in project_includes(path):
                if inc_folder in above:
                    bad.append(f"{path.relative_to(ROOT)}:{n}: {line}")
    return bad


def check_net_bosh_vocabulary():
    bad = []
    for path in sources(SRC / "net"):
        for n, line, folder, name in project_includes(path):
            if folder == "bosh" and name not in NET_BOSH_VOCABULARY:
                bad.append(f"{path.relative_to(ROOT)}:{n}: {line}")
    for name in sorted(NET_BOSH_VOCABULARY):
        path = SRC / "bosh" / name
        for n, line, folder, inc in project_includes(path):
            if (folder == "bosh" and inc not in NET_BOSH_VOCABULARY) or folder in ("xml", "xmpp"):
                bad.append(f"{path.relative_to(ROOT)}:{n}: {line}")
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
        ("the core is layered util < xml < xmpp < bosh; none includes a layer above it",
         check_core_layers),
        ("net includes of bosh only the vocabulary (ids, route, event, reply), which stands alone",
         check_net_bosh_vocabulary),
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
