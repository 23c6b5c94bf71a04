#!/usr/bin/env python3
"""Tests of scripts/bosh-client (tests/client/test_*.py): the pattern
matcher, SASL, scenario loading, and the wire runner against build/src/boshd
(or $BOSHD) with expectations that must fail. Prints `ok - <test>` / `not ok - <test>`
lines (the integration suite's format) and `N passed, N failed`.

    python3 tests/client/run.py
"""

import importlib.util
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO_ROOT, "scripts", "lib"))

# The integration runner's line-per-test result class.
_spec = importlib.util.spec_from_file_location(
    "integration_run", os.path.join(REPO_ROOT, "tests", "integration", "run.py"))
_integration_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_integration_run)


def main():
    suite = unittest.TestLoader().discover(start_dir=HERE, pattern="test_*.py", top_level_dir=HERE)
    result = _integration_run.LineResult(sys.stdout)
    suite.run(result)
    print("%d passed, %d failed" % (result.passed, result.failed))
    return 1 if result.failed or not result.passed else 0


if __name__ == "__main__":
    sys.exit(main())
