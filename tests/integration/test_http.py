"""The HTTP surface: connection handling (keep-alive, HTTP/1.0, pipelining)
and the non-BOSH requests (GET info page, CORS, 405, 404). XEP-0124 §5, §18;
ARCHITECTURE.md §5 (pipelining while a request is held must not reach
evhttp_read_cb's "illegal connection state")."""

from boshclient.boshd import make_config
import time

from harness import BoshTestCase, cpu_seconds, message


class ConnectionTest(BoshTestCase):

    def test_C124_18_01_a_client_leaving_after_pipelining_is_noticed_at_once(self):
        # Its pipelined request stays in the socket for evhttp without making
        # boshd spin, and its FIN is still noticed while the first is held
        # (net/held_request.h), not at the reply's write after `wait`.
        s, _ = self.open_session(hold=1, wait=60)
        c = s.conn()
        hdrs = [("Content-Type", "text/xml; charset=utf-8")]
        c.send("POST", s.path, s.body(rid=s.rid + 1), hdrs)
        self.log_barrier(c)  # boshd holds it
        # Sent once the first is held, so that it waits in the socket, not
        # in what evhttp read with the first.
        c.send("POST", s.path, s.body(message("never-read"), rid=s.rid + 2), hdrs)
        pid = self.boshd.proc.pid
        before = cpu_seconds(pid)
        time.sleep(1.0)
        used = cpu_seconds(pid) - before
        self.assertLess(used, 0.3, "boshd used %.2f s of CPU holding one request" % used)
        c.close()
        self.boshd.wait_log("http.gone", timeout=2.0)

    def test_C124_18_01_pipelined_requests_while_first_is_held(self):
        s, conn = self.open_session(hold=1, wait=10)
        c = s.conn()
        hdrs = [("Content-Type", "text/xml; charset=utf-8")]
        r1 = s.rid + 1
        r2 = s.rid + 2
        n = self.requests_seen()
        c.send_pipelined([("POST", s.path, s.body(rid=r1), hdrs),
                          ("POST", s.path, s.body(message("pipelined-second"), rid=r2), hdrs)])
        s.rid = r2
        self.wait_requests_seen(n + 1)
        # The first is held; the second waits unread in the socket.
        conn.push(message("answer-first"))
        first = c.read_response()
        self.assertEqual(first.xml().find("{jabber:client}message").findtext("{jabber:client}body"),
                         "answer-first")
        conn.wait_data("pipelined-second")
        conn.push(message("answer-second"))
        second = c.read_response()
        self.assertEqual(second.xml().find("{jabber:client}message").findtext("{jabber:client}body"),
                         "answer-second")
        self.assertTrue(self.boshd.alive())
        # The socket is still usable, and boshd still serves.
        c.send("POST", s.path, s.body(type="terminate"), hdrs)
        s.rid += 1
        self.assertEqual(c.read_response().xml().get("type"), "terminate")

    def test_C124_18_01_pipelined_requests_wait_expiry(self):
        # Nobody pushes: the first is answered at wait expiry, then the second is read.
        s, conn = self.open_session(hold=1, wait=1)
        c = s.conn()
        hdrs = [("Content-Type", "text/xml; charset=utf-8")]
        c.send_pipelined([("POST", s.path, s.body(rid=s.rid + 1), hdrs),
                          ("POST", s.path, s.body(message("p2"), rid=s.rid + 2), hdrs)])
        s.rid += 2
        self.assertEmptyBody(c.read_response(timeout=4))
        conn.wait_data("p2")
        self.assertEmptyBody(c.read_response(timeout=4))
        self.assertTrue(self.boshd.alive())

    def test_C124_5_05b_two_connections_alternating(self):
        s = self.new_session()
        a = s.conn()
        b = s.conn()
        s.create(conn=a, hold=1)
        conn = self.xmpp.wait_connection(0)
        n = self.requests_seen()
        s.send(conn=b)                                   # R1 on [B], held
        self.wait_requests_seen(n + 1)
        s.send(message("on-a"), conn=a)                  # R2 on [A] releases R1
        self.assertEmptyBody(b.read_response())
        conn.wait_data("on-a")
        s.send(message("on-b"), conn=b)                  # R3 on [B] releases R2
        self.assertEmptyBody(a.read_response())
        conn.wait_data("on-b")
        conn.push(message("to-b"))
        self.assertHasStanza(b.read_response(), "message")
        s.send(conn=a, type="terminate")
        self.assertEqual(a.read_response().xml().get("type"), "terminate")

    def test_C124_5_01_06_http11_framing_without_chunking(self):
        # C124-5-01: HTTP/1.1 status line and Content-Length framing (the
        # suite's client rejects anything else); C124-5-06: no chunked coding,
        # also for a reply held until `wait` expires.
        s, _ = self.open_session(hold=1, wait=1)
        c = s.conn()
        c.send("POST", s.path, s.body(rid=s.rid + 1), [("Content-Type", "text/xml; charset=utf-8")])
        s.rid += 1
        held = c.read_response()
        for resp in (s.creation, held):
            self.assertEqual(resp.version, "HTTP/1.1")
            self.assertEqual(resp.status, 200)
            self.assertEqual(int(resp.header("Content-Length")), len(resp.body))
            self.assertIsNone(resp.header("Transfer-Encoding"))
        self.assertEmptyBody(held)

    def test_C124_5_03_http10_reply_has_content_length(self):
        # C124-5-03: Content-Length is never among the headers left out, and
        # the suite's client is strict about it, for HTTP/1.0 too.
        s = self.new_session()
        c = s.conn()
        c.send("POST", s.path, s.creation_body(), [("Content-Type", "text/xml; charset=utf-8")],
               version="HTTP/1.0")
        resp = c.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual(int(resp.header("Content-Length")), len(resp.body))

    def test_C124_5_05a_http10_without_keepalive_reply_then_close(self):
        s = self.new_session()
        c = s.conn()
        c.send("POST", s.path, s.creation_body(), [("Content-Type", "text/xml; charset=utf-8")],
               version="HTTP/1.0")
        # Framing is checked by the test above; here the reply may end at the close.
        resp = c.read_response(close_delimited_ok=True)
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.version, "HTTP/1.0")
        s.sid = resp.xml().get("sid")
        s.rid = 1000
        self.assertTrue(s.sid, resp.body)
        self.assertTrue(c.closed_by_peer(2.0), "boshd kept an HTTP/1.0 connection open")
        conn = self.xmpp.wait_connection(0)
        c2, _ = s.send(message("over-http10"), version="HTTP/1.0")
        conn.wait_data("over-http10")
        conn.push(message("back"))
        self.assertHasStanza(c2.read_response(close_delimited_ok=True), "message")
        self.assertTrue(c2.closed_by_peer(2.0))

    def test_P124_01_http10_with_keepalive_stays_open(self):
        s = self.new_session()
        c = s.conn()
        hdrs = [("Content-Type", "text/xml; charset=utf-8"), ("Connection", "keep-alive")]
        c.send("POST", s.path, s.creation_body(), hdrs, version="HTTP/1.0")
        resp = c.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual((resp.header("Connection") or "").lower(), "keep-alive", resp.headers)
        s.sid = resp.xml().get("sid")
        s.rid = 1000
        self.assertFalse(c.closed_by_peer(0.3), "boshd closed a keep-alive HTTP/1.0 connection")
        conn = self.xmpp.wait_connection(0)
        s.send(message("second-on-same-socket"), conn=c, headers=[("Connection", "keep-alive")],
               version="HTTP/1.0")
        conn.wait_data("second-on-same-socket")
        conn.push(message("back"))
        resp2 = c.read_response()
        self.assertHasStanza(resp2, "message")

    def test_P124_01_http11_keepalive_reuse(self):
        s = self.new_session()
        c = s.conn()
        s.create(conn=c)
        conn = self.xmpp.wait_connection(0)
        for i in range(3):
            s.send(message("k%d" % i), conn=c)
            conn.wait_data("k%d" % i)
            conn.push(message("r%d" % i))
            self.assertHasStanza(c.read_response(), "message")
        self.assertFalse(c.closed_by_peer(0.1))


class HttpSurfaceTest(BoshTestCase):

    def test_get_info_page(self):
        c = self.client()
        resp = c.request("GET", "/http-bind")
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.header("Content-Type").startswith("text/html"), resp.headers)
        self.assertIn(b"boshd", resp.body)

    def test_head_info_page(self):
        c = self.client()
        resp = c.request("HEAD", "/http-bind", head=True)
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.body, b"")
        # RFC 9110 §9.3.2: a HEAD response carries no content; bytes after the
        # head would be parsed as the next response on this keep-alive connection.
        self.assertFalse(c.has_pending_data(0.3),
                         "HEAD response followed by %r" % c.buf[:120])
        self.assertEqual(c.request("GET", "/http-bind").status, 200)

    def test_P124_03_options_preflight(self):
        c = self.client()
        resp = c.request("OPTIONS", "/http-bind", headers=[
            ("Origin", "https://chat.example"), ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type")])
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header("Access-Control-Allow-Origin"), "*")
        self.assertIn("POST", resp.header("Access-Control-Allow-Methods"))
        self.assertIn("content-type", resp.header("Access-Control-Allow-Headers").lower())
        self.assertRegex(resp.header("Access-Control-Max-Age"), r"^\d+$")

    def test_C124_7_2_14_P124_03_preflight_allows_content_encoding(self):
        # A browser POSTing a compressed body asks for Content-Encoding first.
        c = self.client()
        resp = c.request("OPTIONS", "/http-bind", headers=[
            ("Origin", "https://chat.example"), ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type,content-encoding")])
        self.assertEqual(resp.status, 200)
        allowed = [h.strip().lower() for h in resp.header("Access-Control-Allow-Headers").split(",")]
        self.assertIn("content-type", allowed)
        self.assertIn("content-encoding", allowed)

    def test_P124_03_post_with_origin_gets_allow_origin(self):
        s = self.new_session()
        resp = s.create(headers=[("Origin", "https://chat.example")])
        self.assertEqual(resp.header("Access-Control-Allow-Origin"), "*")

    def test_P124_03_configured_origins(self):
        b = self.launch(make_config(self.routes(), http={"cors_origins": ["https://a.example"]}))
        s = self.new_session(boshd=b)
        ok = s.create(headers=[("Origin", "https://a.example")])
        self.assertEqual(ok.header("Access-Control-Allow-Origin"), "https://a.example")
        self.assertIn("origin", [v.strip().lower() for v in ",".join(ok.header_values("Vary")).split(",")])
        c = s.conn()
        pre = c.request("OPTIONS", "/http-bind", headers=[("Origin", "https://a.example"),
                                                          ("Access-Control-Request-Method", "POST")])
        self.assertEqual(pre.header("Access-Control-Allow-Origin"), "https://a.example")
        foreign = self.new_session(boshd=b)
        resp = foreign.create(headers=[("Origin", "https://evil.example")])
        self.assertIsNone(resp.header("Access-Control-Allow-Origin"), resp.headers)
        pre = c.request("OPTIONS", "/http-bind", headers=[("Origin", "https://evil.example"),
                                                          ("Access-Control-Request-Method", "POST")])
        self.assertIsNone(pre.header("Access-Control-Allow-Origin"), pre.headers)

    def test_P124_03_no_cors_headers_when_disabled(self):
        b = self.launch(make_config(self.routes(), http={"cors_origins": []}))
        s = self.new_session(boshd=b)
        resp = s.create(headers=[("Origin", "https://a.example")])
        self.assertIsNone(resp.header("Access-Control-Allow-Origin"))

    def test_C124_5_04_put_and_delete_are_405_with_allow(self):
        c = self.client()
        for method in ("PUT", "DELETE"):
            resp = c.request(method, "/http-bind", b"<body/>" if method == "PUT" else b"")
            self.assertEqual(resp.status, 405, method)
            self.assertIn("POST", resp.header("Allow") or "", resp.headers)
        self.assertEqual(len(self.xmpp.conns), 0)

    def test_other_path_is_404(self):
        c = self.client()
        self.assertEqual(c.request("GET", "/elsewhere").status, 404)
        s = self.new_session()
        resp = c.request("POST", "/http-bind/extra", s.creation_body(),
                         [("Content-Type", "text/xml")])
        self.assertEqual(resp.status, 404)
        self.assertEqual(len(self.xmpp.conns), 0)

    def test_query_string_on_the_path(self):
        # The path is matched without its query.
        c = self.client()
        self.assertEqual(c.request("GET", "/http-bind?x=1").status, 200)
