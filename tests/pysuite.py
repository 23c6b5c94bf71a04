"""The runner of the Python test suites (tests/integration/run.py and
tests/client/run.py): discovers the test_*.py files of one directory, runs
them in one or more worker processes and prints one line per test,
`ok - <test id> (time)` or `not ok - <test id>` followed by the failure
detail (each line prefixed with '#'), then exactly `N passed, N failed`.
A skip, an expected failure or an unexpected success counts as a failure.

A suite's run.py puts scripts/lib (bosh-client, which the tests use) and
tests/ on sys.path, then calls main():

    sys.exit(pysuite.main(HERE, __doc__, jobs=4, jobs_env="BOSHD_IT_JOBS", needs_boshd=True))

Its command line:

    run.py                 every test
    run.py -k restart      only tests whose id contains 'restart'
    run.py -j 1            one process (whole test classes are split between
                           worker processes)
"""

import argparse
import os
import subprocess
import sys
import time
import unittest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(TESTS_DIR)
BOSHD = os.environ.get("BOSHD", os.path.join(REPO_ROOT, "build", "src", "boshd"))


class LineResult(unittest.TestResult):
    def __init__(self, out):
        super().__init__()
        self.out = out
        self.passed = 0
        self.failed = 0
        self._started = {}

    def startTest(self, test):
        super().startTest(test)
        self._started[test.id()] = time.monotonic()

    def _elapsed(self, test):
        t = self._started.get(test.id())
        return "" if t is None else " (%.2fs)" % (time.monotonic() - t)

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1
        self.out.write("ok - %s%s\n" % (test.id(), self._elapsed(test)))
        self.out.flush()

    def _fail(self, test, err, kind):
        self.failed += 1
        self.out.write("not ok - %s%s\n" % (test.id(), self._elapsed(test)))
        detail = "%s: %s" % (kind, self._exc_info_to_string(err, test))
        for line in detail.rstrip().splitlines():
            self.out.write("#   %s\n" % line)
        self.out.flush()

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fail(test, err, "FAIL")

    def addError(self, test, err):
        super().addError(test, err)
        self._fail(test, err, "ERROR")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._fail(subtest, err, "FAIL" if issubclass(err[0], test.failureException) else "ERROR")

    def addSkip(self, test, reason):
        # Nothing in these suites may be skipped: a skip counts as a failure.
        super().addSkip(test, reason)
        self.failed += 1
        self.out.write("not ok - %s # skipped: %s\n" % (test.id(), reason))

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._fail(test, err, "expectedFailure is not allowed")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.failed += 1
        self.out.write("not ok - %s # unexpected success\n" % test.id())


def iter_tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from iter_tests(t)
        else:
            yield t


def load(start_dir, pattern_k):
    suite = unittest.TestLoader().discover(start_dir=start_dir, pattern="test_*.py",
                                           top_level_dir=start_dir)
    tests = []
    for t in iter_tests(suite):
        if isinstance(t, unittest.loader._FailedTest):
            tests.append(t)  # an import error: reported as a failure
            continue
        if pattern_k and not any(k in t.id() for k in pattern_k):
            continue
        tests.append(t)
    return tests


def shard(tests, index, count):
    """The tests of shard |index| of |count|: whole test classes, spread
    largest first over the least loaded shard (deterministic)."""
    classes = {}
    for t in tests:
        classes.setdefault(t.id().rsplit(".", 1)[0], []).append(t)
    loads = [0] * count
    owner = {}
    for name in sorted(classes, key=lambda n: (-len(classes[n]), n)):
        i = loads.index(min(loads))
        owner[name] = i
        loads[i] += len(classes[name])
    return [t for t in tests if owner[t.id().rsplit(".", 1)[0]] == index]


def run_here(tests, out):
    """Runs |tests| in this process; a TestSuite, so that class and module
    fixtures (setUpClass, setUpModule) run around them."""
    result = LineResult(out)
    unittest.TestSuite(tests).run(result)
    return result.passed, result.failed


def run_workers(script, jobs, pattern_k):
    """Runs |script| --shard i/jobs in |jobs| processes; their lines are
    printed in shard order, their counts summed."""
    procs = []
    for i in range(jobs):
        cmd = [sys.executable, script, "--shard", "%d/%d" % (i, jobs)]
        for k in pattern_k:
            cmd += ["-k", k]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True))
    passed = failed = 0
    for p in procs:
        out, _ = p.communicate()
        lines = out.rstrip("\n").splitlines()
        tail = lines[-1] if lines else ""
        body = lines[:-1]
        if body:
            sys.stdout.write("\n".join(body) + "\n")
        try:
            a, b = tail.replace(" passed,", "").replace(" failed", "").split()
            passed += int(a)
            failed += int(b)
        except ValueError:
            if tail:
                sys.stdout.write(tail + "\n")
            sys.stdout.write("not ok - worker %s ended abnormally (status %s)\n"
                             % (p.args[-1], p.returncode))
            failed += 1
    sys.stdout.flush()
    return passed, failed


def main(start_dir, description, jobs=1, jobs_env=None, needs_boshd=False):
    """Runs the test_*.py files of |start_dir|; the workers re-run the calling
    script (sys.argv[0]) with --shard. |jobs| is the default worker count,
    which the environment variable |jobs_env| (when given and set) overrides.
    With |needs_boshd|, a missing $BOSHD binary is one failure."""
    if jobs_env and os.environ.get(jobs_env):
        jobs = int(os.environ[jobs_env])
    ap = argparse.ArgumentParser(description=description,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-k", action="append", default=[], help="run tests whose id contains this")
    ap.add_argument("-j", type=int, default=jobs,
                    help="worker processes (default %%(default)s%s); test classes are split "
                         "between them" % (", or $" + jobs_env if jobs_env else ""))
    ap.add_argument("--shard", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if needs_boshd and not os.access(BOSHD, os.X_OK):
        print("not ok - setup: boshd binary %s is not executable (set BOSHD)" % BOSHD)
        print("0 passed, 1 failed")
        return 1

    started = time.monotonic()
    tests = load(start_dir, args.k)
    if args.shard is not None:
        index, count = (int(x) for x in args.shard.split("/"))
        passed, failed = run_here(shard(tests, index, count), sys.stdout)
        print("%d passed, %d failed" % (passed, failed))
        return 1 if failed else 0

    workers = max(1, min(args.j, len(tests)))
    if workers == 1:
        passed, failed = run_here(tests, sys.stdout)
    else:
        passed, failed = run_workers(os.path.abspath(sys.argv[0]), workers, args.k)
    print("# wall time %.1f s" % (time.monotonic() - started))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0
