#!/usr/bin/env python3
"""Runs the boshd integration suite (tests/integration/test_*.py) against the
real binary ($BOSHD, default build/src/boshd of this checkout), with the
shared runner of tests/pysuite.py.

Prints one line per test, `ok - <name>` or `not ok - <name>` followed by the
failure detail (each line prefixed with '#'), then exactly `N passed, N failed`.
Exit status 0 only when nothing failed.

    run.py                 every test
    run.py -k restart      only tests whose name contains 'restart'
    run.py -j 1            one process (default: 4 worker processes, or $BOSHD_IT_JOBS;
                           whole test classes are split between them)
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
# harness (here), the shared runner (tests/) and bosh-client's modules, which
# the tests use (scripts/lib).
sys.path[:0] = [HERE, TESTS, os.path.join(os.path.dirname(TESTS), "scripts", "lib")]

import pysuite  # noqa: E402

if __name__ == "__main__":
    sys.exit(pysuite.main(HERE, __doc__, jobs=4, jobs_env="BOSHD_IT_JOBS", needs_boshd=True))
