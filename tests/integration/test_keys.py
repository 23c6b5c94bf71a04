"""Key sequencing over the wire (XEP-0124 §15): a chain started by newkey on
creation, checked on every request, switched with key + newkey."""

import hashlib

from harness import BoshTestCase, message


def chain(seed, n):
    """[K1, ..., Kn] with K1 = hex(SHA-1(seed)), K(i+1) = hex(SHA-1(K(i))):
    every key on the wire is 40 hex digits (§15)."""
    keys = [hashlib.sha1(seed.encode()).hexdigest()]
    while len(keys) < n:
        keys.append(hashlib.sha1(keys[-1].encode()).hexdigest())
    return keys


class KeySequencingTest(BoshTestCase):

    def test_C124_15_4_01_C124_15_3_01_a_valid_chain_is_accepted(self):
        k = chain("integration-seed", 5)
        s, conn = self.open_session(wait=1, newkey=k[4].upper())   # compared case-insensitively
        self.assertEmptyBody(s.request(message("first"), key=k[3], timeout=5))
        conn.wait_data("first")
        self.assertEmptyBody(s.request(message("second"), key=k[2], timeout=5))
        conn.wait_data("second")

    def test_C124_15_4_02_a_wrong_key_ends_the_session_unprocessed(self):
        k = chain("wrong-key", 3)
        s, conn = self.open_session(wait=1, newkey=k[2])
        before = self.rejection_count()
        c, _ = s.send(message("forged"), key="0" * 40)
        self.assertTerminate(c.read_response(), "item-not-found")
        conn.wait_stream_closed()
        self.assertNotIn(b"forged", bytes(conn.data))
        self.log_barrier(c)
        self.assertLoggedOnce(before)

    def test_C124_15_4_04_verbatim_resend_gets_cached_reply(self):
        k = chain("resend", 4)
        s, conn = self.open_session(wait=1, newkey=k[3])
        first = s.request(message("once"), key=k[2], timeout=5)
        again = s.request(message("once"), key=k[2], rid=s.rid, timeout=5)
        self.assertEqual(again.body, first.body)
        self.assertEmptyBody(s.request(message("next"), key=k[1], timeout=5))
        conn.wait_data("next")
        self.assertEqual(bytes(conn.data).count(b"once"), 1)

    def test_C124_15_5_01_key_and_newkey_switch_chains(self):
        k = chain("old-chain", 2)
        j = chain("new-chain", 3)
        s, conn = self.open_session(wait=1, newkey=k[1])
        self.assertEmptyBody(s.request(key=k[0], newkey=j[2], timeout=5))
        self.assertEmptyBody(s.request(message("on-new-chain"), key=j[1], timeout=5))
        conn.wait_data("on-new-chain")
        self.assertTerminate(s.request(key="7" * 40), "item-not-found")
