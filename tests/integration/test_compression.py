"""HTTP content codings over the wire: compressed replies (XEP-0124 §5,
C124-5-07) and compressed requests (§7.2, C124-7.2-13, C124-7.2-14)."""

import gzip
import zlib

from boshclient.boshd import PATH
from harness import BoshTestCase, message

BIG = "z" * 3000  # a stanza well over http.compress_min_size (1024 where set)
XML_HEADERS = [("Content-Type", "text/xml; charset=utf-8")]


def vary_of(resp):
    return [v.strip().lower() for v in ",".join(resp.header_values("Vary")).split(",") if v.strip()]


class ReplyCodingTest(BoshTestCase):
    """C124-5-07 with reply compression turned on (it is off by default)."""

    http = {"compress_min_size": 1024}

    def big_reply(self, accept_encoding=None):
        """A reply carrying BIG, to a request with |accept_encoding| (None:
        no Accept-Encoding header at all)."""
        s, conn = self.open_session(hold=1)
        headers = [] if accept_encoding is None else [("Accept-Encoding", accept_encoding)]
        c, rid = s.send(headers=headers)
        self.wait_requests_seen(2)
        conn.push(message(BIG))
        return s, conn, rid, c.read_response()

    def assertCarriesBig(self, entity):
        resp_text = entity.decode("utf-8")
        self.assertIn(BIG, resp_text)
        self.assertTrue(resp_text.startswith("<body"), resp_text[:100])

    def test_C124_5_07_gzip_reply_inflates_to_a_valid_body(self):
        _, _, _, resp = self.big_reply("gzip")
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.header("Content-Encoding"), "gzip", resp.headers)
        self.assertIn("accept-encoding", vary_of(resp))
        self.assertBoshHeaders(resp)  # Content-Length is the compressed length
        self.assertLess(len(resp.body), len(BIG))
        plain = gzip.decompress(resp.body)
        self.assertCarriesBig(plain)
        resp.body = plain
        self.assertHasStanza(resp, "message")

    def test_C124_5_07_no_accept_encoding_no_content_encoding(self):
        _, _, _, resp = self.big_reply(None)
        self.assertIsNone(resp.header("Content-Encoding"), resp.headers)
        self.assertBoshHeaders(resp)
        self.assertHasStanza(resp, "message")
        self.assertIn(BIG, resp.text)

    def test_C124_5_07_deflate_only_never_gets_gzip(self):
        _, _, _, resp = self.big_reply("deflate")
        self.assertEqual(resp.header("Content-Encoding"), "deflate", resp.headers)
        # RFC 9110 §8.4.1.2: "deflate" is the zlib format.
        self.assertCarriesBig(zlib.decompress(resp.body))

    def test_C124_5_07_gzip_refused_by_q0_is_not_used(self):
        _, _, _, resp = self.big_reply("gzip;q=0, deflate;q=0.5")
        self.assertEqual(resp.header("Content-Encoding"), "deflate", resp.headers)
        self.assertCarriesBig(zlib.decompress(resp.body))

    def test_C124_5_07_nothing_acceptable_is_identity(self):
        _, _, _, resp = self.big_reply("br, gzip;q=0")
        self.assertIsNone(resp.header("Content-Encoding"), resp.headers)
        self.assertIn(BIG, resp.text)

    def test_C124_5_07_small_replies_are_not_compressed(self):
        s, _ = self.open_session(hold=1)
        # An empty reply is far below 1024 bytes: sent as it is.
        c, _ = s.send(headers=[("Accept-Encoding", "gzip, deflate")])
        s.send()  # releases the held request with an empty body
        resp = c.read_response()
        self.assertIsNone(resp.header("Content-Encoding"), resp.headers)
        self.assertEmptyBody(resp)
        self.assertIn("accept-encoding", vary_of(resp))

    def test_C124_14_3_02_resent_rid_gets_the_identical_compressed_entity(self):
        s, _, rid, first = self.big_reply("gzip")
        self.assertEqual(first.header("Content-Encoding"), "gzip")
        c, _ = s.send(rid=rid, headers=[("Accept-Encoding", "gzip")])
        again = c.read_response()
        self.assertEqual(again.header("Content-Encoding"), "gzip")
        self.assertEqual(again.body, first.body)


class RequestCodingTest(BoshTestCase):
    """C124-7.2-13 and C124-7.2-14; a small max_body_size for the bounds."""

    http = {"max_body_size": 4096}

    def setUp(self):
        super().setUp()
        self.healthy, self.healthy_conn = self.open_session()

    def check_healthy(self):
        c, _ = self.healthy.send(message("still-fine"))
        self.healthy_conn.wait_data("still-fine")
        self.healthy_conn.push(message("re-still-fine"))
        self.assertHasStanza(c.read_response(), "message")
        self.assertTrue(self.boshd.alive())
        self.log_barrier(c)

    def post_encoded(self, session, payload, coding, encode):
        """Posts the next request of |session| encoded by |encode| with
        Content-Encoding |coding|; returns the response."""
        rid = session.rid + 1
        entity = encode(session.body(payload, rid=rid).encode("utf-8"))
        c = session.conn()
        resp = c.post(PATH, entity, [("Content-Encoding", coding)])
        session.rid = rid
        return resp

    def test_C124_7_2_13_creation_advertises_accept(self):
        # The comma form of XEP-0124 §7.2's example and of the checklist.
        self.assertEqual(self.healthy.creation.xml().get("accept"), "deflate,gzip")

    def test_C124_7_2_14_gzipped_request_reaches_the_server(self):
        s, conn = self.open_session(hold=1)
        c = s.conn()
        rid = s.rid + 1
        c.send("POST", PATH, gzip.compress(s.body(message("zipped-hello"), rid=rid).encode()),
               XML_HEADERS + [("Content-Encoding", "gzip")])
        s.rid = rid
        conn.wait_data("zipped-hello")
        conn.push(message("zipped-answer"))
        self.assertHasStanza(c.read_response(), "message")

    def test_C124_7_2_14_deflated_request_reaches_the_server(self):
        s, conn = self.open_session(hold=1)
        c = s.conn()
        rid = s.rid + 1
        c.send("POST", PATH, zlib.compress(s.body(message("deflated-hello"), rid=rid).encode()),
               XML_HEADERS + [("Content-Encoding", "deflate")])
        s.rid = rid
        conn.wait_data("deflated-hello")
        conn.push(message("deflated-answer"))
        self.assertHasStanza(c.read_response(), "message")

    def test_C124_7_2_14_zip_bomb_is_413_and_other_sessions_undisturbed(self):
        before = self.rejection_count()
        s, conn = self.open_session(hold=1)
        # 1 MiB of text packs into about 1 KiB, well under max_body_size.
        bomb_text = "b" * (1024 * 1024)
        resp = self.post_encoded(s, message(bomb_text), "gzip", gzip.compress)
        self.assertEqual(resp.status, 413, resp)
        self.assertEqual(resp.xml().get("condition"), "policy-violation", resp.body)
        self.check_healthy()
        self.assertEqual(self.rejection_count() - before, 1, self.boshd.stderr_tail())
        rejected = self.boshd.log_events("request.rejected")[-1][1]
        self.assertEqual(rejected["reason"], "decoded body over http.max_body_size")
        self.assertEqual(conn.count("bbbbbbbb"), 0)
        self.assertEqual(self.healthy_conn.count("bbbbbbbb"), 0)

    def test_C124_7_2_14_decoded_body_at_the_limit_is_accepted(self):
        s, conn = self.open_session(hold=1)
        rid = s.rid + 1
        pad = 4096 - len(s.body(message("fits"), rid=rid))
        doc = s.body(message("fits" + "p" * pad), rid=rid)
        self.assertEqual(len(doc), 4096)
        c = s.conn()
        c.send("POST", PATH, gzip.compress(doc.encode()),
               XML_HEADERS + [("Content-Encoding", "gzip")])
        s.rid = rid
        conn.wait_data("fits")
        # One byte more is over the limit.
        over = s.body(message("over" + "p" * (pad + 1)), rid=rid + 1)
        self.assertEqual(len(over), 4097)
        resp = s.conn().post(PATH, gzip.compress(over.encode()), [("Content-Encoding", "gzip")])
        self.assertEqual(resp.status, 413, resp)
        self.assertEqual(conn.count("over"), 0)

    def test_C124_7_2_14_corrupt_gzip_is_bad_request(self):
        before = self.rejection_count()
        s, conn = self.open_session(hold=1)
        good = gzip.compress(s.body(message("mangled"), rid=s.rid + 1).encode())
        broken = good[:20] + bytes(b ^ 0x5A for b in good[20:30]) + good[30:]
        resp = self.post_encoded(s, "", "gzip", lambda _: broken)
        self.assertTerminate(resp, "bad-request", 200)
        self.check_healthy()
        self.assertEqual(self.rejection_count() - before, 1, self.boshd.stderr_tail())
        self.assertEqual(conn.count("mangled"), 0)

    def test_C124_7_2_14_unknown_content_encoding_is_415(self):
        before = self.rejection_count()
        s, conn = self.open_session(hold=1)
        resp = self.post_encoded(s, message("brotli"), "br", lambda b: b)
        self.assertEqual(resp.status, 415, resp)
        self.assertEqual(resp.header("Accept-Encoding"), "gzip, deflate")
        self.check_healthy()
        self.assertEqual(self.rejection_count() - before, 1, self.boshd.stderr_tail())
        self.assertEqual(conn.count("brotli"), 0)

    def test_C124_7_2_14_identity_is_always_fine(self):
        s, conn = self.open_session(hold=1)
        c = s.conn()
        rid = s.rid + 1
        c.send("POST", PATH, s.body(message("plain-identity"), rid=rid),
               XML_HEADERS + [("Content-Encoding", "identity")])
        s.rid = rid
        conn.wait_data("plain-identity")


class ReplyCompressionOffByDefaultTest(BoshTestCase):
    """The default configuration (compress_min_size = 0): replies are never
    compressed (BREACH-style length leaks over TLS), requests still are
    decoded and `accept` is still advertised."""

    def test_C124_5_07_no_reply_compression_by_default(self):
        s, conn = self.open_session(hold=1)
        c, _ = s.send(headers=[("Accept-Encoding", "gzip, deflate")])
        self.wait_requests_seen(2)
        conn.push(message(BIG))
        resp = c.read_response()
        self.assertIsNone(resp.header("Content-Encoding"), resp.headers)
        self.assertEqual(vary_of(resp), [])
        self.assertIn(BIG, resp.text)

    def test_C124_7_2_13_accept_is_advertised_by_default(self):
        s, _ = self.open_session()
        self.assertEqual(s.creation.xml().get("accept"), "deflate,gzip", s.creation.body)

    def test_C124_7_2_14_compressed_request_is_decoded_by_default(self):
        s, conn = self.open_session(hold=1)
        c = s.conn()
        rid = s.rid + 1
        entity = gzip.compress(s.body(message("decoded-by-default"), rid=rid).encode())
        c.send("POST", PATH, entity, XML_HEADERS + [("Content-Encoding", "gzip")])
        s.rid = rid
        conn.wait_data("decoded-by-default")
