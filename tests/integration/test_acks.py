"""Response acknowledgements over the wire (XEP-0124 §9.2): reports of lost
responses, and the responses kept until the client acknowledges them."""

import time

from harness import BoshTestCase


class ResponseAckTest(BoshTestCase):

    def test_C124_9_2_01_02_a_stale_ack_gets_report_and_time(self):
        s, conn = self.open_session(wait=1, ack=1)
        r0 = s.rid
        self.assertEmptyBody(s.request(timeout=5))   # rid r0+1, answered at wait expiry
        sent_at = time.monotonic()
        time.sleep(0.5)
        # As if r0+1's response had been lost: the client still acks r0.
        resp = s.request(ack=r0, timeout=5)
        root = self.assertEmptyBody(resp)
        self.assertLess(resp.elapsed, 0.5, "the report was not sent at once")
        self.assertEqual(root.get("report"), str(r0 + 1))
        expected_ms = (time.monotonic() - sent_at) * 1000
        self.assertAlmostEqual(int(root.get("time")), expected_ms, delta=400)

    def test_C124_9_2_03_unacknowledged_responses_outlive_the_window(self):
        s, conn = self.open_session(wait=1, hold=1, ack=1)   # requests = 2
        r0 = s.rid
        first = s.request(ack=r0, timeout=5)
        # 1001 is reported once (C124-9.2-01); later requests wait out `wait`.
        self.assertEqual(s.request(ack=r0, timeout=5).xml().get("report"), str(r0 + 1))
        for _ in range(2):
            self.assertIsNone(s.request(ack=r0, timeout=5).xml().get("report"))
        again = s.request(ack=r0, rid=r0 + 1, timeout=5)   # a verbatim resend
        self.assertEqual(again.body, first.body)

    def test_C124_9_2_03_acknowledged_responses_are_forgotten(self):
        s, conn = self.open_session(wait=1, ack=1)
        r0 = s.rid
        self.assertEmptyBody(s.request(timeout=5))
        n = self.requests_seen()
        s.send(ack=r0 + 1)
        self.wait_requests_seen(n + 1)               # the ack is in before the resend
        self.assertTerminate(s.request(rid=r0 + 1, ack=r0), "item-not-found")
