#!/usr/bin/env python3
"""Tests of scripts/bosh-client (tests/client/test_*.py): the pattern
matcher (the shared vectors of xep/matcher-vectors.toml), SASL, scenario
loading, and the wire runner against build/src/boshd (or $BOSHD) with
expectations that must fail. Runs with the shared runner of tests/pysuite.py:
`ok - <test>` / `not ok - <test>` lines, then `N passed, N failed`.

    run.py                 every test
    run.py -k Vectors      only tests whose id contains 'Vectors'
    run.py -j 2            two worker processes (default 1)
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
# The shared runner (tests/) and bosh-client itself (scripts/lib).
sys.path[:0] = [HERE, TESTS, os.path.join(os.path.dirname(TESTS), "scripts", "lib")]

import pysuite  # noqa: E402

if __name__ == "__main__":
    sys.exit(pysuite.main(HERE, __doc__))
