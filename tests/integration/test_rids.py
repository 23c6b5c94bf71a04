"""Request ids over the wire: in-order processing, resends, and clients that
drop a held connection (XEP-0124 §8, §14; ARCHITECTURE.md §5)."""

from harness import BoshTestCase, CLIENT_NS, message


class OrderTest(BoshTestCase):

    def test_C124_8_02_payloads_forwarded_in_rid_order(self):
        s, conn = self.open_session(hold=1)
        r0 = s.rid
        n = self.requests_seen()
        # rid+2 first, on its own connection, and make sure boshd has read it ...
        c2, _ = s.send(message("payload-B"), rid=r0 + 2)
        self.wait_requests_seen(n + 1)
        # ... then rid+1 on another connection.
        c1, _ = s.send(message("payload-A"), rid=r0 + 1)
        conn.wait_data("payload-B")
        data = bytes(conn.data)
        self.assertLess(data.index(b"payload-A"), data.index(b"payload-B"),
                        "the server got B before A")
        # C124-8-07: replies in rid order. hold=1: rid+1 is released (empty)
        # by rid+2, which stays held until the server has something.
        self.assertEmptyBody(c1.read_response())
        self.assertFalse(c2.has_pending_data(0), "rid+2 answered before anything was pushed")
        conn.push(message("to-B"))
        self.assertHasStanza(c2.read_response(), "message")

    def test_C124_8_07_push_waits_for_the_missing_rid(self):
        s, conn = self.open_session(hold=1)
        r0 = s.rid
        n = self.requests_seen()
        c2, _ = s.send(rid=r0 + 2)
        self.wait_requests_seen(n + 1)
        conn.push(message("early-news"))
        # rid+1 is missing: nothing may answer rid+2 (a short negative check).
        self.assertFalse(c2.has_pending_data(0.3), "rid+2 answered while rid+1 was missing")
        c1, _ = s.send(rid=r0 + 1)
        first = c1.read_response()
        msg = self.assertHasStanza(first, "message")
        self.assertEqual(msg.findtext("{%s}body" % CLIENT_NS), "early-news")
        self.assertFalse(c2.has_pending_data(0), "rid+2 answered although nothing was queued")
        conn.push(message("later-news"))
        self.assertHasStanza(c2.read_response(), "message")

    def test_C124_14_2_01_rid_ahead_within_window_is_accepted(self):
        s, conn = self.open_session(hold=1)
        r0 = s.rid
        c1, _ = s.send(message("one"), rid=r0 + 1)
        conn.wait_data("one")
        conn.push(message("answer-one"))
        self.assertHasStanza(c1.read_response(), "message")
        # rid+1 is answered: rid+3 is inside the window, queued until rid+2.
        n = self.requests_seen()
        c3, _ = s.send(message("three"), rid=r0 + 3)
        self.wait_requests_seen(n + 1)
        c2, _ = s.send(message("two"), rid=r0 + 2)
        conn.wait_data("three")
        data = bytes(conn.data)
        self.assertLess(data.index(b"one"), data.index(b"two"))
        self.assertLess(data.index(b"two"), data.index(b"three"))
        self.assertEmptyBody(c2.read_response())
        conn.push(message("x"))
        self.assertHasStanza(c3.read_response(), "message")

    def test_C124_11_01_more_than_requests_outstanding_is_policy_violation(self):
        # requests=2: rid+1 held, rid+3 parked, then rid+2 makes three.
        s, conn = self.open_session(hold=1)
        r0 = s.rid
        n = self.requests_seen()
        c1, _ = s.send(rid=r0 + 1)
        c3, _ = s.send(rid=r0 + 3)
        self.wait_requests_seen(n + 2)
        c2, _ = s.send(rid=r0 + 2)
        self.assertTerminate(c2.read_response(), "policy-violation")
        self.assertTerminate(c1.read_response(), "other-request")   # C124-17.2-10
        self.assertTerminate(c3.read_response(), "other-request")
        conn.wait_stream_closed()


class ResendTest(BoshTestCase):

    def test_C124_14_3_02_resend_of_answered_rid_replays_identical_bytes(self):
        s, conn = self.open_session(hold=1)
        c1, r1 = s.send(message("sent-exactly-once"))
        conn.wait_data("sent-exactly-once")
        conn.push(message("server-reply"))
        first = c1.read_response()
        self.assertHasStanza(first, "message")
        again = s.request(message("sent-exactly-once"), rid=r1)   # a new connection
        self.assertEqual(again.status, first.status)
        self.assertEqual(again.body, first.body)
        self.assertEqual(again.header("Content-Type"), first.header("Content-Type"))
        # TCP keeps order: once the next payload is there, a second copy would be too.
        c2, _ = s.send(message("next-payload"))
        conn.wait_data("next-payload")
        self.assertEqual(conn.count("sent-exactly-once"), 1)
        conn.push(message("x"))
        self.assertHasStanza(c2.read_response(), "message")

    def test_C124_14_3_03_resend_of_held_rid_errors_old_connection(self):
        s, conn = self.open_session(hold=1, wait=10)
        n = self.requests_seen()
        old, r1 = s.send()
        self.wait_requests_seen(n + 1)
        new, _ = s.send(rid=r1)
        resp = old.read_response(timeout=2)
        self.assertEqual(resp.status, 200)
        root = resp.xml()
        self.assertEqual(root.get("type"), "error", resp.body)   # recoverable
        self.assertEqual(list(root), [])
        conn.push(message("to-the-new-connection"))
        pushed = new.read_response()
        self.assertHasStanza(pushed, "message")
        # C124-17.3-01: the session goes on.
        c2, _ = s.send(message("still-alive"))
        conn.wait_data("still-alive")
        conn.push(message("y"))
        self.assertHasStanza(c2.read_response(), "message")

    def test_C124_14_3_06_resend_after_cache_gone_is_item_not_found(self):
        s, conn = self.open_session(hold=1, wait=10)
        first_rid = None
        for i in range(4):
            c, rid = s.send(message("m%d" % i))
            first_rid = first_rid or rid
            conn.wait_data("m%d" % i)
            conn.push(message("r%d" % i))
            self.assertHasStanza(c.read_response(), "message")
        resp = s.request(message("m0"), rid=first_rid)
        self.assertTerminate(resp, "item-not-found")
        self.assertEqual(conn.count("m0"), 1)


class AbortedRequestTest(BoshTestCase):
    """ARCHITECTURE.md §5: libevent 2.1.12 does not notice a client that
    drops a held request unless boshd watches EV_CLOSED itself."""

    def drop_held_request(self, drop):
        """Holds an empty request of a new session, drops its connection with
        |drop| (close or reset), checks boshd notices within 2 s although
        wait is 10 s and that a resend of the rid gets a reply (the empty
        answer kept for it). Returns the session and its backend connection."""
        s, conn = self.open_session(wait=10)
        n = self.requests_seen()
        held, rid = s.send()
        self.wait_requests_seen(n + 1)
        gone_before = self.boshd.count("http.gone")
        drop(held)
        self.boshd.wait_log("http.gone", count=gone_before + 1, timeout=2)
        self.assertTrue(self.boshd.alive())
        again = s.request(rid=rid, timeout=2)
        self.assertEqual(again.status, 200)
        self.assertIsNone(again.xml().get("type"), again.body)
        return s, conn

    def test_client_drops_held_request_noticed_before_wait(self):
        other, other_conn = self.open_session(wait=10)
        s, conn = self.drop_held_request(lambda c: c.close())
        # The session itself goes on ...
        c, _ = s.send(message("after-drop"))
        conn.wait_data("after-drop")
        conn.push(message("back"))
        self.assertHasStanza(c.read_response(), "message")
        # ... and so does the other one.
        oc, _ = other.send(message("other-session"))
        other_conn.wait_data("other-session")
        other_conn.push(message("other-back"))
        self.assertHasStanza(oc.read_response(), "message")

    def test_client_resets_held_connection_noticed_before_wait(self):
        # A reset (RST) shows up in epoll as an error, not as EV_CLOSED; it
        # must still be noticed at once, and not leave the socket spinning.
        s, conn = self.drop_held_request(lambda c: c.reset())
        c, _ = s.send(message("after-reset"))
        conn.wait_data("after-reset")

    def test_client_drops_request_parked_behind_a_gap(self):
        s, conn = self.open_session(hold=1, wait=10)
        r0 = s.rid
        n = self.requests_seen()
        parked, _ = s.send(message("parked-payload"), rid=r0 + 2)
        self.wait_requests_seen(n + 1)
        gone_before = self.boshd.count("http.gone")
        parked.close()
        self.boshd.wait_log("http.gone", count=gone_before + 1, timeout=2)
        # Filling the gap still forwards both payloads, in order.
        c1, _ = s.send(message("gap-filler"), rid=r0 + 1)
        conn.wait_data("parked-payload")
        data = bytes(conn.data)
        self.assertLess(data.index(b"gap-filler"), data.index(b"parked-payload"))
        # rid+1 is now the one held request (hold=1).
        conn.push(message("for-rid-1"))
        self.assertHasStanza(c1.read_response(), "message")
        # The resend of the dropped rid finds its (empty) answer, and its
        # payload is not forwarded twice.
        again = s.request(message("parked-payload"), rid=r0 + 2, timeout=3)
        self.assertEqual(again.status, 200)
        self.assertIsNone(again.xml().get("type"), again.body)
        c3, _ = s.send(message("after-resend"), rid=r0 + 3)
        conn.wait_data("after-resend")
        self.assertEqual(conn.count("parked-payload"), 1)

    def test_push_after_drop_is_not_lost(self):
        s, conn = self.open_session(hold=1, wait=10)
        n = self.requests_seen()
        held, rid = s.send()
        self.wait_requests_seen(n + 1)
        gone_before = self.boshd.count("http.gone")
        held.close()
        self.boshd.wait_log("http.gone", count=gone_before + 1, timeout=2)
        conn.push(message("pushed-after-drop"))
        # The dropped request was answered (empty) into the cache; the stanza
        # waits for the next request and is answered at once.
        resp = s.request(timeout=2)
        self.assertEqual(self.assertHasStanza(resp, "message").findtext("{%s}body" % CLIENT_NS),
                         "pushed-after-drop")

    def test_client_drops_pipelined_connection_while_held(self):
        # The second request sits unread behind the held first one when the
        # client goes away: both go with the connection, boshd keeps running.
        s, conn = self.open_session(hold=1, wait=10)
        c = s.conn()
        hdrs = [("Content-Type", "text/xml; charset=utf-8")]
        r1, r2 = s.rid + 1, s.rid + 2
        n = self.requests_seen()
        gone_before = self.boshd.count("http.gone")
        c.send_pipelined([("POST", s.path, s.body(rid=r1), hdrs),
                          ("POST", s.path, s.body(message("never-read"), rid=r2), hdrs)])
        self.wait_requests_seen(n + 1)
        c.close()
        self.boshd.wait_log("http.gone", count=gone_before + 1, timeout=2)
        self.assertTrue(self.boshd.alive())
        # The client resends both on fresh connections.
        again = s.request(rid=r1, timeout=2)
        self.assertEqual(again.status, 200)
        c2, _ = s.send(message("never-read"), rid=r2)
        conn.wait_data("never-read")
        conn.push(message("x"))
        self.assertHasStanza(c2.read_response(), "message")
        self.assertEqual(conn.count("never-read"), 1)

    def test_client_drops_creation_request_before_features(self):
        self.xmpp.features_delay = 0.5
        s = self.new_session()
        c = s.conn()
        gone_before = self.boshd.count("http.gone")
        n = self.requests_seen()
        c.send("POST", s.path, s.creation_body(), [("Content-Type", "text/xml")])
        self.wait_requests_seen(n + 1)
        c.close()
        self.boshd.wait_log("http.gone", count=gone_before + 1, timeout=2)
        # The client never learnt the sid: nobody can reach that session, so
        # it ends at once, with its backend stream, not after `inactivity`.
        self.boshd.wait_log("session.expired", reason="creation abandoned", timeout=2)
        conn = self.xmpp.wait_connection(0)
        conn.wait_stream_closed()
        # boshd keeps serving.
        other, other_conn = self.open_session()
        oc, _ = other.send(message("other"))
        other_conn.wait_data("other")
        other_conn.push(message("x"))
        self.assertHasStanza(oc.read_response(), "message")
