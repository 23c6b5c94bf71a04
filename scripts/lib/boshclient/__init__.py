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
  httpclient a strict raw-socket HTTP/1.x client (one connection per object)
  fake_xmpp  a scripted fake XMPP server (the backend of corpus runs)
  boshd      a boshd process with a generated config (corpus --boshd)

Nothing here depends on tests/; the dependency goes the other way: the
integration suite (tests/integration/) and bosh-client's own tests
(tests/client/) use httpclient, fake_xmpp and boshd from this package.
"""

import os

# The repository this copy of bosh-client lives in (scripts/lib/boshclient/):
# the default scenario directories, conf/boshd.toml and build/src/boshd.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
