"""SASL for live runs: PLAIN (RFC 4616) and SCRAM-SHA-1 / SCRAM-SHA-256
(RFC 5802, RFC 7677) without channel binding, with hashlib and hmac.

    scram = Scram("SCRAM-SHA-1", "alice", "secret")
    first = scram.client_first()              # bytes for <auth/>
    final = scram.client_final(challenge)     # bytes for <response/>
    scram.verify(server_final)                # raises SaslError unless the server proved the key
"""

import base64
import hashlib
import hmac
import os
import stringprep
import unicodedata

HASHES = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256"}


class SaslError(Exception):
    pass


def saslprep(text):
    """RFC 4013 SASLprep (stored strings): map, NFKC, refuse prohibited
    characters and bad bidirectional text."""
    mapped = "".join(" " if stringprep.in_table_c12(c) else c
                     for c in text if not stringprep.in_table_b1(c))
    out = unicodedata.normalize("NFKC", mapped)
    for c in out:
        if (stringprep.in_table_c12(c) or stringprep.in_table_c21_c22(c) or stringprep.in_table_c3(c)
                or stringprep.in_table_c4(c) or stringprep.in_table_c5(c) or stringprep.in_table_c6(c)
                or stringprep.in_table_c7(c) or stringprep.in_table_c8(c) or stringprep.in_table_c9(c)
                or stringprep.in_table_a1(c)):
            raise SaslError("SASLprep: prohibited character U+%04X" % ord(c))
    if any(stringprep.in_table_d1(c) for c in out):
        if any(stringprep.in_table_d2(c) for c in out) or not (
                stringprep.in_table_d1(out[0]) and stringprep.in_table_d1(out[-1])):
            raise SaslError("SASLprep: invalid bidirectional text")
    return out


def plain(user, password, authzid=""):
    """The PLAIN message: authzid NUL authcid NUL password, UTF-8."""
    return ("%s\0%s\0%s" % (authzid, saslprep(user), saslprep(password))).encode("utf-8")


def b64(data):
    return base64.b64encode(data).decode("ascii")


def _attributes(message):
    """'k=v,k=v' of a SCRAM message as a dict (values may contain '=')."""
    out = {}
    for part in message.split(","):
        if len(part) < 2 or part[1] != "=":
            raise SaslError("malformed SCRAM message %r" % message)
        out.setdefault(part[0], part[2:])
    return out


class Scram:
    def __init__(self, mechanism, user, password, nonce=None):
        if mechanism not in HASHES:
            raise SaslError("unsupported mechanism %s" % mechanism)
        self.hash = HASHES[mechanism]
        self.password = saslprep(password).encode("utf-8")
        name = saslprep(user).replace("=", "=3D").replace(",", "=2C")
        self.nonce = nonce or b64(os.urandom(18))
        self.gs2_header = "n,,"          # no channel binding, no authzid
        self.first_bare = "n=%s,r=%s" % (name, self.nonce)
        self.server_signature = None

    def _hmac(self, key, msg):
        return hmac.new(key, msg, self.hash).digest()

    def client_first(self):
        return (self.gs2_header + self.first_bare).encode("utf-8")

    def client_final(self, server_first):
        """The client-final message for the server-first message (bytes)."""
        text = server_first.decode("utf-8")
        attrs = _attributes(text)
        if "e" in attrs:
            raise SaslError("server error: %s" % attrs["e"])
        if "m" in attrs:
            raise SaslError("the server requires an extension (m=) this client does not know")
        nonce, salt, iterations = attrs.get("r"), attrs.get("s"), attrs.get("i")
        if not nonce or not salt or not iterations:
            raise SaslError("server-first message lacks r, s or i: %r" % text)
        if not nonce.startswith(self.nonce) or len(nonce) <= len(self.nonce):
            raise SaslError("the server nonce does not extend ours")
        if not iterations.isdigit() or int(iterations) < 1:
            raise SaslError("bad iteration count %r" % iterations)
        salted = hashlib.pbkdf2_hmac(self.hash, self.password, base64.b64decode(salt, validate=True),
                                     int(iterations))
        client_key = self._hmac(salted, b"Client Key")
        stored_key = hashlib.new(self.hash, client_key).digest()
        without_proof = "c=%s,r=%s" % (b64(self.gs2_header.encode()), nonce)
        auth_message = ",".join((self.first_bare, text, without_proof)).encode("utf-8")
        signature = self._hmac(stored_key, auth_message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        self.server_signature = self._hmac(self._hmac(salted, b"Server Key"), auth_message)
        return ("%s,p=%s" % (without_proof, b64(proof))).encode("utf-8")

    def verify(self, server_final):
        """Checks the server-final message (bytes): the server knew the key."""
        attrs = _attributes(server_final.decode("utf-8"))
        if "e" in attrs:
            raise SaslError("server error: %s" % attrs["e"])
        if self.server_signature is None or "v" not in attrs:
            raise SaslError("no server signature (v=) to verify")
        if not hmac.compare_digest(base64.b64decode(attrs["v"]), self.server_signature):
            raise SaslError("the server signature is wrong: the server does not know the password")
