"""Loading scenario files: malformed steps are reported, not run."""

import os
import tempfile
import unittest

from boshclient.scenario import load_dir

REPO_ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def load(text, mode="wire"):
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "a.toml"), "w") as f:
            f.write(text)
        return load_dir(d, mode)


class Loading(unittest.TestCase):
    def test_the_corpus_and_live_scenarios_load_cleanly(self):
        for sub, mode in (("scenarios", "wire"), ("live", "live")):
            scenarios, problems = load_dir(os.path.join(REPO_ROOT, "xep", sub), mode)
            self.assertEqual(problems, [])
            self.assertTrue(scenarios)
            for sc in scenarios:
                self.assertEqual(sc.errors, [], sc.id)

    def test_step_errors(self):
        scenarios, _ = load("""
[[scenario]]
id = "x"
title = "t"
steps = [
  { sendd = "<body/>" },
  { send = "<body/>", expect = "<body/>" },
  { expect = "<body/>", stream = 2 },
  { advance = "1" },
  { server_send = "<a/>" },
  { shutdown = true },
  { shutdown = "now" },
]
""", mode="live")
        errors = "\n".join(scenarios[0].errors)
        self.assertIn("step 1: unknown key(s) sendd", errors)
        self.assertIn("step 2: needs exactly one verb", errors)
        self.assertIn("step 3: expect does not take stream", errors)
        self.assertIn("step 4: advance has a value of the wrong type", errors)
        self.assertIn("step 5: server_send is only for wire scenarios", errors)
        self.assertIn("step 6: shutdown is only for wire scenarios", errors)
        self.assertIn("step 7: shutdown has a value of the wrong type", errors)

    def test_a_good_scenario_has_no_errors(self):
        scenarios, _ = load("""
[[scenario]]
id = "ok-1"
title = "t"
config = { max_wait = 3 }
steps = [ { send = "<body/>", as = "a" }, { expect = "<body/>", req = "a", timeout = 1 } ]
""")
        self.assertEqual(scenarios[0].errors, [])
        self.assertEqual(scenarios[0].steps[1].mods, {"req": "a", "timeout": 1})

    def test_duplicate_ids_and_bad_ids(self):
        scenarios, _ = load("""
[[scenario]]
id = "a"
title = "t"
steps = [ { advance = 1 } ]
[[scenario]]
id = "a"
title = "t"
steps = [ { advance = 1 } ]
[[scenario]]
id = "Bad_Id"
title = "t"
steps = [ { advance = 1 } ]
""")
        self.assertEqual(scenarios[0].errors, [])
        self.assertIn("also used", scenarios[1].errors[0])
        self.assertIn("is not [a-z0-9-]+", scenarios[2].errors[0])

    def test_not_toml(self):
        scenarios, problems = load("[[scenario]\nid=")
        self.assertEqual(scenarios, [])
        self.assertEqual(len(problems), 1)
