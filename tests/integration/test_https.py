"""HTTPS on the BOSH listener (README: HTTPS; issue 8 item 1): [http]
tls_cert and tls_key, TLS 1.2 and 1.3 only, ALPN http/1.1, plain HTTP on
the HTTPS port refused, the certificate re-read on reload, and a file that
cannot be used refused at start (exit 78), by --check-config and by a reload
(config.reload_failed, nothing changed)."""

import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from boshclient.boshd import make_config, route
from boshclient.testca import TestCa
from harness import BOSHD, BoshTestCase, message


def served_certificate(port, ca):
    """The DER certificate boshd presents to a new connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ca.client_context().wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.getpeercert(binary_form=True)


def der_of(pem_path):
    """The DER form of the first certificate in |pem_path| (the leaf of a chain)."""
    with open(pem_path) as f:
        pem = f.read()
    end = "-----END CERTIFICATE-----"
    return ssl.PEM_cert_to_DER_cert(pem[:pem.index(end) + len(end)])


class HttpsCase(BoshTestCase):
    http = {}  # more [http] settings

    def setUp(self):
        self.certdir = tempfile.mkdtemp(prefix="boshd-it-https-")
        self.addCleanup(shutil.rmtree, self.certdir, True)
        self.ca = TestCa(self.certdir)
        # boshd reads these paths; a test may overwrite them before a reload.
        self.cert, self.key = self.ca.issue("server", chain=True)
        super().setUp()

    def boshd_config(self):
        return make_config(self.routes(),
                           http=dict(self.http, tls_cert=self.cert, tls_key=self.key))

    def https_session(self, **kw):
        return self.new_session(ssl_context=self.ca.client_context(), **kw)


class HttpsTest(HttpsCase):

    def test_C124_19_1_01_bosh_session_over_https(self):
        s = self.https_session()
        resp = s.create()
        self.assertEqual(resp.status, 200, resp)
        conn = self.xmpp.wait_connection(0)
        c, _ = s.send(message("over-https"))
        conn.wait_data("over-https")
        conn.push(message("back-over-https"))
        self.assertHasStanza(c.read_response(), "message")
        # TLS 1.2 at least, whatever the client would accept.
        self.assertIn(c.sock.version(), ("TLSv1.2", "TLSv1.3"))
        # The chain in the certificate file is sent: the leaf, then the CA.
        self.assertEqual(c.sock.getpeercert(binary_form=True), der_of(self.cert))

    def test_tls_1_2_served(self):
        ctx = self.ca.client_context()
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        with socket.create_connection(("127.0.0.1", self.boshd.port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                self.assertEqual(tls.version(), "TLSv1.2")

    def test_tls_1_1_refused(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.ca.cert)
        # Let this client offer TLS 1.0 and 1.1, which its defaults forbid.
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        with socket.create_connection(("127.0.0.1", self.boshd.port), timeout=5) as raw:
            with self.assertRaises(ssl.SSLError) as caught:
                ctx.wrap_socket(raw, server_hostname="localhost")
        self.assertRegex(str(caught.exception).lower(), "protocol|version", caught.exception)
        # boshd goes on serving.
        self.assertEqual(self.https_session().create().status, 200)

    def test_alpn_http_1_1(self):
        for offered in (["http/1.1"], ["h2", "http/1.1"]):
            ctx = self.ca.client_context(alpn=offered)
            with socket.create_connection(("127.0.0.1", self.boshd.port), timeout=5) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                    self.assertEqual(tls.selected_alpn_protocol(), "http/1.1", offered)
        # No ALPN at all (curl --no-alpn, older clients): served.
        ctx = self.ca.client_context(alpn=None)
        with socket.create_connection(("127.0.0.1", self.boshd.port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                self.assertIsNone(tls.selected_alpn_protocol())
        # h2 only: refused with no_application_protocol (RFC 7301 §3.2).
        ctx = self.ca.client_context(alpn=["h2"])
        with socket.create_connection(("127.0.0.1", self.boshd.port), timeout=5) as raw:
            with self.assertRaises(ssl.SSLError) as caught:
                ctx.wrap_socket(raw, server_hostname="localhost")
        self.assertRegex(str(caught.exception).upper(), "NO[ _]APPLICATION[ _]PROTOCOL")

    def test_C124_19_1_02_03_plain_http_for_an_https_session_is_closed_and_the_session_goes_on(self):
        s = self.https_session()
        s.create()
        conn = self.xmpp.wait_connection(0)
        held, _ = s.send()  # an empty request, held by boshd
        self.boshd.wait_log("http.request", count=2)
        # The session's next request, valid sid and rid, in plain HTTP.
        body = s.body(message("over-plain"))
        body = body if isinstance(body, bytes) else body.encode()
        with socket.create_connection(("127.0.0.1", self.boshd.port), timeout=5) as plain:
            plain.sendall(b"POST /http-bind HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Type: text/xml; charset=utf-8\r\n"
                          b"Content-Length: %d\r\n\r\n" % len(body) + body)
            got = b""
            while True:
                chunk = plain.recv(4096)
                if not chunk:
                    break
                got += chunk
        # C124-19.1-02: closed, with at most a TLS alert; never an HTTP answer,
        # and nothing of it reached the session or the server.
        self.assertNotIn(b"HTTP/", got)
        self.assertEqual(len(self.boshd.wait_log("http.request", count=2)), 2)
        self.assertEqual(conn.count("over-plain"), 0)
        # C124-19.1-03: the session is not ended. The held HTTPS request is
        # still there and answered, and the same request over HTTPS is served.
        conn.push(message("still-held"))
        self.assertHasStanza(held.read_response(), "message")
        c, _ = s.send(message("over-https"))
        conn.wait_data("over-https")
        self.assertEqual(conn.count("over-plain"), 0)

    def test_a_client_leaving_with_close_notify_is_noticed_at_once(self):
        # Its TLS alert waits in the socket as data would; its FIN after it
        # is still noticed while the request is held (net/held_request.h),
        # not when boshd next writes, after `wait`.
        s = self.https_session()
        s.create(wait=60)
        self.xmpp.wait_connection(0)
        held, _ = s.send()
        self.boshd.wait_log("http.request", count=2)
        held.sock.settimeout(0.3)
        try:
            held.sock.unwrap()  # sends close_notify; boshd sends none back
        except (OSError, ssl.SSLError):
            pass
        held.close()
        self.boshd.wait_log("http.gone", timeout=2.0)
        # The session goes on, on a new connection.
        c, _ = s.send(message("after-close-notify"))
        self.xmpp.conns[0].wait_data("after-close-notify")

    def test_hostile_requests_over_https_get_their_4xx(self):
        # The checker's answers go out through TLS (net/http_frontend.cpp).
        for request, status in ((b"post /http-bind HTTP/1.1\r\nHost: x\r\n\r\n", 405),
                                (b"GET /http-bind?%s HTTP/1.1\r\n\r\n" % (b"q" * 9000), 414),
                                (b"GET /http-bind HTTP/1.1\r\nX: %s\r\n\r\n" % (b"a" * 9000), 431)):
            c = self.https_session().conn()
            c.send_raw(request)
            r = c.read_response(close_delimited_ok=True)
            self.assertEqual(r.status, status, r)
            self.assertEqual(r.header("Connection"), "close")
            self.assertTrue(c.closed_by_peer())
        self.assertEqual(self.https_session().create().status, 200)

    def test_reload_swaps_the_certificate(self):
        old = served_certificate(self.boshd.port, self.ca)
        self.assertEqual(old, der_of(self.cert))
        s = self.https_session()
        s.create()
        xmpp = self.xmpp.wait_connection(0)
        live = s.conns[-1]
        # A new certificate and key written over the files boshd names.
        cert, key = self.ca.issue("next")
        shutil.copyfile(cert, self.cert)
        shutil.copyfile(key, self.key)
        self.boshd.reload()
        new = served_certificate(self.boshd.port, self.ca)
        self.assertEqual(new, der_of(cert))
        self.assertNotEqual(new, old)
        # The connection accepted before keeps its TLS session and is served.
        self.assertEqual(live.sock.getpeercert(binary_form=True), old)
        s.send(message("after-reload"), conn=live)
        xmpp.wait_data("after-reload")
        xmpp.push(message("back"))
        self.assertHasStanza(live.read_response(), "message")

    def test_reload_with_a_broken_certificate_changes_nothing(self):
        old = served_certificate(self.boshd.port, self.ca)
        with open(self.cert, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
        self.boshd.signal(signal.SIGHUP)
        failed = self.boshd.wait_log("config.reload_failed")
        self.assertIn("http.tls_cert " + self.cert, failed[0][1].get("reason", ""))
        self.assertEqual(self.boshd.count("config.reloaded"), 0)
        self.assertEqual(served_certificate(self.boshd.port, self.ca), old)
        # A key that is not the certificate's fails the reload too.
        _, other_key = self.ca.issue("other")
        cert, _ = self.ca.issue("fine")
        shutil.copyfile(cert, self.cert)
        shutil.copyfile(other_key, self.key)
        self.boshd.signal(signal.SIGHUP)
        failed = self.boshd.wait_log("config.reload_failed", count=2)
        self.assertIn("does not match", failed[1][1].get("reason", ""))
        self.assertEqual(served_certificate(self.boshd.port, self.ca), old)

    def test_no_plaintext_warning_for_https_or_loopback(self):
        self.assertEqual(self.boshd.count("http.plaintext"), 0)
        plain = self.launch(make_config(self.routes()))
        self.assertEqual(plain.count("http.plaintext"), 0)


def closed_within(sock, seconds, answered=False):
    """True when the peer closes |sock| (EOF or reset) within |seconds|,
    having sent nothing or, when |answered|, whatever it sent first."""
    sock.settimeout(seconds)
    try:
        while True:
            if not sock.recv(65536):
                return True
            if not answered:
                return False
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class HandshakeTimeoutTest(HttpsCase):
    """http.header_timeout bounds the TLS handshake, from accept; evhttp's
    idle timeout would not: it restarts with every byte."""
    http = {"header_timeout": 1}

    def client_hello(self):
        """The first flight of a real TLS client, as bytes."""
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = self.ca.client_context().wrap_bio(incoming, outgoing, server_hostname="localhost")
        with self.assertRaises(ssl.SSLWantReadError):
            tls.do_handshake()
        return outgoing.read()

    def trickle(self, raw, data, answered):
        """Sends |data| on |raw| a byte every 0.2 s, never its last byte,
        until boshd closes the connection: the seconds from the first byte.
        |answered|: as closed_within()."""
        started = time.monotonic()
        for i in range(len(data) - 1):
            self.assertLess(time.monotonic() - started, 5.0, "never cut off")
            try:
                raw.sendall(data[i:i + 1])
            except OSError:
                break
            if closed_within(raw, 0.2, answered):
                break
        else:
            self.fail("never cut off: all but the last byte sent")
        return time.monotonic() - started

    def test_a_trickled_handshake_is_cut_off_without_an_answer(self):
        s = self.https_session()
        s.create()
        conn = self.xmpp.wait_connection(0)
        held, _ = s.send()  # a live session, held across the cut
        hello = self.client_hello()
        with socket.create_connection(("127.0.0.1", self.boshd.port), timeout=5) as raw:
            elapsed = self.trickle(raw, hello, answered=False)
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, 2.5)
        line = self.boshd.wait_log("http.refused", status="none")[0][1]
        self.assertIn("TLS handshake", line["reason"])
        # The held request of the live session is answered as ever.
        conn.push(message("after-the-cut"))
        self.assertHasStanza(held.read_response(), "message")

    def tls_over(self, raw):
        """A TLS client over the raw socket |raw| whose records the test
        sends itself: (the SSLObject, its outgoing BIO), the handshake done."""
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = self.ca.client_context().wrap_bio(incoming, outgoing, server_hostname="localhost")
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                raw.sendall(outgoing.read())
                data = raw.recv(65536)
                self.assertTrue(data, "boshd closed the connection during the handshake")
                incoming.write(data)
        raw.sendall(outgoing.read())  # the client's Finished
        return tls, outgoing

    def test_a_trickled_record_is_cut_off(self):
        # After the handshake, one TLS record holding a whole request, sent a
        # byte at a time: boshd sees nothing of the request until the record
        # is whole, so the clock runs from the record's first byte.
        with socket.create_connection(("127.0.0.1", self.boshd.port), timeout=5) as raw:
            tls, outgoing = self.tls_over(raw)
            time.sleep(1.5)  # idle past header_timeout first: that is allowed
            tls.write(b"GET /http-bind HTTP/1.1\r\nHost: x\r\n\r\n")
            # The 408, encrypted, comes before the close.
            elapsed = self.trickle(raw, outgoing.read(), answered=True)
        self.assertGreaterEqual(elapsed, 0.9)
        # Twice header_timeout at the most (net/head_guard.cpp, overdue()),
        # plus the time the test may lag.
        self.assertLess(elapsed, 3.5)
        self.boshd.wait_log("http.refused", status="408")

    def test_a_silent_connection_is_closed(self):
        with socket.create_connection(("127.0.0.1", self.boshd.port), timeout=5) as raw:
            started = time.monotonic()
            self.assertTrue(closed_within(raw, 4.0))
            self.assertLess(time.monotonic() - started, 2.5)
        self.boshd.wait_log("http.refused", status="none")

    def test_a_finished_handshake_may_idle_before_its_request(self):
        c = self.https_session().conn()
        time.sleep(1.5)  # past header_timeout, with nothing of a request sent
        self.assertEqual(c.request("GET", "/http-bind").status, 200)
        self.assertEqual(self.boshd.count("http.refused"), 0)


class HttpsFilesTest(unittest.TestCase):
    """Certificate files that cannot be used: exit 78 with the reason, at
    start as with --check-config."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="boshd-it-https-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.ca = TestCa(self.dir)

    def run_boshd(self, http, *args):
        path = os.path.join(self.dir, "boshd.toml")
        with open(path, "w") as f:
            f.write(make_config([route("example.com", 5222)], http=http))
        return subprocess.run([BOSHD, "--config", path, *args], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=10)

    def assert_refused(self, http, reason):
        for args in (("--check-config",), ()):
            r = self.run_boshd(http, *args)
            self.assertEqual(r.returncode, 78, (args, r.stderr))
            self.assertIn(reason.encode(), r.stderr, args)

    def test_valid_files_pass_check_config(self):
        cert, key = self.ca.issue("ok")
        r = self.run_boshd({"tls_cert": cert, "tls_key": key}, "--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_missing_certificate(self):
        _, key = self.ca.issue("ok")
        missing = os.path.join(self.dir, "missing.pem")
        self.assert_refused({"tls_cert": missing, "tls_key": key},
                            "http.tls_cert %s: No such file or directory" % missing)

    def test_certificate_file_without_a_certificate(self):
        _, key = self.ca.issue("ok")
        junk = os.path.join(self.dir, "junk.pem")
        with open(junk, "w") as f:
            f.write("no certificate here\n")
        self.assert_refused({"tls_cert": junk, "tls_key": key},
                            "http.tls_cert %s: no certificate could be read" % junk)

    def test_key_file_without_a_key(self):
        cert, _ = self.ca.issue("ok")
        self.assert_refused({"tls_cert": cert, "tls_key": cert},
                            "http.tls_key %s: no private key could be read" % cert)

    def test_key_of_another_certificate(self):
        cert, _ = self.ca.issue("one")
        _, key = self.ca.issue("two")
        self.assert_refused({"tls_cert": cert, "tls_key": key}, "does not match")

    def test_certificate_without_key_is_a_configuration_error(self):
        cert, _ = self.ca.issue("ok")
        self.assert_refused({"tls_cert": cert}, "http.tls_cert and http.tls_key must be set together")


class PlaintextWarningTest(unittest.TestCase):
    """A plain listener on a non-loopback address logs http.plaintext at
    start; an HTTPS one does not. The address, 10.99.0.1, exists only in a
    network namespace of the test's own (unshare -rn), so nothing outside
    this test can reach the listener."""

    def setUp(self):
        probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
        if probe.returncode != 0:
            self.skipTest("no user and network namespaces here: %r" % probe.stderr)
        self.dir = tempfile.mkdtemp(prefix="boshd-it-plain-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def start_log(self, http):
        """boshd's log from its start in the namespace to its READY line."""
        path = os.path.join(self.dir, "boshd.toml")
        with open(path, "w") as f:
            f.write(make_config([route("example.com", 5222)], http=http))
        script = ('ip link set lo up && ip addr add 10.99.0.1/32 dev lo && '
                  'exec "$0" --config "$1"')
        proc = subprocess.Popen(["unshare", "-rn", "sh", "-c", script, BOSHD, path],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            ready = proc.stdout.readline()
            self.assertTrue(ready.startswith(b"READY port="), ready)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 0, err)
        return err.decode()

    def test_plain_on_a_public_address_warns(self):
        log = self.start_log({"listen": "10.99.0.1:0"})
        self.assertRegex(log, r"http\.plaintext .*address=10\.99\.0\.1")

    def test_https_on_a_public_address_does_not_warn(self):
        cert, key = TestCa(self.dir).issue("server")
        log = self.start_log({"listen": "10.99.0.1:0", "tls_cert": cert, "tls_key": key})
        self.assertNotIn("http.plaintext", log)
        self.assertIn("boshd.listening", log)
