"""Live scenarios (xep/live/*.toml): a real XMPP server behind a BOSH URL.

Same format as the corpus, without server_* steps, plus three verbs that need
computation or a real server's freedom (documented in xep/FORMAT.md, "Live
scenarios"):

  sasl = "auto"     authenticate with the mechanisms the last stream features
                    offered: SCRAM-SHA-1, else SCRAM-SHA-256, else PLAIN when
                    it is the only one offered; binds {mechanism}
  session = "auto"  RFC 3921 session establishment when the last stream
                    features advertise <session/> without <optional/>
  receive = pattern wait for a stanza matching the pattern in the replies,
                    sending empty bodies while none is pending; other
                    stanzas are ignored

Predefined variables: {domain}, {user}, {auth_plain}, {nonce} (random hex,
per scenario) and {rid}: a random initial rid, rebound after every request
sent to that request's rid, so the next body says rid='{rid+1}'.
"""

import base64
import os
import random
import time
import xml.etree.ElementTree as ET

from .patterns import Pattern, Mismatch, substitute
from .runner import Conversation, StepFailed, invalid, run_conversation
from .sasl import Scram, SaslError, plain
from .wire import HTTPBIND_NS, HttpSteps, describe_response

SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl"
SESSION_NS = "urn:ietf:params:xml:ns:xmpp-session"
CLIENT_NS = "jabber:client"


def choose_mechanism(offered):
    """The mechanism to use among |offered|, or None."""
    for mech in ("SCRAM-SHA-1", "SCRAM-SHA-256"):
        if mech in offered:
            return mech
    if offered == ["PLAIN"]:
        return "PLAIN"
    return None


class LiveSteps:
    """Mixin for Conversation with HttpSteps: the live verbs."""

    def live_init(self, domain, user, password):
        self.user = user
        self.password = password
        self.auto_count = 0
        self.terminated = False
        self.vars.update({
            "domain": domain,
            "user": user,
            "auth_plain": base64.b64encode(plain(user, password)).decode("ascii"),
            "nonce": os.urandom(6).hex(),
            "rid": str(random.randint(10**6, 10**9)),
        })

    def after_send(self, req, body):
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return
        if root.get("rid") is not None:
            self.vars["rid"] = root.get("rid")
        if root.get("type") == "terminate":
            self.terminated = True

    def close(self):
        """A scenario that stopped half-way still ends its session, so a
        failed check leaves nothing behind on the server (best effort)."""
        try:
            if "sid" in self.vars and not self.terminated:
                body = substitute("<body rid='{rid+1}' sid='{sid}' type='terminate' xmlns='%s'/>"
                                  % HTTPBIND_NS, self.vars)
                req = self.post(body, "cleanup", timeout=2.0)
                self.terminated = True
                self.reply(req, 2.0)
        except Exception:  # best effort: the scenario's own result stands
            pass
        finally:
            super().close()

    # ---- helpers
    def send_payload(self, payload, timeout):
        """Sends <body rid='{rid+1}' sid='{sid}'>payload</body>."""
        if "sid" not in self.vars:
            raise StepFailed("no session: {sid} is not bound yet")
        self.auto_count += 1
        body = substitute("<body rid='{rid+1}' sid='{sid}' xmlns='%s'>" % HTTPBIND_NS, self.vars)
        body = body[:-1] + "/>" if not payload else body + payload + "</body>"
        req = self.post(body, "auto%d" % self.auto_count, timeout=timeout)
        self.after_send(req, body)
        return req

    def await_stanza(self, predicate, timeout, what):
        """The first child of a reply for which predicate(child) is true,
        within |timeout|; keeps one request pending meanwhile."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise StepFailed("no %s within %.1f s" % (what, timeout),
                                 [("received", "\n".join(seen) or "(nothing)")])
            req = self.oldest_unanswered() or self.send_payload("", left)
            try:
                resp = self.reply(req, left)
            except StepFailed as e:
                raise StepFailed("no %s within %.1f s (%s)" % (what, timeout, e),
                                 [("received", "\n".join(seen) or "(nothing)")])
            req.consumed = True
            try:
                root = ET.fromstring(resp.body)
            except ET.ParseError:
                root = None
            if resp.status != 200 or root is None or root.get("type") == "terminate":
                raise StepFailed("the session ended or failed while waiting for %s" % what,
                                 [("actual", describe_response(resp))])
            for child in root:
                if predicate(child):
                    return child
            if len(root):
                seen.append(resp.body.decode("utf-8", "replace"))

    # ---- verbs
    def step_receive(self, step):
        pattern = Pattern(step.value)
        absent = step.mods.get("absent", ())
        closest = []

        def predicate(child):
            try:
                pattern.match(child, self.vars, absent)
                return True
            except Mismatch as e:
                closest.append(str(e))
                return False
        try:
            self.await_stanza(predicate, self.timeout(step), "matching stanza")
        except StepFailed as e:
            e.details = [("expected", step.value)] + e.details
            if closest:
                e.details.append(("closest", closest[-1]))
            raise

    def step_sasl(self, step):
        if step.value != "auto":
            raise StepFailed('sasl only knows "auto"')
        if self.last_features is None:
            raise StepFailed("no stream features received yet")
        offered = [(m.text or "").strip() for m in
                   self.last_features.findall("{%s}mechanisms/{%s}mechanism" % (SASL_NS, SASL_NS))]
        mech = choose_mechanism(offered)
        if mech is None:
            raise StepFailed("no usable SASL mechanism among %s (bosh-client does SCRAM-SHA-1, "
                             "SCRAM-SHA-256, and PLAIN only when it is the only one offered)"
                             % (offered or "none"))
        self.vars["mechanism"] = mech
        timeout = self.timeout(step)
        scram = Scram(mech, self.user, self.password) if mech != "PLAIN" else None
        first = scram.client_first() if scram else plain(self.user, self.password)
        self.send_payload("<auth xmlns='%s' mechanism='%s'>%s</auth>"
                          % (SASL_NS, mech, base64.b64encode(first).decode("ascii")), timeout)
        verified = False
        while True:
            elem = self.await_stanza(lambda c: c.tag.startswith("{%s}" % SASL_NS), timeout,
                                     "SASL reply")
            name = elem.tag.split("}")[1]
            data = (elem.text or "").strip()
            try:
                data = base64.b64decode(data if data != "=" else "", validate=True)
            except ValueError:
                raise StepFailed("the server's %s is not base64: %r" % (name, data))
            try:
                if name == "challenge" and scram and scram.server_signature is None:
                    reply = scram.client_final(data)
                elif name == "challenge" and scram:
                    scram.verify(data)
                    verified, reply = True, b""
                elif name == "success":
                    if scram and not verified:
                        scram.verify(data)
                    self.notes.append("authenticated as %s with %s" % (self.user, mech))
                    return
                elif name == "failure":
                    condition = [c.tag.split("}")[1] for c in elem if c.tag.split("}")[1] != "text"]
                    text = elem.findtext("{%s}text" % SASL_NS) or ""
                    raise StepFailed("authentication failed (%s): %s %s"
                                     % (mech, ", ".join(condition) or "no condition", text))
                else:
                    raise StepFailed("unexpected SASL element %s" % name)
            except SaslError as e:
                raise StepFailed("%s: %s" % (mech, e))
            self.send_payload("<response xmlns='%s'>%s</response>"
                              % (SASL_NS, base64.b64encode(reply).decode("ascii") or "="), timeout)

    def step_session(self, step):
        if step.value != "auto":
            raise StepFailed('session only knows "auto"')
        if self.last_features is None:
            raise StepFailed("no stream features received yet")
        feature = self.last_features.find("{%s}session" % SESSION_NS)
        if feature is None:
            self.notes.append("session establishment: not advertised, skipped")
            return
        if feature.find("{%s}optional" % SESSION_NS) is not None:
            self.notes.append("session establishment: optional, skipped")
            return
        iq_id = "bc-session-" + self.vars["nonce"]
        self.send_payload("<iq type='set' id='%s' xmlns='%s'><session xmlns='%s'/></iq>"
                          % (iq_id, CLIENT_NS, SESSION_NS), self.timeout(step))
        iq = self.await_stanza(lambda c: c.tag == "{%s}iq" % CLIENT_NS and c.get("id") == iq_id,
                               self.timeout(step), "reply to the session iq")
        if iq.get("type") != "result":
            raise StepFailed("session establishment failed: %s" % ET.tostring(iq, "unicode"))
        self.notes.append("session establishment: required, done")


class LiveConversation(LiveSteps, HttpSteps, Conversation):
    def __init__(self, scenario, endpoint, domain, user, password, verbose):
        Conversation.__init__(self, scenario, verbose)
        self.http_init(endpoint)
        self.live_init(domain, user, password)


class LiveRunner:
    SHOWN = ("sid", "wait", "requests", "ver", "mechanism", "jid")

    def __init__(self, endpoint, domain, user, password, verbose=False):
        self.endpoint = endpoint
        self.domain = domain
        self.user = user
        self.password = password
        self.verbose = verbose

    def run(self, scenario):
        if scenario.errors:
            return invalid(scenario)
        conv = LiveConversation(scenario, self.endpoint, self.domain, self.user, self.password,
                                self.verbose)
        result = run_conversation(conv)
        shown = ["%s=%s" % (k, conv.vars[k]) for k in self.SHOWN if k in conv.vars]
        if shown:
            result.lines.insert(len(result.lines) - len(conv.transcript), " ".join(shown))
        return result
