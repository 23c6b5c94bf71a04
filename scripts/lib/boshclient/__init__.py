"""bosh-client: a scripted BOSH client (scripts/bosh-client).

Modules, one job each:
  patterns   the pattern matcher and {name} substitution of xep/FORMAT.md
  scenario   reading and checking scenario files
  runner     running the steps of one scenario, the ok/not ok report
  wire       the HTTP side: requests, replies, connections, the transcript
  corpus     the conformance corpus: fake XMPP server, boshd per scenario
  live       scenarios against a real XMPP server (xep/live/)
  sasl       SASL PLAIN and SCRAM-SHA-1/-256 (RFC 5802) for live runs
  cli        the command line

The HTTP client, the fake XMPP server and the boshd process control are the
integration suite's (tests/integration/), imported from there.
"""

import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
INTEGRATION_DIR = os.path.join(REPO_ROOT, "tests", "integration")
if INTEGRATION_DIR not in sys.path:
    sys.path.insert(0, INTEGRATION_DIR)
