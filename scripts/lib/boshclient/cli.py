"""The bosh-client command line."""

import argparse
import os
import sys

from . import REPO_ROOT
from .runner import Report
from .scenario import load_dir

USAGE = """\
bosh-client: a scripted BOSH client (XEP-0124, XEP-0206).

  bosh-client live --url URL --domain D --user U [--password P] [--ca-file PEM]
                   [--scenario ID ...] [--verbose]
      log in to a real XMPP server through the BOSH service at URL and check
      creation, SASL, restart, bind, a message to self, ping and termination
      (the scenarios of xep/live/). The password may also come from
      $BOSH_CLIENT_PASSWORD.

  bosh-client corpus [--scenario ID ...] [--boshd PATH [-j N] | --url URL --fake-server HOST:PORT]
                     [--verbose]
      run the conformance corpus (xep/scenarios/) over HTTP: against a boshd
      it starts per scenario (default: build/src/boshd of this repository),
      or against a running boshd whose route for example.com points at
      HOST:PORT, where bosh-client's fake XMPP server then listens.

Output: one "ok - scenario:<id> <title> (time)" or "not ok - ..." line per
scenario, details on "#" lines, then "N passed, N failed"; exit 1 on failure.
"""


def _address(text):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise argparse.ArgumentTypeError("expected HOST:PORT, got %r" % text)
    return host.strip("[]"), int(port)


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="bosh-client", description=USAGE,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True, metavar="{live,corpus}")

    def common(p, default_dir):
        p.add_argument("--scenario", action="append", default=[], metavar="ID",
                       help="run only this scenario (repeatable)")
        p.add_argument("--dir", default=default_dir, help="scenario directory (default %(default)s)")
        p.add_argument("--verbose", "-v", action="store_true",
                       help="print every HTTP exchange (request and reply, headers and body)")

    live = sub.add_parser("live", help="check a real deployment (xep/live/)")
    live.add_argument("--url", required=True, help="the BOSH URL, e.g. http://127.0.0.1:5280/http-bind")
    live.add_argument("--domain", required=True, help="the XMPP domain (the body's to=)")
    live.add_argument("--user", required=True, help="account name (the local part)")
    live.add_argument("--password", default=os.environ.get("BOSH_CLIENT_PASSWORD"),
                      help="its password (default: $BOSH_CLIENT_PASSWORD)")
    live.add_argument("--ca-file", metavar="PEM", help="trusted CA certificates for an https:// URL "
                      "(default: the system's); the certificate is always verified")
    common(live, os.path.join(REPO_ROOT, "xep", "live"))

    corpus = sub.add_parser("corpus", help="run the conformance corpus over HTTP")
    target = corpus.add_mutually_exclusive_group()
    target.add_argument("--boshd", metavar="PATH", help="boshd binary to start per scenario "
                        "(default: build/src/boshd when it exists)")
    target.add_argument("--url", help="a running boshd's BOSH URL (needs --fake-server)")
    corpus.add_argument("--fake-server", type=_address, metavar="HOST:PORT",
                        help="where the fake XMPP server listens (with --url)")
    corpus.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                        help="run N scenarios at a time, each worker with its own fake server "
                             "(only with --boshd; default 1)")
    common(corpus, os.path.join(REPO_ROOT, "xep", "scenarios"))

    args = ap.parse_args(argv)
    if args.mode == "live" and not args.password:
        ap.error("live needs --password (or $BOSH_CLIENT_PASSWORD)")
    if args.mode == "corpus":
        if args.url and not args.fake_server:
            ap.error("corpus --url needs --fake-server HOST:PORT (where boshd's example.com route points)")
        if args.fake_server and not args.url:
            ap.error("--fake-server goes with --url")
        if not args.url and not args.boshd:
            default = os.path.join(REPO_ROOT, "build", "src", "boshd")
            if not os.access(default, os.X_OK):
                ap.error("no boshd: build it (scripts/build) or pass --boshd PATH or --url URL")
            args.boshd = default
        if args.jobs < 1 or (args.url and args.jobs != 1):
            ap.error("--jobs must be 1 or more, and 1 with --url (one fake server address)")
        if args.boshd and not os.access(args.boshd, os.X_OK):
            ap.error("--boshd %s is not an executable file" % args.boshd)
    return ap, args


def select(ap, scenarios, wanted):
    if not wanted:
        return scenarios
    known = {s.id for s in scenarios}
    missing = [w for w in wanted if w not in known]
    if missing:
        ap.error("unknown scenario id(s): %s" % ", ".join(missing))
    return [s for s in scenarios if s.id in wanted]


def main(argv=None):
    ap, args = parse_args(sys.argv[1:] if argv is None else argv)
    scenarios, problems = load_dir(args.dir, "live" if args.mode == "live" else "wire")
    scenarios = select(ap, scenarios, args.scenario)
    report = Report(sys.stdout)
    for source, text in problems:
        report.problem(source, text)
    if not scenarios and not problems:
        report.problem(args.dir, "no scenarios found")
    if args.mode == "live":
        from .live import LiveRunner
        from .wire import Endpoint
        try:
            endpoint = Endpoint(args.url, args.ca_file)
        except ValueError as e:
            ap.error(str(e))
        runner = LiveRunner(endpoint, args.domain, args.user, args.password, args.verbose)
        for sc in scenarios:
            report.add(runner.run(sc))
    else:
        from .corpus import CorpusRunner, run_parallel
        if args.url:
            from .wire import Endpoint
            try:
                Endpoint(args.url)
            except ValueError as e:
                ap.error(str(e))
        try:
            runners = [CorpusRunner(boshd=args.boshd, url=args.url,
                                    fake_addr=args.fake_server or ("127.0.0.1", 0),
                                    verbose=args.verbose)
                       for _ in range(min(args.jobs, max(1, len(scenarios))))]
        except OSError as e:
            ap.error("the fake XMPP server cannot listen on %s: %s" % (args.fake_server, e))
        run_parallel(scenarios, runners, report)
    return report.finish()
