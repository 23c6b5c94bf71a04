"""A throw-away certificate authority for HTTPS tests (integration suite,
tests/e2e): a CA certificate and server certificates it signs, made with the
openssl command line into a directory the caller owns.

    ca = TestCa(directory)
    cert, key = ca.issue("server", "localhost")   # SAN DNS:localhost, IP:127.0.0.1
    ssl_ctx = ca.client_context()                 # trusts only this CA
"""

import os
import ssl
import subprocess

_OPENSSL_TIMEOUT = 60


def _openssl(*args, cwd=None):
    subprocess.run(["openssl", *args], check=True, cwd=cwd, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, timeout=_OPENSSL_TIMEOUT)


class TestCa:
    def __init__(self, directory, name="boshd test CA"):
        self.dir = directory
        self.cert = os.path.join(directory, "ca.pem")
        self.key = os.path.join(directory, "ca.key")
        self._serial = 0
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-subj", "/CN=" + name, "-days", "2", "-keyout", self.key, "-out", self.cert,
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def issue(self, stem, cn="localhost", chain=False):
        """(cert_path, key_path) of a new server certificate for |cn| (also
        valid for 127.0.0.1), each call a new key and serial. |chain|: the
        certificate file holds the CA certificate after the leaf, as a chain
        file does."""
        self._serial += 1
        key = os.path.join(self.dir, stem + ".key")
        csr = os.path.join(self.dir, stem + ".csr")
        cert = os.path.join(self.dir, stem + ".pem")
        ext = os.path.join(self.dir, stem + ".ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=DNS:%s,IP:127.0.0.1\n"
                    "extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n" % cn)
        _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-subj", "/CN=" + cn, "-keyout", key, "-out", csr)
        _openssl("x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey", self.key,
                 "-set_serial", str(1000 + self._serial), "-days", "1", "-extfile", ext,
                 "-out", cert)
        if chain:
            with open(self.cert) as f:
                ca_pem = f.read()
            with open(cert, "a") as f:
                f.write(ca_pem)
        return cert, key

    def client_context(self, alpn=("http/1.1",)):
        """A client context that trusts this CA only and checks host names."""
        ctx = ssl.create_default_context(cafile=self.cert)
        if alpn:
            ctx.set_alpn_protocols(list(alpn))
        return ctx
