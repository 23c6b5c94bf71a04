"""The corpus runner over the wire, against the built boshd: a scenario that
holds passes, and each kind of wrong expectation fails at its own step (so a
green conformance-wire run means something). Needs build/src/boshd (or
$BOSHD), which scripts/test builds first."""

import os
import unittest

from boshclient import REPO_ROOT
from boshclient.corpus import CorpusRunner
from boshclient.scenario import Scenario, Step

BOSHD = os.environ.get("BOSHD", os.path.join(REPO_ROOT, "build", "src", "boshd"))
NS = "xmlns='http://jabber.org/protocol/httpbind'"
CREATE = ("<body rid='1000' to='example.com' wait='10' hold='1' ver='1.11' xml:lang='en' "
          "xmpp:version='1.0' xmlns:xmpp='urn:xmpp:xbosh' %s/>" % NS)
MESSAGE = "<message to='bob@example.com' xmlns='jabber:client'><body>hi</body></message>"

# A conversation that holds; each test replaces one step with a wrong one.
GOOD = [
    {"send": CREATE},
    {"server_expect_header": "<stream:stream to='example.com' "
                             "xmlns:stream='http://etherx.jabber.org/streams'/>"},
    {"expect": "<body sid='{sid}' authid='{stream_id}' %s>{*}</body>" % NS, "absent": ["type"]},
    {"send": "<body rid='1001' sid='{sid}' %s>%s</body>" % (NS, MESSAGE), "as": "r1"},
    {"server_expect": MESSAGE},
    {"expect_pending": "r1"},
    {"server_send": "<message from='bob@example.com' xmlns='jabber:client'><body>yo</body></message>"},
    {"expect": "<body %s><message from='bob@example.com' xmlns='jabber:client'><body>yo</body>"
               "</message></body>" % NS, "req": "r1", "capture_raw": "raw"},
    {"send": "<body rid='1001' sid='{sid}' %s>%s</body>" % (NS, MESSAGE), "as": "again"},
    {"expect_raw": "{raw}", "req": "again"},
    {"server_expect_nothing": True},
]


def scenario(steps):
    parsed = []
    for i, table in enumerate(steps, 1):
        verb = next(k for k in table if k not in ("as", "req", "absent", "capture_raw", "status",
                                                   "timeout"))
        parsed.append(Step(i, verb, table[verb], {k: v for k, v in table.items() if k != verb}))
    return Scenario("t", "t", "test_wire.py", steps=parsed)


def with_step(index, table):
    steps = [dict(s) for s in GOOD]
    steps[index] = table
    return steps


@unittest.skipUnless(os.access(BOSHD, os.X_OK), "needs a built boshd (scripts/build)")
class WireRunner(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.runner = CorpusRunner(boshd=BOSHD).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.runner.__exit__(None, None, None)

    def run_steps(self, steps):
        return self.runner.run(scenario(steps))

    def assertFailsAt(self, steps, number, text):
        result = self.run_steps(steps)
        self.assertEqual(result.status, "not ok", result.lines)
        self.assertTrue(result.lines[0].startswith("step %d:" % number), result.lines)
        self.assertIn(text, "\n".join(result.lines))

    def test_the_good_conversation_passes(self):
        result = self.run_steps(GOOD)
        self.assertEqual(result.status, "ok", "\n".join(result.lines))

    def test_wrong_reply_text(self):
        self.assertFailsAt(with_step(7, {"expect": GOOD[7]["expect"].replace(">yo<", ">no<"),
                                         "req": "r1"}), 8, "text(): expected 'no', got 'yo'")

    def test_wrong_status(self):
        self.assertFailsAt(with_step(2, {"expect": "<body %s>{*}</body>" % NS, "status": 404}),
                           3, "HTTP status 200, expected 404")

    def test_absent_attribute_present(self):
        self.assertFailsAt(with_step(2, {"expect": "<body %s>{*}</body>" % NS, "absent": ["sid"]}),
                           3, "sid must be absent")

    def test_wrong_stream_id(self):
        self.assertFailsAt(with_step(2, {"expect": "<body authid='x' %s>{*}</body>" % NS}),
                           3, "authid")

    def test_raw_differs(self):
        self.assertFailsAt(with_step(9, {"expect_raw": "{raw} ", "req": "again"}), 10, "differs")

    def test_pending_request_was_answered(self):
        steps = [dict(s) for s in GOOD[:7]] + [{"expect_pending": "r1"}]
        self.assertFailsAt(steps, 8, "request r1 was answered")

    def test_server_did_not_receive(self):
        self.assertFailsAt(with_step(4, {"server_expect": MESSAGE.replace("hi", "ho"),
                                         "timeout": 0.5}), 5, "no matching element")

    def test_server_received_something(self):
        steps = GOOD[:4] + [{"server_expect_nothing": True}]
        self.assertFailsAt(steps, 5, "received 1 element")

    def test_wrong_header(self):
        self.assertFailsAt(with_step(1, {"server_expect_header": "<stream:stream to='example.org' "
                                         "xmlns:stream='http://etherx.jabber.org/streams'/>",
                                         "timeout": 0.5}), 2, "no matching stream header")

    def test_no_reply_in_time(self):
        steps = GOOD[:4] + [{"expect": "<body %s/>" % NS, "req": "r1", "timeout": 0.3}]
        self.assertFailsAt(steps, 5, "no valid reply to r1")

    def test_shutdown_answers_held_requests(self):
        steps = GOOD[:6] + [
            {"shutdown": True},
            {"expect": "<body type='terminate' condition='system-shutdown' %s/>" % NS, "req": "r1"},
            {"server_expect_close": True},
        ]
        result = self.run_steps(steps)
        self.assertEqual(result.status, "ok", result.lines)

    def test_send_after_shutdown_fails(self):
        steps = GOOD[:6] + [{"shutdown": True}, {"send": CREATE, "as": "late"}]
        self.assertFailsAt(steps, 8, "send after shutdown")


class GivenBoshd(unittest.TestCase):
    def test_shutdown_scenarios_are_skipped(self):
        with CorpusRunner(url="http://127.0.0.1:9/http-bind") as runner:
            result = runner.run(scenario([{"send": CREATE}, {"shutdown": True}]))
        self.assertEqual(result.status, "skip")
        self.assertIn("needs --boshd", result.reason)
