"""A boshd process: a generated TOML config and the binary run with it.

make_config  config text for tests and corpus runs: listen on 127.0.0.1:0,
             routes to fake servers, polling off and debug logging unless
             told otherwise.
Boshd        one boshd process with that config in a temporary directory;
             waits for the `READY port=N` line, collects stderr (log queries:
             count, wait_log), stops it with SIGTERM and checks exit code 0
             and the absence of sanitizer reports. With an [admin] listener,
             admin_port() reads the `ADMIN port=N` line printed after READY.

Used by `bosh-client corpus --boshd` and by the integration suite
(tests/integration/harness.py).
"""

import atexit
import os
import queue
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time

PATH = "/http-bind"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer",
                   "WARNING: ThreadSanitizer")

_live = set()


@atexit.register
def _kill_leftovers():
    for p in list(_live):
        if p.poll() is None:
            p.kill()


# ---------------------------------------------------------------------------
# config

def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(v)


def route(domain, port, host="127.0.0.1", tls="none", **extra):
    r = {"domain": domain, "host": host, "port": port, "tls": tls}
    r.update(extra)
    return r


def make_config(routes, http=None, session=None, backend=None, log_level="debug", service=None,
                admin=None):
    """TOML text. Defaults suited to tests: any free port, polling disabled
    (so that quick successive empty requests are not policy violations unless
    a test asks for it), debug logging (tests synchronise on log lines), and
    no drain on SIGTERM (shutdown_grace = 0: every session ends at once with
    system-shutdown, so a stop takes no grace period unless a test asks).
    |admin|: the [admin] table, e.g. {"listen": "127.0.0.1:0"}; none by default."""
    tables = {
        "http": {"listen": "127.0.0.1:0", "path": PATH},
        "session": {"polling": 0},
        "backend": {},
        "log": {"level": log_level},
        "service": {"shutdown_grace": 0},
    }
    for name, extra in (("http", http), ("session", session), ("backend", backend),
                        ("service", service)):
        tables[name].update(extra or {})
    if admin is not None:
        tables["admin"] = dict(admin)
    out = []
    for name, values in tables.items():
        out.append("[%s]" % name)
        out.extend("%s = %s" % (k, _toml_value(v)) for k, v in values.items())
        out.append("")
    for r in routes:
        out.append("[[route]]")
        out.extend("%s = %s" % (k, _toml_value(v)) for k, v in r.items())
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# the process

class Boshd:
    def __init__(self, config_text, binary, max_files=None, env=None, listen_socket=None,
                 admin_socket=None):
        self.binary = binary
        self.max_files = max_files  # RLIMIT_NOFILE for the process, when set
        self.env = env              # extra environment variables
        # Listening sockets handed over as systemd's socket activation does:
        # descriptors from 3 on, LISTEN_FDS, LISTEN_PID, and LISTEN_FDNAMES
        # naming them "bosh" and "admin".
        self.passed = [(name, s) for name, s in (("bosh", listen_socket), ("admin", admin_socket))
                       if s is not None]
        self.dir = tempfile.mkdtemp(prefix="boshd-it-")
        self.config_path = os.path.join(self.dir, "boshd.toml")
        with open(self.config_path, "w") as f:
            f.write(config_text)
        self.config_text = config_text
        self.proc = None
        self._pumps = []
        self.port = None
        self._admin_port = None
        self.stdout_lines = queue.Queue()
        self._stderr = []
        self._lock = threading.Condition()
        self.returncode = None

    # ---- lifecycle
    def start(self, timeout=START_TIMEOUT):
        max_files = self.max_files
        passed = [(name, s.fileno()) for name, s in self.passed]
        fds = tuple(range(3, 3 + len(passed)))

        extra_env = self.env or {}

        # In the child, before exec: the environment is set here rather than
        # through Popen(env=...), because LISTEN_PID must be the child's pid.
        def in_child():
            os.environ.update(extra_env)
            if max_files is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (max_files, max_files))
            if passed:
                # Move them out of the way first: an original may sit on 3 or 4.
                moved = [os.dup(fd) for _, fd in passed]
                for target, fd in zip(fds, moved):
                    os.dup2(fd, target)  # inheritable, unlike the original
                os.environ.update(LISTEN_FDS=str(len(passed)), LISTEN_PID=str(os.getpid()),
                                  LISTEN_FDNAMES=":".join(name for name, _ in passed))

        self.proc = subprocess.Popen([self.binary, "--config", self.config_path],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, preexec_fn=in_child,
                                     pass_fds=fds)
        _live.add(self.proc)
        self._pumps = [threading.Thread(target=self._pump_stderr, daemon=True),
                       threading.Thread(target=self._pump_stdout, daemon=True)]
        for t in self._pumps:
            t.start()
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise AssertionError("boshd printed no READY line within %.0f s; stderr:\n%s"
                                     % (timeout, self.stderr_text()))
            try:
                line = self.stdout_lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(timeout=5)
                raise AssertionError("boshd exited (%s) before READY; stderr:\n%s"
                                     % (self.proc.returncode, self.stderr_text()))
            m = re.fullmatch(r"READY port=(\d+)", line.strip())
            if m:
                self.port = int(m.group(1))
                return self

    def admin_port(self, timeout=START_TIMEOUT):
        """The admin listener's port, from the `ADMIN port=N` line boshd prints
        after READY when [admin] listen is set."""
        deadline = time.monotonic() + timeout
        while self._admin_port is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("boshd printed no ADMIN line within %.0f s" % timeout)
            try:
                line = self.stdout_lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError("boshd closed stdout without an ADMIN line")
            m = re.fullmatch(r"ADMIN port=(\d+)", line.strip())
            if m:
                self._admin_port = int(m.group(1))
        return self._admin_port

    def _pump_stderr(self):
        for raw in self.proc.stderr:
            with self._lock:
                self._stderr.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._lock.notify_all()

    def _pump_stdout(self):
        for raw in self.proc.stdout:
            self.stdout_lines.put(raw.decode("utf-8", "replace"))
        self.stdout_lines.put(None)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def reload(self, text=None, event="config.reloaded", **fields):
        """SIGHUP, after writing |text| over the configuration file when
        given; waits for the next |event| line (config.reloaded, or
        config.reload_failed) and returns its fields."""
        before = self.count(event)
        if text is not None:
            with open(self.config_path, "w") as f:
                f.write(text)
        self.signal(signal.SIGHUP)
        return self.wait_log(event, count=before + 1, **fields)[-1][1]

    def wait_exit(self, timeout=STOP_TIMEOUT):
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("boshd did not exit within %.0f s of SIGTERM; stderr tail:\n%s"
                                 % (timeout, self.stderr_tail()))
        _live.discard(self.proc)
        return self.returncode

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM; asserts exit code 0 and no sanitizer report."""
        try:
            if self.proc is None:
                return None
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            rc = self.wait_exit(timeout)
            self.check_clean_exit(rc)
            return rc
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def check_clean_exit(self, rc):
        # Collect every line boshd wrote before exiting (the pumps end at EOF).
        for t in self._pumps:
            t.join(timeout=5)
        text = self.stderr_text()
        for mark in SANITIZER_MARKS:
            if mark in text:
                raise AssertionError("sanitizer report in boshd stderr (%s):\n%s" % (mark, text))
        if rc != 0:
            raise AssertionError("boshd exited with %s, expected 0; stderr tail:\n%s"
                                 % (rc, self.stderr_tail()))

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        _live.discard(self.proc)

    # ---- logs
    def stderr_lines(self):
        with self._lock:
            return list(self._stderr)

    def stderr_text(self):
        return "\n".join(self.stderr_lines())

    def stderr_tail(self, n=40):
        return "\n".join(self.stderr_lines()[-n:])

    @staticmethod
    def parse_line(line):
        """(level, event, fields) of a log line 'TIMESTAMP level event k=v ...'."""
        parts = line.split(" ", 3)
        if len(parts) < 3:
            return None, None, {}
        level, event = parts[1], parts[2]
        rest = parts[3] if len(parts) > 3 else ""
        fields = {}
        for m in re.finditer(r'(\w[\w.-]*)=("(?:[^"\\]|\\.)*"|\S+)', rest):
            v = m.group(2)
            if v.startswith('"'):
                v = re.sub(r"\\(.)", r"\1", v[1:-1])
            fields[m.group(1)] = v
        return level, event, fields

    def log_events(self, event, **fields):
        """Log lines (as (level, fields)) for |event| whose fields match."""
        out = []
        for line in self.stderr_lines():
            level, ev, f = self.parse_line(line)
            if ev == event and all(f.get(k) == str(v) for k, v in fields.items()):
                out.append((level, f))
        return out

    def count(self, event, **fields):
        """Lines read so far. A reply can reach the test before the line
        logged with it has been read: count what a reply implies with
        wait_log(count=N)."""
        return len(self.log_events(event, **fields))

    def wait_log(self, event, count=1, timeout=5.0, **fields):
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = self.log_events(event, **fields)
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out after %.1f s waiting for %d x log %s %r; tail:\n%s"
                                         % (timeout, count, event, fields, self.stderr_tail()))
                self._lock.wait(min(left, 0.1))
