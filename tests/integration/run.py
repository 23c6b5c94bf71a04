#!/usr/bin/env python3
"""Runs the boshd integration suite (tests/integration/test_*.py) against the
real binary ($BOSHD, default build/src/boshd of this checkout).

Prints one line per test, `ok - <name>` or `not ok - <name>` followed by the
failure detail (each line prefixed with '#'), then exactly `N passed, N failed`.
Exit status 0 only when nothing failed.

    run.py                 every test
    run.py -k restart      only tests whose name contains 'restart'
    run.py -j 1            one process (default: 4 worker processes, or $BOSHD_IT_JOBS;
                           whole test classes are split between them)
"""

import argparse
import io
import os
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
# The tests import harness (here) and bosh-client's modules (scripts/lib).
sys.path[:0] = [HERE, os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts", "lib")]


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

    def _name(self, test):
        tid = test.id()
        return tid

    def _elapsed(self, test):
        t = self._started.get(test.id())
        return "" if t is None else " (%.2fs)" % (time.monotonic() - t)

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1
        self.out.write("ok - %s%s\n" % (self._name(test), self._elapsed(test)))
        self.out.flush()

    def _fail(self, test, err, kind):
        self.failed += 1
        self.out.write("not ok - %s%s\n" % (self._name(test), self._elapsed(test)))
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
        # Nothing in this suite may be skipped: a skip counts as a failure.
        super().addSkip(test, reason)
        self.failed += 1
        self.out.write("not ok - %s # skipped: %s\n" % (self._name(test), reason))

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._fail(test, err, "expectedFailure is not allowed")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.failed += 1
        self.out.write("not ok - %s # unexpected success\n" % self._name(test))


def iter_tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from iter_tests(t)
        else:
            yield t


def load(pattern_k):
    loader = unittest.TestLoader()
    suite = loader.discover(start_dir=HERE, pattern="test_*.py", top_level_dir=HERE)
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
    result = LineResult(out)
    for t in tests:
        t(result)
    return result.passed, result.failed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-k", action="append", default=[], help="run tests whose id contains this")
    ap.add_argument("-j", type=int, default=int(os.environ.get("BOSHD_IT_JOBS", "4")),
                    help="worker processes (default 4, or $BOSHD_IT_JOBS); test classes are "
                         "split between them")
    ap.add_argument("--shard", help=argparse.SUPPRESS)
    args = ap.parse_args()

    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(os.path.dirname(os.path.dirname(here)), "build", "src", "boshd")
    binary = os.environ.get("BOSHD", default)
    if not os.access(binary, os.X_OK):
        print("not ok - setup: boshd binary %s is not executable (set BOSHD)" % binary)
        print("0 passed, 1 failed")
        return 1

    started = time.monotonic()
    tests = load(args.k)
    if args.shard is not None:
        index, count = (int(x) for x in args.shard.split("/"))
        passed, failed = run_here(shard(tests, index, count), sys.stdout)
        print("%d passed, %d failed" % (passed, failed))
        return 1 if failed else 0

    jobs = max(1, min(args.j, len(tests)))
    if jobs == 1:
        passed, failed = run_here(tests, sys.stdout)
    else:
        procs = []
        for i in range(jobs):
            cmd = [sys.executable, os.path.abspath(__file__), "--shard", "%d/%d" % (i, jobs)]
            for k in args.k:
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
    print("# wall time %.1f s" % (time.monotonic() - started))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
