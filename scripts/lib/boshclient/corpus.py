"""The conformance corpus over the wire: xep/scenarios/*.toml against a real
boshd and a fake XMPP server (fake_xmpp.py).

Two set-ups:
  own boshd   (--boshd PATH) one fake server on an ephemeral loopback port for
              the whole run and, per scenario, a boshd started with a generated
              config: [[route]] example.com -> the fake server, the defaults of
              conf/boshd.toml, and the scenario's `config` overrides;
  given boshd (--url URL --fake-server HOST:PORT) the operator's boshd, whose
              route for example.com points at HOST:PORT, where the fake server
              listens. Scenarios that set `config` or use `shutdown` are
              skipped.

How this runner reads the parts of xep/FORMAT.md that leave a choice:
  - a request's default name r<N> uses the step's 0-based index in `steps`
    (the seed scenarios name a later request "r1" themselves); reports number
    steps from 1;
  - server_expect looks for the first matching element after the last one
    matched, skipping others (the fake answers <auth/> and bind on its own);
    server_expect_nothing fails on any element after the last one matched;
  - stream N is the Nth backend connection accepted since the scenario began;
    {stream_id} is bound to the id of the fake's first header on stream 1 as
    soon as it was sent (so authid='{stream_id}' compares, not captures);
  - shutdown sends SIGTERM to the boshd this runner started and waits for it
    to exit at the end of the scenario; a later `send` fails the step;
  - server_refuse resets the next connection as soon as it is accepted (the
    listener stays open, so a running boshd keeps its route);
  - `features` that start with <stream:features are sent as they are, other
    text is wrapped in <stream:features>; `set` binds its values literally;
  - the generated config holds conf/boshd.toml's [session] and [backend]
    defaults (so polling is 2 s, as shipped), then the scenario's overrides.
"""

import os
import signal
import threading
import time
import tomllib
import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr

from . import REPO_ROOT, fake_xmpp
from .boshd import PATH, Boshd, make_config, route
from .patterns import Pattern, Mismatch, substitute
from .runner import (Conversation, Result, StepFailed, NEGATIVE_CHECK, invalid, run_conversation)
from .wire import Endpoint, HttpSteps

DOMAIN = "example.com"
DEFAULT_CONF = os.path.join(REPO_ROOT, "conf", "boshd.toml")


def config_defaults(path=DEFAULT_CONF):
    """{table: {key: default}} for [session] and [backend] of the annotated
    default config, which lists every key with its built-in default."""
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    return {t: dict(doc.get(t, {})) for t in ("session", "backend")}


def boshd_config(overrides, fake_port, defaults):
    """The generated config text; an unknown override key is a ValueError."""
    tables = {t: dict(v) for t, v in defaults.items()}
    for key, value in overrides.items():
        owner = [t for t, keys in defaults.items() if key in keys]
        if not owner:
            raise ValueError("config key %s is not a [session] or [backend] key of %s"
                             % (key, os.path.relpath(DEFAULT_CONF, REPO_ROOT)))
        tables[owner[0]][key] = value
    return make_config([route(DOMAIN, fake_port)], session=tables["session"],
                       backend=tables["backend"])


def uses_shutdown(scenario):
    """Whether a step shuts the CM down (possible only with a boshd we started)."""
    return any(step.verb == "shutdown" for step in scenario.steps)


def features_xml(text, default):
    """Scenario `features` text as the bytes the fake sends: a whole
    <stream:features> element is sent as it is, anything else is wrapped."""
    if text is None:
        return default
    if text.lstrip().startswith("<stream:features"):
        return text
    return "<stream:features>" + text + "</stream:features>"


def _header_element(attrs):
    """A stream header's attributes as an empty element, for matching."""
    text = "<stream:stream" + "".join(" %s=%s" % (k, quoteattr(v)) for k, v in attrs.items()) + "/>"
    return ET.fromstring(text)


class FakeServerSteps:
    """Mixin for Conversation: the server_* verbs. Call fake_init() first."""

    def fake_init(self, fake):
        self.fake = fake
        self.base = len(fake.conns)     # stream 1 is the next connection
        self.matched = {}               # stream -> elements consumed by server_expect
        self.headers_matched = {}       # stream -> headers consumed

    def refresh_variables(self):
        super().refresh_variables()
        if "stream_id" not in self.vars and len(self.fake.conns) > self.base:
            ids = self.fake.conns[self.base].stream_ids
            if ids:
                self.vars["stream_id"] = ids[0]

    def _stream(self, step, wait=True):
        n = step.mods.get("stream", 1)
        index = self.base + n - 1
        if n < 1:
            raise StepFailed("stream numbers start at 1")
        if not wait:
            return self.fake.conns[index] if len(self.fake.conns) > index else None
        try:
            return self.fake.wait_connection(index, self.timeout(step))
        except fake_xmpp.Timeout:
            raise StepFailed("boshd opened no backend connection %d within %.1f s"
                             % (n, self.timeout(step)))

    def _wait(self, step, predicate, what):
        try:
            self.fake.wait_for(predicate, self.timeout(step), what)
            return True
        except fake_xmpp.Timeout:
            return False

    def step_server_expect(self, step):
        conn = self._stream(step)
        n = step.mods.get("stream", 1)
        pattern = Pattern(step.value)
        start = self.matched.get(n, 0)
        found = []

        def check():
            elements = conn.elements()
            for i in range(start, len(elements)):
                raw, elem = elements[i]
                if elem is not None and pattern.matches(elem, self.vars):
                    found.append(i)
                    return True
            return False
        if not self._wait(step, check, "a matching element"):
            seen = [raw.decode("utf-8", "replace") for raw, _ in conn.elements()[start:]]
            why = []
            for raw, elem in conn.elements()[start:]:
                try:
                    pattern.match(elem, dict(self.vars)) if elem is not None else None
                except Mismatch as e:
                    why.append(str(e))
            raise StepFailed("no matching element on stream %d within %.1f s"
                             % (n, self.timeout(step)),
                             [("expected", step.value),
                              ("received", "\n".join(seen) or "(nothing since the last match)")]
                             + ([("closest", why[-1])] if why else []))
        self.matched[n] = found[0] + 1

    def step_server_expect_header(self, step):
        conn = self._stream(step)
        n = step.mods.get("stream", 1)
        pattern = Pattern(step.value)
        start = self.headers_matched.get(n, 0)
        found = []

        def check():
            headers = conn.headers()
            for i in range(start, len(headers)):
                try:
                    elem = _header_element(headers[i])
                except ET.ParseError:
                    continue
                if pattern.matches(elem, self.vars):
                    found.append(i)
                    return True
            return False
        if not self._wait(step, check, "a stream header"):
            seen = ["<stream:stream %s>" % " ".join("%s=%s" % (k, quoteattr(v)) for k, v in h.items())
                    for h in conn.headers()[start:]]
            raise StepFailed("no matching stream header on stream %d within %.1f s"
                             % (n, self.timeout(step)),
                             [("expected", step.value), ("received", "\n".join(seen) or "(none)")])
        self.headers_matched[n] = found[0] + 1

    def step_server_expect_close(self, step):
        conn = self._stream(step)
        if not self._wait(step, lambda: "close" in conn.kinds() or conn.eof, "the stream to close"):
            raise StepFailed("boshd did not close stream %d within %.1f s"
                             % (step.mods.get("stream", 1), self.timeout(step)))

    def step_server_expect_nothing(self, step):
        time.sleep(NEGATIVE_CHECK)
        conn = self._stream(step, wait=False)
        if conn is None:
            return
        n = step.mods.get("stream", 1)
        extra = conn.elements()[self.matched.get(n, 0):]
        if extra:
            raise StepFailed("stream %d received %d element(s) since the last match" % (n, len(extra)),
                             [("received", "\n".join(r.decode("utf-8", "replace") for r, _ in extra))])

    def step_server_send(self, step):
        conn = self._stream(step)
        data = substitute(step.value, self.vars)
        self.log("server> " + data)
        conn.push(data.encode("utf-8"))

    def step_server_drop(self, step):
        conn = self._stream(step)
        self.log("server> (closed the TCP connection)")
        conn.close()

    def step_server_refuse(self, step):
        self.fake.refuse_next()


class CorpusConversation(FakeServerSteps, HttpSteps, Conversation):
    def __init__(self, scenario, endpoint, fake, verbose, boshd=None):
        Conversation.__init__(self, scenario, verbose)
        self.http_init(endpoint)
        self.fake_init(fake)
        self.boshd = boshd          # the Boshd this runner started, if any
        self.shut_down = False      # a `shutdown` step ran

    def step_shutdown(self, step):
        if self.boshd is None:
            raise StepFailed("shutdown needs a boshd this runner started (--boshd)")
        if self.shut_down:
            raise StepFailed("the CM is already shutting down")
        self.log("boshd: SIGTERM (graceful shutdown)")
        self.boshd.signal(signal.SIGTERM)
        self.shut_down = True

    def step_send(self, step):
        if self.shut_down:
            # boshd stopped listening; the in-process runner refuses the same.
            raise StepFailed("send after shutdown: the CM no longer takes requests")
        super().step_send(step)


class CorpusRunner:
    """Runs corpus scenarios one after the other. Use as a context manager."""

    def __init__(self, boshd=None, url=None, fake_addr=("127.0.0.1", 0), verbose=False):
        self.binary = boshd
        self.url = url
        self.verbose = verbose
        self.defaults = config_defaults()
        self.fake = fake_xmpp.FakeXmppServer(host=fake_addr[0], port=fake_addr[1])

    def __enter__(self):
        self.fake.start()
        return self

    def __exit__(self, *exc):
        self.fake.stop()

    def run(self, scenario):
        if scenario.errors:
            return invalid(scenario)
        if self.url and scenario.config:
            return Result(scenario, "skip", reason="sets config (%s); needs --boshd"
                          % ", ".join(sorted(scenario.config)))
        if self.url and uses_shutdown(scenario):
            return Result(scenario, "skip", reason="shuts the CM down; needs --boshd")
        self.fake.features = features_xml(scenario.features, fake_xmpp.DEFAULT_FEATURES)
        self.fake.restart_features = features_xml(scenario.restart_features,
                                                  fake_xmpp.RESTART_FEATURES)
        started = time.monotonic()
        boshd = None
        if self.binary:
            try:
                config = boshd_config(scenario.config, self.fake.port, self.defaults)
                boshd = Boshd(config, binary=self.binary).start()
            except (ValueError, TypeError, AssertionError, OSError) as e:
                return Result(scenario, "not ok", time.monotonic() - started,
                              ["boshd could not start: %s" % e])
            endpoint = Endpoint("http://127.0.0.1:%d%s" % (boshd.port, PATH))
        else:
            endpoint = Endpoint(self.url)
        conv = CorpusConversation(scenario, endpoint, self.fake, self.verbose, boshd)
        result = run_conversation(conv)
        if boshd is not None:
            failed = result.status != "ok"
            try:
                if conv.shut_down:
                    boshd.wait_exit()   # let the drain finish: a second SIGTERM forces it
                boshd.stop()
            except AssertionError as e:
                result.status = "not ok"
                result.lines[:0] = ["boshd did not stop cleanly: %s" % str(e).splitlines()[0]]
                failed = True
            if failed:
                result.lines += ["boshd log (last 15 lines):"]
                result.lines += ["  " + line for line in boshd.stderr_lines()[-15:]]
        result.seconds = time.monotonic() - started
        return result


def run_parallel(scenarios, runners, report):
    """Runs |scenarios| on |runners| (one thread each, each runner with its
    own fake server) and hands the results to |report| in corpus order."""
    results = [None] * len(scenarios)
    cond = threading.Condition()
    todo = iter(range(len(scenarios)))

    def worker(runner):
        with runner:
            while True:
                with cond:
                    i = next(todo, None)
                if i is None:
                    return
                try:
                    result = runner.run(scenarios[i])
                except Exception as e:  # reported, and the other scenarios still run
                    result = Result(scenarios[i], "not ok", 0.0, ["runner error: %r" % e])
                with cond:
                    results[i] = result
                    cond.notify_all()

    threads = [threading.Thread(target=worker, args=(r,), daemon=True) for r in runners]
    for t in threads:
        t.start()
    for i, sc in enumerate(scenarios):
        with cond:
            while results[i] is None and any(t.is_alive() for t in threads):
                cond.wait(0.5)
        report.add(results[i] or Result(sc, "not ok", 0.0, ["not run: every worker stopped"]))
    for t in threads:
        t.join(timeout=10)
