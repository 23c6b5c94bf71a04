"""Multiple streams over the wire (XEP-0124 §16): adding a stream opens a
second backend connection; payloads are routed by `stream`, broadcast without
it; one stream can be terminated, or fail, while the session goes on."""

from harness import BoshTestCase, CLIENT_NS, STREAMS_NS, message

SESSION_ATTRS = ("sid", "requests", "polling", "hold", "inactivity", "maxpause", "accept",
                 "charsets", "ver", "wait")


class StreamsTest(BoshTestCase):
    session = {"max_streams": 4}

    def add_stream(self, s):
        """Adds a stream: (its name, its backend connection, the add reply).
        Also collects the new stream's features, so nothing is left queued."""
        before = len(self.xmpp.conns)
        add = s.request(to="example.com")
        name = add.xml().get("stream")
        self.assertTrue(name, add.body)
        conn = self.xmpp.wait_connection(before)
        conn.wait_headers(1)
        features = s.request()
        root = features.xml()
        self.assertEqual(root.get("stream"), name, features.body)
        self.assertIsNotNone(root.find("{%s}features" % STREAMS_NS), features.body)
        return name, conn, add

    def two_streams(self):
        s, conn1 = self.open_session(wait=5)
        name1 = s.creation.xml().get("stream")
        self.assertTrue(name1, s.creation.body)
        name2, conn2, _ = self.add_stream(s)
        return s, (name1, conn1), (name2, conn2)

    def test_C124_16_2_01_creation_reply_names_the_first_stream(self):
        s, _ = self.open_session()
        root = s.creation.xml()
        self.assertEqual(len(root.get("stream") or ""), 32, s.creation.body)
        self.assertNotEqual(root.get("stream"), root.get("sid"))

    def test_C124_16_3_02_add_stream_opens_a_second_backend(self):
        s, conn1 = self.open_session(wait=5)
        name1 = s.creation.xml().get("stream")
        name2, conn2, add = self.add_stream(s)
        self.assertNotEqual(name1, name2)
        self.assertIsNot(conn1, conn2)
        self.assertEqual(conn2.headers()[0].get("to"), "example.com")
        # C124-16.3-03: no session attributes on the add-stream reply.
        root = add.xml()
        for a in SESSION_ATTRS:
            self.assertIsNone(root.get(a), "%s on %r" % (a, add.body))
        self.assertTrue(self.boshd.wait_log("stream.added"))

    def test_C124_16_4_02_body_without_stream_goes_to_every_stream(self):
        s, (_, conn1), (_, conn2) = self.two_streams()
        s.send(message("to-everyone"))
        conn1.wait_data("to-everyone")
        conn2.wait_data("to-everyone")

    def test_C124_16_4_03_body_with_stream_goes_to_that_stream_only(self):
        s, (name1, conn1), (name2, conn2) = self.two_streams()
        s.send(message("only-two"), stream=name2)
        conn2.wait_data("only-two")
        s.send(message("only-one"), stream=name1)
        conn1.wait_data("only-one")
        self.assertEqual(conn1.count("only-two"), 0)
        self.assertEqual(conn2.count("only-one"), 0)

    def test_C124_16_4_01_replies_name_the_stream_of_their_payloads(self):
        s, (name1, conn1), (name2, conn2) = self.two_streams()
        n = self.requests_seen()
        c, _ = s.send()
        self.wait_requests_seen(n + 1)           # held
        conn2.push(message("from-two", frm="carol@example.com"))
        r = c.read_response(timeout=5)
        self.assertEqual(r.xml().get("stream"), name2, r.body)
        self.assertNotIn(b"from-one", r.body)
        c, _ = s.send()
        conn1.push(message("from-one", frm="bob@example.com"))
        r = c.read_response(timeout=5)
        self.assertEqual(r.xml().get("stream"), name1, r.body)
        self.assertNotIn(b"from-two", r.body)

    def test_C124_16_4_04_unknown_stream_is_item_not_found(self):
        s, _, _ = self.two_streams()
        self.assertTerminate(s.request(message("lost"), stream="bogus"), "item-not-found")

    def test_C124_16_5_01_terminate_with_stream_closes_only_that_stream(self):
        s, (name1, conn1), (name2, conn2) = self.two_streams()
        r = s.request("<presence xmlns='jabber:client' type='unavailable'/>", type="terminate",
                      stream=name2)
        root = r.xml()
        self.assertEqual(root.get("type"), "terminate", r.body)
        self.assertEqual(root.get("stream"), name2, r.body)
        self.assertIsNone(root.get("condition"), r.body)
        conn2.wait_data("type='unavailable'")
        conn2.wait_stream_closed()
        self.assertNotIn("close", conn1.kinds())
        self.assertEqual(conn1.count("unavailable"), 0)
        s.send(message("after-close"))
        conn1.wait_data("after-close")
        self.assertEqual(conn2.count("after-close"), 0)

    def test_C124_16_5_03_terminate_without_stream_closes_every_stream(self):
        s, (_, conn1), (_, conn2) = self.two_streams()
        r = s.request("<presence xmlns='jabber:client' type='unavailable'/>", type="terminate")
        self.assertIsNone(r.xml().get("stream"), r.body)
        for conn in (conn1, conn2):
            conn.wait_data("type='unavailable'")
            conn.wait_stream_closed()
        self.assertTerminate(s.request(), "item-not-found")

    def test_C124_16_6_01_dropped_backend_ends_only_its_stream(self):
        s, (name1, conn1), (name2, conn2) = self.two_streams()
        n = self.requests_seen()
        c, _ = s.send()
        self.wait_requests_seen(n + 1)           # held
        conn2.close()                            # stream 2's server connection drops
        r = c.read_response(timeout=5)
        root = self.assertTerminate(r, "remote-connection-failed")
        self.assertEqual(root.get("stream"), name2, r.body)
        self.assertTrue(self.boshd.wait_log("stream.closed", condition="remote-connection-failed"))
        # C124-16.6-03: the session goes on and stream 1 still delivers.
        c, _ = s.send()
        conn1.push(message("still-here", frm="bob@example.com"))
        r = c.read_response(timeout=5)
        msg = self.assertHasStanza(r, "message")
        self.assertEqual(msg.findtext("{%s}body" % CLIENT_NS), "still-here")
        self.assertEqual(r.xml().get("stream"), name1)
        # C124-16.6-02: the stream is closed; C124-16.4-05: payloads naming it
        # moments later are dropped, and the request is an ordinary one.
        c, _ = s.send(message("too-late"), stream=name2)
        self.assertTrue(self.boshd.wait_log("stream.payloads_dropped"))
        conn1.push(message("after", frm="bob@example.com"))
        r = c.read_response(timeout=5)
        msg = self.assertHasStanza(r, "message")
        self.assertEqual(msg.findtext("{%s}body" % CLIENT_NS), "after")
        self.assertEqual(conn1.count("too-late"), 0)


class StreamsOffTest(BoshTestCase):
    def test_C124_16_3_01_off_by_default_to_is_ignored(self):
        s, conn = self.open_session(wait=1)
        self.assertIsNone(s.creation.xml().get("stream"))
        r = s.request(to="example.com")
        self.assertEmptyBody(r)
        self.assertEqual(len(self.xmpp.conns), 1)
