"""SASL for live runs: the RFC 5802 / RFC 7677 test vectors, and failures."""

import base64
import unittest

from boshclient.live import choose_mechanism
from boshclient.sasl import Scram, SaslError, plain, saslprep


class ScramVectors(unittest.TestCase):
    def test_rfc5802_sha1(self):
        s = Scram("SCRAM-SHA-1", "user", "pencil", nonce="fyko+d2lbbFgONRv9qkxdawL")
        self.assertEqual(s.client_first(), b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL")
        final = s.client_final(b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                               b"s=QSXCR+Q6sek8bf92,i=4096")
        self.assertEqual(final, b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                                b"p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=")
        s.verify(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")

    def test_rfc7677_sha256(self):
        s = Scram("SCRAM-SHA-256", "user", "pencil", nonce="rOprNGfwEbeRWgbNEkqO")
        final = s.client_final(b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                               b"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
        self.assertEqual(final, b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                                b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
        s.verify(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")

    def test_wrong_server_signature(self):
        s = Scram("SCRAM-SHA-1", "user", "pencil", nonce="fyko+d2lbbFgONRv9qkxdawL")
        s.client_final(b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096")
        with self.assertRaisesRegex(SaslError, "signature is wrong"):
            s.verify(b"v=" + base64.b64encode(b"x" * 20))

    def test_wrong_password_gives_another_proof(self):
        s = Scram("SCRAM-SHA-1", "user", "pencil2", nonce="fyko+d2lbbFgONRv9qkxdawL")
        final = s.client_final(b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                               b"s=QSXCR+Q6sek8bf92,i=4096")
        self.assertNotIn(b"p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", final)

    def test_server_nonce_must_extend_ours(self):
        s = Scram("SCRAM-SHA-1", "user", "pencil", nonce="abc")
        with self.assertRaisesRegex(SaslError, "nonce"):
            s.client_final(b"r=xyz123,s=QSXCR+Q6sek8bf92,i=4096")
        with self.assertRaisesRegex(SaslError, "nonce"):
            s.client_final(b"r=abc,s=QSXCR+Q6sek8bf92,i=4096")

    def test_server_error_and_no_signature(self):
        s = Scram("SCRAM-SHA-1", "user", "pencil", nonce="abc")
        with self.assertRaisesRegex(SaslError, "server error"):
            s.client_final(b"e=other-error")
        with self.assertRaisesRegex(SaslError, "no server signature"):
            s.verify(b"v=AAAA")

    def test_username_escaping(self):
        s = Scram("SCRAM-SHA-1", "a=b,c", "p", nonce="n")
        self.assertEqual(s.client_first(), b"n,,n=a=3Db=2Cc,r=n")


class Plain(unittest.TestCase):
    def test_message(self):
        self.assertEqual(plain("alice", "alice-pw"), b"\0alice\0alice-pw")

    def test_saslprep(self):
        self.assertEqual(saslprep("I\u00adX"), "IX")           # RFC 4013 examples
        self.assertEqual(saslprep("\u2168"), "IX")
        with self.assertRaises(SaslError):
            saslprep("\u0007")


class Mechanism(unittest.TestCase):
    def test_choice(self):
        self.assertEqual(choose_mechanism(["PLAIN", "SCRAM-SHA-1"]), "SCRAM-SHA-1")
        self.assertEqual(choose_mechanism(["SCRAM-SHA-256", "PLAIN"]), "SCRAM-SHA-256")
        self.assertEqual(choose_mechanism(["PLAIN"]), "PLAIN")

    def test_plain_only_when_alone(self):
        self.assertIsNone(choose_mechanism(["PLAIN", "DIGEST-MD5"]))
        self.assertIsNone(choose_mechanism([]))
        self.assertIsNone(choose_mechanism(["SCRAM-SHA-1-PLUS"]))
