"""Running one scenario's steps and reporting the result.

A Conversation runs the steps in order; each verb is a method step_<verb>
that either returns or raises StepFailed. Mixins add the verbs (wire.HttpSteps
for the client side, corpus.FakeServerSteps for the fake XMPP server,
live.LiveSteps for real servers). The first failing step ends the scenario.

Each scenario becomes one Result, printed as

    ok - scenario:<id> <title> (0.4s)
    not ok - scenario:<id> <title> (5.1s)
    #   step 3: { expect = "...", req = "r1" }
    #   ...
    skip - scenario:<id> <title> # why

and a run ends with "N skipped" (when any) and "N passed, N failed".
"""

import time
import traceback
from dataclasses import dataclass, field

from .patterns import PatternError

DEFAULT_TIMEOUT = 5.0
NEGATIVE_CHECK = 0.2   # expect_pending / server_expect_nothing look after this long


class StepFailed(Exception):
    """A step did not hold. |details| are (label, text) pairs for the report."""

    def __init__(self, message, details=()):
        super().__init__(message)
        self.details = list(details)


@dataclass
class Result:
    scenario: object
    status: str                        # "ok", "not ok" or "skip"
    seconds: float = 0.0
    lines: list = field(default_factory=list)   # '#' lines after the result line
    reason: str = ""                   # for skips


class Conversation:
    """One scenario being run. Subclasses combine it with step mixins."""

    def __init__(self, scenario, verbose=False):
        self.scenario = scenario
        self.verbose = verbose
        self.vars = {}
        self.transcript = []   # verbose lines, printed after the result line
        self.notes = []        # short facts worth printing even on success

    # ---- hooks
    def refresh_variables(self):
        """Binds predefined variables that became known (e.g. stream_id)."""

    def close(self):
        """Releases connections; called once, whatever happened."""

    # ---- running
    def timeout(self, step):
        return float(step.mods.get("timeout", DEFAULT_TIMEOUT))

    def run(self):
        """Runs every step; returns the failing (step, StepFailed) or None."""
        for step in self.scenario.steps:
            self.refresh_variables()
            handler = getattr(self, "step_" + step.verb, None)
            try:
                if handler is None:
                    raise StepFailed("this runner does not implement %s" % step.verb)
                handler(step)
            except StepFailed as e:
                return step, e
            except PatternError as e:
                return step, StepFailed("the step itself is wrong: %s" % e)
            except Exception as e:  # a bug or an unforeseen condition: this scenario fails
                return step, StepFailed("unexpected error: %r" % e,
                                        [("traceback", traceback.format_exc().rstrip())])
        return None

    def log(self, line):
        if self.verbose:
            self.transcript.append(line)

    # ---- verbs every mode has
    def step_set(self, step):
        for name, value in step.value.items():
            self.vars[name] = value if isinstance(value, str) else str(value)

    def step_advance(self, step):
        time.sleep(float(step.value))


def failure_lines(step, failure):
    lines = ["step %d: %s" % (step.number, step.describe()), str(failure)]
    for label, text in failure.details:
        text = text if isinstance(text, str) else repr(text)
        first, *rest = text.splitlines() or [""]
        lines.append("%s: %s" % (label, first))
        lines.extend("    " + r for r in rest)
    return lines


def run_conversation(conv):
    """Result of running |conv| (closing it afterwards)."""
    started = time.monotonic()
    try:
        failed = conv.run()
    finally:
        conv.close()
    result = Result(conv.scenario, "ok" if failed is None else "not ok",
                    time.monotonic() - started)
    if failed is not None:
        result.lines += failure_lines(*failed)
    result.lines += conv.notes
    result.lines += conv.transcript
    return result


def invalid(scenario):
    """Result for a scenario that cannot run because it is malformed."""
    return Result(scenario, "not ok", 0.0, ["invalid scenario (%s):" % scenario.source]
                  + ["  " + e for e in scenario.errors])


class Report:
    """Prints results as they come and the summary at the end."""

    def __init__(self, out):
        self.out = out
        self.passed = self.failed = self.skipped = 0

    def add(self, result):
        sc = result.scenario
        name = "scenario:%s %s" % (sc.id, sc.title)
        if result.status == "skip":
            self.skipped += 1
            self.out.write("skip - %s # %s\n" % (name, result.reason))
        else:
            if result.status == "ok":
                self.passed += 1
            else:
                self.failed += 1
            self.out.write("%s - %s (%.1fs)\n" % (result.status, name, result.seconds))
        for entry in result.lines:
            for line in entry.split("\n"):
                self.out.write(("#   " + line).rstrip() + "\n")
        self.out.flush()

    def problem(self, source, text):
        """A file that could not be read counts as one failure."""
        self.failed += 1
        self.out.write("not ok - %s\n#   %s\n" % (source, text))

    def finish(self):
        if self.skipped:
            self.out.write("%d skipped\n" % self.skipped)
        self.out.write("%d passed, %d failed\n" % (self.passed, self.failed))
        self.out.flush()
        return 1 if self.failed else 0
