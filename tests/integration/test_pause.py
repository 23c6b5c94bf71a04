"""Pausing a session over the wire (XEP-0124 §10): maxpause, the replies to a
pause request, and the temporary inactivity period."""

import time

from harness import BoshTestCase, CLIENT_NS, message


class PauseTest(BoshTestCase):
    # inactivity 1 s, pauses up to 10 s: a pause of 4 s outlives the inactivity.
    session = {"inactivity": 1, "max_pause": 10}

    def test_C124_7_2_16_maxpause_on_the_creation_reply(self):
        s = self.new_session()
        root = s.create().xml()
        self.assertEqual(root.get("maxpause"), "10")

    def test_C124_10_06_pause_answers_held_and_outlives_inactivity(self):
        s, conn = self.open_session(wait=10)
        n = self.requests_seen()
        c1, _ = s.send()
        self.wait_requests_seen(n + 1)         # r1 is held
        c2, _ = s.send(pause=4)
        r1 = c1.read_response(timeout=2)
        r2 = c2.read_response(timeout=2)
        self.assertEmptyBody(r1)
        self.assertEmptyBody(r2)
        self.assertLess(r2.elapsed, 1.0, "the pause request was held")
        time.sleep(2.0)                        # longer than inactivity, shorter than the pause
        self.assertEqual(self.boshd.count("session.expired"), 0)
        c3, _ = s.send(message("back-again"))
        conn.wait_data("back-again")

    def test_C124_10_07_pause_reply_carries_no_payload(self):
        s, conn = self.open_session(wait=10)
        conn.push(message("queued-news"))      # nothing is held: it waits in boshd
        time.sleep(0.3)                        # (if it came later, r2 would still get it)
        r1 = s.request(pause=4)
        self.assertEmptyBody(r1)
        r2 = s.request()                       # the next request collects it at once
        msg = self.assertHasStanza(r2, "message")
        self.assertEqual(msg.findtext("{%s}body" % CLIENT_NS), "queued-news")

    def test_C124_7_2_16_pause_over_maxpause_is_policy_violation(self):
        s, conn = self.open_session(wait=10)
        self.assertTerminate(s.request(pause=11), "policy-violation")
        conn.wait_stream_closed()
