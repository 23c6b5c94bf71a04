#!/usr/bin/env python3
"""The proxy recipes (conf/nginx/boshd.conf, conf/haproxy/boshd.cfg) as the
proxies suite uses them.

  recipe.py rewrite KIND SRC DST NAME=VALUE...
      Writes SRC to DST with the operator's values (port 443, the example
      certificate paths, boshd at 127.0.0.1:5280) replaced by the test's.
      Every replaced line must occur exactly once in SRC, so that a recipe
      edited out of the suite's reach fails here, by name, instead of being
      tested half rewritten. Names: port, cert, key (nginx), pem (haproxy),
      upstream (host:port of boshd).
  recipe.py timeouts KIND SRC
      Prints "name seconds" for each timeout directive of the recipe that
      governs a held request (nginx: proxy_read_timeout, and the upstream's
      keepalive_timeout; HAProxy: timeout server; HAProxy's timeout client
      does not run while a request waits for its answer),
      exit 1 if one is missing.

KIND is nginx or haproxy. Only the lines named below change; everything
else is tested as an operator would install it.
"""
import re
import sys

# (pattern, replacement template, what it is): each pattern must match one
# whole line of the recipe exactly once. A replacement of None deletes the
# line (the IPv6 listeners: the test machine may have no ::1).
REWRITES = {
    "nginx": [
        (r"^(\s*)listen 443 ssl http2;$", r"\1listen 127.0.0.1:{port} ssl http2;", "the IPv4 listener"),
        (r"^\s*listen \[::\]:443 ssl http2;$", None, "the IPv6 listener"),
        (r"^(\s*)ssl_certificate \S+;$", r"\1ssl_certificate {cert};", "the certificate"),
        (r"^(\s*)ssl_certificate_key \S+;$", r"\1ssl_certificate_key {key};", "the private key"),
        (r"^(\s*)server 127\.0\.0\.1:5280;$", r"\1server {upstream};", "boshd's address"),
    ],
    "haproxy": [
        (r"^(\s*)bind :443 ssl crt \S+ (.*)$", r"\1bind 127.0.0.1:{port} ssl crt {pem} \2", "the IPv4 listener"),
        (r"^\s*bind :::443 .*$", None, "the IPv6 listener"),
        (r"^(\s*)server boshd 127\.0\.0\.1:5280$", r"\1server boshd {upstream}", "boshd's address"),
    ],
}

# The timeouts a held request meets on its way, by recipe: (name, regex whose
# group 1 is the value).
TIMEOUTS = {
    "nginx": [
        ("proxy_read_timeout", r"^\s*proxy_read_timeout\s+(\S+);"),
        ("keepalive_timeout", r"^\s*keepalive_timeout\s+(\S+);"),
    ],
    "haproxy": [
        ("timeout_server", r"^\s*timeout\s+server\s+(\S+)"),
    ],
}

UNITS = {"": 1, "ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(kind, value):
    """A time value in seconds: nginx's and HAProxy's units. A bare number
    is seconds for nginx and milliseconds for HAProxy."""
    m = re.fullmatch(r"(\d+)(ms|s|m|h|d|)", value)
    if not m:
        raise ValueError(f"not a time value: {value}")
    unit = m.group(2) or ("ms" if kind == "haproxy" else "s")
    return int(m.group(1)) * UNITS[unit]


def active_lines(text):
    """The lines with comments blanked (never a '#' inside a value here)."""
    return [re.sub(r"#.*", "", line).rstrip() for line in text.split("\n")]


def rewrite(kind, src, dst, values):
    text = open(src, encoding="utf-8").read()
    lines = text.split("\n")
    active = active_lines(text)
    for pattern, template, what in REWRITES[kind]:
        hits = [i for i, line in enumerate(active) if re.match(pattern, line)]
        if len(hits) != 1:
            sys.exit(f"{src}: {what} ({pattern}) found {len(hits)} times, expected once")
        i = hits[0]
        if template is None:
            lines[i] = "# (removed by the proxies suite) " + lines[i].strip()
        else:
            lines[i] = re.sub(pattern, template.format(**values), active[i])
    with open(dst, "w", encoding="utf-8") as out:
        out.write("\n".join(lines))


def timeouts(kind, src):
    active = active_lines(open(src, encoding="utf-8").read())
    status = 0
    for name, pattern in TIMEOUTS[kind]:
        found = [re.match(pattern, line).group(1) for line in active if re.match(pattern, line)]
        if not found:
            print(f"{name} missing")
            status = 1
        for value in found:
            print(f"{name} {seconds(kind, value):g}")
    return status


def main(argv):
    if len(argv) >= 4 and argv[0] == "rewrite" and argv[1] in REWRITES:
        values = dict(arg.split("=", 1) for arg in argv[4:])
        rewrite(argv[1], argv[2], argv[3], values)
        return 0
    if len(argv) == 3 and argv[0] == "timeouts" and argv[1] in TIMEOUTS:
        return timeouts(argv[1], argv[2])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
