"""Stanzas a client never collected when its session ended go back to their
senders (XEP-0206 §7), written to the server before the stream closes."""

from harness import BoshTestCase

MESSAGE = ("<message xmlns='jabber:client' from='b@example.com/s' to='a@example.com/r' "
           "id='m1' type='chat'><body>never-read</body></message>")
IQ = ("<iq xmlns='jabber:client' from='b@example.com/s' to='a@example.com/r' id='q1' "
      "type='get'><query xmlns='jabber:iq:version'/></iq>")
PRESENCE = "<presence xmlns='jabber:client' from='b@example.com/s' to='a@example.com/r'/>"


class BounceTest(BoshTestCase):
    session = {"inactivity": 1}

    def test_C206_7_01_02_03_inactivity_bounces_queued_stanzas(self):
        s, conn = self.open_session(wait=1)
        conn.push(MESSAGE + IQ + PRESENCE)       # nothing is held: queued in boshd
        conn.wait_stream_closed(timeout=5)       # the session expires
        data = bytes(conn.data)
        close = data.index(b"</stream:stream>")
        msg_error = data.index(b"<message xmlns='jabber:client' type='error' id='m1' "
                               b"to='b@example.com/s'><body>never-read</body>"
                               b"<error type='wait'><recipient-unavailable "
                               b"xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>")
        iq_error = data.index(b"<iq xmlns='jabber:client' type='error' id='q1' "
                              b"to='b@example.com/s'><error type='cancel'><service-unavailable "
                              b"xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>")
        self.assertLess(msg_error, close)
        self.assertLess(iq_error, close)
        self.assertEqual(data.count(b"type='error'"), 2, data)   # nothing for the presence
        self.assertTrue(self.boshd.wait_log("session.bounced", stanzas="2"))
