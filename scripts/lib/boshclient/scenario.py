"""Loading and checking scenario files (xep/FORMAT.md).

load_dir() reads every *.toml of a directory with tomllib and returns the
scenarios it holds plus the problems it found. A scenario that is malformed
(an unknown verb or modifier, a value of the wrong type) is still returned,
with its `errors` set, so a runner can report it as failed without stopping
the whole run; a file that is not TOML is reported as a problem of its own.
"""

import os
import re
import tomllib
from dataclasses import dataclass, field

# verb -> (type of its value, modifiers it accepts, where it may be used).
# "wire": corpus scenarios (a fake XMPP server is there); "live": scenarios
# against a real server (xep/live/); "any": both. `timeout` is accepted by
# every verb (it bounds the waits of that step).
VERBS = {
    "send": (str, {"as", "headers", "content_type", "method"}, "any"),
    "expect": (str, {"req", "status", "absent", "content_type", "capture_raw"}, "any"),
    "expect_raw": (str, {"req", "status"}, "any"),
    "expect_pending": (str, set(), "any"),
    "drop": (str, set(), "any"),
    "advance": ((int, float), set(), "any"),
    "set": (dict, set(), "any"),
    "server_expect": (str, {"stream"}, "wire"),
    "server_expect_header": (str, {"stream"}, "wire"),
    "server_expect_close": (bool, {"stream"}, "wire"),
    "server_expect_nothing": (bool, {"stream"}, "wire"),
    "server_send": (str, {"stream"}, "wire"),
    "server_drop": (bool, {"stream"}, "wire"),
    "server_refuse": (bool, set(), "wire"),
    "shutdown": (bool, set(), "wire"),
    # Live scenarios only (xep/FORMAT.md, "Live scenarios").
    "sasl": (str, set(), "live"),
    "session": (str, set(), "live"),
    "receive": (str, {"absent"}, "live"),
}
MODIFIER_TYPES = {
    "as": str, "headers": dict, "content_type": str, "method": str, "req": str,
    "status": int, "absent": list, "capture_raw": str, "stream": int,
    "timeout": (int, float),
}
SCENARIO_KEYS = {"id", "proves", "title", "config", "features", "restart_features", "steps"}
ID_RE = re.compile(r"[a-z0-9-]+")


@dataclass
class Step:
    number: int          # 1-based position in the scenario
    verb: str
    value: object
    mods: dict

    def describe(self):
        """The step as one line, close to how it is written."""
        parts = ["%s = %s" % (self.verb, _short(self.value))]
        parts += ["%s = %s" % (k, _short(v)) for k, v in self.mods.items()]
        return "{ " + ", ".join(parts) + " }"


@dataclass
class Scenario:
    id: str
    title: str
    source: str                      # file it came from
    proves: list = field(default_factory=list)
    config: dict = field(default_factory=dict)
    features: str = None
    restart_features: str = None
    steps: list = field(default_factory=list)
    errors: list = field(default_factory=list)   # why it cannot run


def _short(v):
    if isinstance(v, str):
        return '"%s"' % v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "{ " + ", ".join("%s = %s" % (k, _short(x)) for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[" + ", ".join(_short(x) for x in v) + "]"
    return str(v)


def _typed(value, types):
    if types in ((int, float), int) and isinstance(value, bool):
        return False  # TOML true is not a number
    return isinstance(value, types)


def _check_step(number, table, mode, errors):
    if not isinstance(table, dict):
        errors.append("step %d is not an inline table" % number)
        return None
    verbs = [k for k in table if k in VERBS]
    unknown = [k for k in table if k not in VERBS and k not in MODIFIER_TYPES]
    if unknown:
        errors.append("step %d: unknown key(s) %s" % (number, ", ".join(unknown)))
        return None
    if len(verbs) != 1:
        errors.append("step %d: needs exactly one verb, has %s" % (number, verbs or "none"))
        return None
    verb = verbs[0]
    vtype, allowed, where = VERBS[verb]
    if where != "any" and where != mode:
        errors.append("step %d: %s is only for %s scenarios" % (number, verb, where))
    if not _typed(table[verb], vtype):
        errors.append("step %d: %s has a value of the wrong type (%r)" % (number, verb, table[verb]))
    mods = {k: v for k, v in table.items() if k != verb}
    for k, v in mods.items():
        if k != "timeout" and k not in allowed:
            errors.append("step %d: %s does not take %s" % (number, verb, k))
        elif not _typed(v, MODIFIER_TYPES[k]):
            errors.append("step %d: %s has a value of the wrong type (%r)" % (number, k, v))
    return Step(number, verb, table[verb], mods)


def _scenario(table, source, mode):
    errors = []
    if not isinstance(table, dict):
        return Scenario("?", "", source, errors=["a [[scenario]] entry is not a table"])
    sid = table.get("id")
    if not isinstance(sid, str) or not ID_RE.fullmatch(sid):
        errors.append("id %r is not [a-z0-9-]+" % (sid,))
        sid = str(sid)
    title = table.get("title", "")
    if not isinstance(title, str) or not title:
        errors.append("title is missing")
        title = ""
    for k in table:
        if k not in SCENARIO_KEYS:
            errors.append("unknown key %s" % k)
        elif mode == "live" and k in ("config", "features", "restart_features"):
            errors.append("%s is for corpus scenarios (live scenarios have no fake server)" % k)
    config = table.get("config", {})
    if not isinstance(config, dict):
        errors.append("config must be a table")
        config = {}
    for k in ("features", "restart_features"):
        if k in table and not isinstance(table[k], str):
            errors.append("%s must be a string" % k)
    proves = table.get("proves", [])
    if not isinstance(proves, list):
        errors.append("proves must be an array")
    steps_in = table.get("steps")
    if not isinstance(steps_in, list) or not steps_in:
        errors.append("steps is missing or empty")
        steps_in = []
    steps = []
    for i, st in enumerate(steps_in, 1):
        step = _check_step(i, st, mode, errors)
        if step is not None:
            steps.append(step)
    return Scenario(sid, title, source, proves=proves, config=config,
                    features=table.get("features"), restart_features=table.get("restart_features"),
                    steps=steps, errors=errors)


def load_dir(directory, mode):
    """(scenarios, problems) from directory/*.toml in name order. |mode| is
    "wire" or "live" (which verbs are allowed). Problems are (source, text)
    for files that cannot be read; duplicate ids mark both scenarios."""
    scenarios, problems = [], []
    try:
        names = sorted(n for n in os.listdir(directory) if n.endswith(".toml"))
    except OSError as e:
        return [], [(directory, str(e))]
    for name in names:
        path = os.path.join(directory, name)
        try:
            with open(path, "rb") as f:
                doc = tomllib.load(f)
        except (OSError, tomllib.TOMLDecodeError) as e:
            problems.append((path, str(e)))
            continue
        extra = [k for k in doc if k != "scenario"]
        if extra:
            problems.append((path, "unknown top-level key(s) %s" % ", ".join(extra)))
        entries = doc.get("scenario", [])
        if not isinstance(entries, list):
            problems.append((path, "scenario must be an array of tables ([[scenario]])"))
            continue
        for table in entries:
            scenarios.append(_scenario(table, path, mode))
    seen = {}
    for sc in scenarios:
        if sc.id in seen:
            sc.errors.append("id %s is also used in %s" % (sc.id, seen[sc.id].source))
        else:
            seen[sc.id] = sc
    return scenarios, problems
