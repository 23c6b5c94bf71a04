"""The [admin] listener over the wire: /metrics counts exactly the traffic a
test made (parsed with the real Prometheus parser), /healthz, the status page,
and that none of it is served on the BOSH listener (README: Metrics and
health).

The parser is Debian's python3-prometheus-client (scripts/deps). It installs
for Debian's /usr/bin/python3; a python3 from elsewhere (pyenv, a venv) does
not see Debian's dist-packages, so they are added to the path when the module
is not found otherwise. Both are Python 3.11 on Debian 12, and the module is
pure Python."""

import os
import re
import socket
import sys
import time

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:  # not Debian's interpreter: use Debian's package
    DEBIAN_DIST = "/usr/lib/python3/dist-packages"
    if os.path.isdir(os.path.join(DEBIAN_DIST, "prometheus_client")):
        sys.path.append(DEBIAN_DIST)
    from prometheus_client.parser import text_string_to_metric_families

from boshclient.boshd import PATH, make_config, route
from boshclient.fake_xmpp import closed_port
from boshclient.httpclient import HTTPBIND_NS, HttpClient
from harness import STREAMS_NS, BoshTestCase, message

UNAVAILABLE = "<presence type='unavailable' xmlns='jabber:client'/>"
CONDITIONS = ["bad-request", "host-gone", "host-unknown", "improper-addressing",
              "internal-server-error", "item-not-found", "other-request", "policy-violation",
              "remote-connection-failed", "remote-stream-error", "see-other-uri",
              "system-shutdown", "undefined-condition"]


class Scrape:
    """One /metrics response, parsed by prometheus_client: samples by name
    and labels, and the families with their type and help."""

    def __init__(self, text):
        self.text = text
        self.families = {}
        self.samples = {}
        for family in text_string_to_metric_families(text):
            self.families[family.name] = family
            for s in family.samples:
                key = (s.name, tuple(sorted(s.labels.items())))
                assert key not in self.samples, "duplicate sample %r" % (key,)
                self.samples[key] = s.value

    def get(self, name, **labels):
        key = (name, tuple(sorted(labels.items())))
        if key not in self.samples:
            raise AssertionError("no sample %s%r in:\n%s" % (name, labels, self.text))
        return self.samples[key]

    def labelled(self, name):
        """{labels tuple: value} of every sample called |name|."""
        return {k[1]: v for k, v in self.samples.items() if k[0] == name}


class AdminTestCase(BoshTestCase):
    http = {"max_body_size": 1024}

    def routes(self):
        # A second domain whose server is down: its connects fail.
        return [route("example.com", self.xmpp.port), route("down.example", closed_port())]

    def boshd_config(self):
        return make_config(self.routes(), http=self.http, admin={"listen": "127.0.0.1:0"})

    def setUp(self):
        super().setUp()
        self.admin_port = self.boshd.admin_port()

    def admin_get(self, path, method="GET", body=b""):
        c = HttpClient(self.admin_port)
        try:
            return c.request(method, path, body, head=method == "HEAD")
        finally:
            c.close()

    def scrape(self):
        resp = self.admin_get("/metrics")
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8")
        return Scrape(resp.body.decode("utf-8"))


def relayed_elements(resp):
    """Top-level elements of a BOSH reply that boshd counts as stanzas to the
    client: everything but a terminal body's <stream:error/> trailer."""
    return [e for e in resp.xml() if e.tag != "{%s}error" % STREAMS_NS]


class MetricsTest(AdminTestCase):

    def test_metrics_count_the_traffic_made(self):
        posts = []          # every BOSH POST's response
        to_client = 0       # elements delivered in replies (a resend's cached copy excluded)
        to_server = 0       # elements the test sent that boshd forwards

        # 1. A session: a message each way, a resent rid, the client's terminate.
        s1, conn1 = self.open_session()
        posts.append(s1.creation)
        to_client += len(relayed_elements(s1.creation))      # <stream:features/>
        c, rid = s1.send(message("to-server-1"))
        to_server += 1
        conn1.wait_data("to-server-1")
        conn1.push(message("to-client-1"))
        resp = c.read_response()
        self.assertHasStanza(resp, "message")
        posts.append(resp)
        to_client += len(relayed_elements(resp))
        resend = s1.request(message("to-server-1"), rid=rid)   # answered from the cache
        self.assertEqual(resend.body, resp.body)
        posts.append(resend)
        term = s1.request(UNAVAILABLE, type="terminate")
        to_server += 1
        self.assertEqual(term.xml().get("type"), "terminate", term.body)
        posts.append(term)
        conn1.wait_stream_closed()

        # 2. A session the server ends with a stream error, a request held.
        s2, conn2 = self.open_session()
        posts.append(s2.creation)
        to_client += len(relayed_elements(s2.creation))
        n = self.requests_seen()
        held, _ = s2.send()
        self.wait_requests_seen(n + 1)
        conn2.send_stream_error("<conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>")
        resp = held.read_response()
        self.assertTerminate(resp, "remote-stream-error")
        posts.append(resp)
        to_client += len(relayed_elements(resp))
        conn2.wait_stream_closed()

        # 3. A session for the domain whose server is down.
        s3 = self.new_session(to="down.example")
        resp = s3.conn().post(PATH, s3.creation_body())
        self.assertTerminate(resp, "remote-connection-failed")
        posts.append(resp)

        # 4. Requests that name no session, or cannot be read.
        unknown = self.client().post(PATH, "<body rid='1' sid='no-such-sid' xmlns='%s'/>" % HTTPBIND_NS)
        self.assertTerminate(unknown, "item-not-found")
        posts.append(unknown)
        too_large = self.client().post(PATH, s1.body(message("x" * 1500)))
        self.assertEqual(too_large.status, 413, too_large)
        posts.append(too_large)
        not_found = self.client().request("GET", "/nope")
        self.assertEqual(not_found.status, 404, not_found)
        # The BOSH listener does not serve metrics: an unknown path there.
        bosh_metrics = self.client().request("GET", "/metrics")
        self.assertEqual(bosh_metrics.status, 404, bosh_metrics)
        self.assertNotIn(b"boshd_", bosh_metrics.body)

        self.assertEqual(to_client, 3)  # two sets of features and to-client-1
        m = self.scrape()

        # Every family has HELP and TYPE (a family without TYPE parses as "unknown").
        for name, family in m.families.items():
            self.assertNotEqual(family.type, "unknown", name)
            self.assertTrue(family.documentation, "no HELP for %s" % name)

        # Sessions.
        self.assertEqual(m.get("boshd_sessions_created_total"), 3)
        self.assertEqual(m.get("boshd_sessions"), 0)
        self.assertEqual(m.get("boshd_requests_held"), 0)
        ended = {dict(k)["condition"]: v for k, v in m.labelled("boshd_sessions_ended_total").items()}
        self.assertEqual(set(ended), set(CONDITIONS) | {"none", "expired"})
        want = {c: 0 for c in ended}
        want.update({"none": 1, "remote-stream-error": 1, "remote-connection-failed": 1})
        self.assertEqual(ended, want)

        # HTTP: 9 POSTs and 2 GETs on the BOSH listener, each answered.
        self.assertEqual(m.get("boshd_http_requests_total"), len(posts) + 2)
        self.assertEqual(len(posts), 9)
        responses = {dict(k)["status"]: v for k, v in m.labelled("boshd_http_responses_total").items()}
        self.assertEqual(responses, {"200": 8, "413": 1, "404": 2})
        self.assertEqual(m.get("boshd_rid_resends_total"), 1)
        self.assertEqual(m.get("boshd_bosh_requests_total"), len(posts))

        # Relayed: elements and bytes, exactly.
        self.assertEqual(m.get("boshd_stanzas_total", direction="to_server"), to_server)
        self.assertEqual(m.get("boshd_stanzas_total", direction="to_client"), to_client)
        self.assertEqual(m.get("boshd_bytes_total", direction="to_client"),
                         sum(len(r.body) for r in posts))
        self.assertEqual(m.get("boshd_bytes_total", direction="to_server"),
                         len(conn1.data) + len(conn2.data))

        # Backend links, per route domain.
        self.assertEqual(m.get("boshd_backend_connects_total", domain="example.com"), 2)
        self.assertEqual(m.get("boshd_backend_failures_total", domain="example.com"), 0)
        self.assertEqual(m.get("boshd_backend_connects_total", domain="down.example"), 0)
        self.assertEqual(m.get("boshd_backend_failures_total", domain="down.example"), 1)

        # The histogram: cumulative buckets ending in +Inf = _count; held
        # requests are the three creations (answered once the server
        # answered), the message and the request held until the stream
        # error; everything else was answered at once.
        total = 0
        for held_label, want_count in (("true", 5), ("false", 6)):
            buckets = sorted(((float(dict(k)["le"]), v) for k, v in
                              m.labelled("boshd_request_duration_seconds_bucket").items()
                              if dict(k)["held"] == held_label))
            counts = [v for _, v in buckets]
            self.assertEqual(counts, sorted(counts), "buckets not cumulative")
            self.assertEqual(buckets[-1][0], float("inf"))
            count = m.get("boshd_request_duration_seconds_count", held=held_label)
            self.assertEqual(buckets[-1][1], count)
            self.assertEqual(count, want_count, held_label)
            self.assertGreaterEqual(m.get("boshd_request_duration_seconds_sum", held=held_label), 0)
            total += count
        self.assertEqual(total, sum(responses.values()))
        self.assertLess(m.get("boshd_request_duration_seconds_sum", held="false"), 5)

        # The process.
        self.assertGreater(m.get("process_resident_memory_bytes"), 1 << 20)
        self.assertGreater(m.get("process_virtual_memory_bytes"),
                           m.get("process_resident_memory_bytes"))
        self.assertGreaterEqual(m.get("process_open_fds"), 4)   # listeners and a connection
        self.assertGreaterEqual(m.get("process_max_fds"), m.get("process_open_fds"))
        self.assertGreaterEqual(m.get("process_cpu_seconds_total"), 0)
        started = m.get("process_start_time_seconds")
        self.assertLessEqual(started, time.time() + 1)
        self.assertGreater(started, time.time() - 120, "boshd started in this test")

    def test_metrics_only_move_forward_and_scraping_counts_no_bosh_request(self):
        first = self.scrape()
        second = self.scrape()
        # The admin listener's own requests are not BOSH traffic.
        self.assertEqual(second.get("boshd_http_requests_total"), 0)
        self.assertEqual(first.labelled("boshd_http_responses_total"), {})
        self.assertGreaterEqual(second.get("process_cpu_seconds_total"),
                                first.get("process_cpu_seconds_total"))



class EdgeMetricsTest(AdminTestCase):
    """What the HTTP edge refuses before any request reaches boshd's
    handlers: connections over a limit, heads the checker answers itself."""
    http = {"max_connections_per_ip": 2}

    def connect(self, source="127.0.0.1"):
        sock = socket.create_connection(("127.0.0.1", self.boshd.port), timeout=5,
                                        source_address=(source, 0))
        self.addCleanup(sock.close)
        return sock

    def wait_metric(self, name, value, **labels):
        deadline = time.monotonic() + 5
        while True:
            m = self.scrape()
            if m.get(name, **labels) == value or time.monotonic() > deadline:
                return m
            time.sleep(0.05)

    def test_refused_connections_and_heads_are_counted(self):
        first = [self.connect(), self.connect()]
        m = self.wait_metric("boshd_http_connections", 2)
        self.assertEqual(m.get("boshd_http_connections"), 2)
        # A third from the same address is closed at accept, unread.
        third = self.connect()
        self.assertEqual(third.recv(100), b"")
        m = self.wait_metric("boshd_http_connections_refused_total", 1,
                             limit="max_connections_per_ip")
        self.assertEqual(m.get("boshd_http_connections_refused_total",
                               limit="max_connections_per_ip"), 1)
        self.assertEqual(m.get("boshd_http_connections_refused_total", limit="max_connections"), 0)
        # A lower-case method on another address: 405 from the head checker.
        other = self.connect("127.0.0.2")
        other.sendall(b"post /http-bind HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(other.recv(100).startswith(b"HTTP/1.1 405 "))
        m = self.wait_metric("boshd_http_heads_refused_total", 1, status="405")
        self.assertEqual(m.get("boshd_http_heads_refused_total", status="405"), 1)
        self.assertEqual(m.get("boshd_http_requests_total"), 0)
        # Closed connections are counted out.
        for sock in first:
            sock.close()
        m = self.wait_metric("boshd_http_connections", 0)
        self.assertEqual(m.get("boshd_http_connections"), 0)

class AdminPagesTest(AdminTestCase):

    def test_healthz_is_ok(self):
        resp = self.admin_get("/healthz")
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.body, b"ok\n")
        self.assertEqual(resp.header("Content-Type"), "text/plain; charset=utf-8")

    def test_status_page_names_the_routes_and_their_health(self):
        self.open_session()
        down = self.new_session(to="down.example")
        self.assertTerminate(down.conn().post(PATH, down.creation_body()),
                             "remote-connection-failed")
        resp = self.admin_get("/")
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.header("Content-Type"), "text/html; charset=utf-8")
        page = resp.body.decode("utf-8")
        self.assertIn("<th>sessions</th><td>1</td>", page)
        self.assertRegex(page, r"<td>example\.com</td><td>127\.0\.0\.1:%d</td><td>none</td>"
                               r"<td>ok</td><td>1</td>" % self.xmpp.port)
        self.assertRegex(page, r"<td>down\.example</td>.*<td>failing</td><td>0</td><td>never</td>"
                               r"<td>1</td><td>\d+s ago: connection to 127\.0\.0\.1:\d+ failed")

    def test_other_paths_404_other_methods_405(self):
        self.assertEqual(self.admin_get("/nope").status, 404)
        self.assertEqual(self.admin_get(PATH).status, 404)
        resp = self.admin_get("/metrics", "POST", b"x")
        self.assertEqual(resp.status, 405, resp)
        self.assertEqual(resp.header("Allow"), "GET, HEAD")
        self.assertEqual(self.admin_get("/healthz", "PUT", b"").status, 405)
        head = self.admin_get("/healthz", "HEAD")
        self.assertEqual(head.status, 200)
        self.assertEqual(head.header("Content-Length"), "3")
        self.assertEqual(head.body, b"")

    def test_admin_listening_is_logged_and_bosh_get_is_not_metrics(self):
        level, fields = self.boshd.wait_log("admin.listening")[0]
        self.assertEqual(level, "notice")
        self.assertEqual(fields, {"address": "127.0.0.1", "port": str(self.admin_port)})
        self.assertNotEqual(self.admin_port, self.boshd.port)
        # GET on the BOSH path is its info page, never the metrics.
        resp = self.client().request("GET", PATH)
        self.assertEqual(resp.status, 200, resp)
        self.assertNotIn(b"boshd_sessions", resp.body)
        self.assertTrue(re.search(rb"connection manager", resp.body), resp.body)
