"""A run's journal as JUnit XML, for CI (``invoke scenario --junit-xml PATH``).

One ``<testsuite>`` per run (name: the scenario, on its backend) in a ``<testsuites>``
root, one ``<testcase>`` per expectation (judged: a failed one has a ``<failure>`` with
expected and actual). What the run observed but does not judge (invocations, errors,
stops, the last counter, log streams, the run's id, status, seed and overrides) goes into
``<properties>``: an observation is a property, never a testcase, so a CI dashboard counts
only what the scenario judged. A run that did not complete its steps (aborted,
interrupted, still running) adds one testcase ``run`` with an ``<error>`` saying why:
otherwise a run that stopped before its expectations would show as green with 0 tests.

The document follows the JUnit format CI systems read (Jenkins' xunit-plugin junit-10.xsd,
GitLab, GitHub's test-report actions): ``tests``/``failures``/``errors``/``skipped`` on
the suite, ``name`` and ``classname`` on each case, ``time`` in seconds as a plain
decimal. tests/test_results_junit.py validates it against tests/data/junit/junit.xsd.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from looplab._files import printable, write_atomic
from looplab.journal import RunRecord
from looplab.results._summary import overrides_text

__all__ = ["OBSERVED", "junit_xml", "write_junit"]

# The observations that become properties, in this order (the journal's names).
OBSERVED = (
    "invocations",
    "errors",
    "recursive_invocations_dropped",
    "throttles",
    "max_counter_sent",
    "counters_sent_total",
)


def junit_xml(record: RunRecord) -> str:
    """The JUnit XML document of one run (UTF-8 text with its XML declaration)."""
    suites = ET.Element("testsuites", name="looplab")
    suite = ET.SubElement(suites, "testsuite", name=_text(f"{record.scenario} on {record.backend}"))
    props = ET.SubElement(suite, "properties")
    for name, value in _properties(record):
        ET.SubElement(props, "property", name=name, value=_text(value))
    cases = 0
    failures = 0
    errors = 0
    classname = _text(f"looplab.{record.backend}.{record.scenario}")
    for i, exp in enumerate(record.expectations):
        if not isinstance(exp, dict):
            continue
        cases += 1
        case = ET.SubElement(
            suite, "testcase", name=_case_name(exp, i), classname=classname, time="0"
        )
        if exp.get("note"):
            out = ET.SubElement(case, "system-out")
            out.text = _text(exp.get("note"))
        if not exp.get("passed"):
            failures += 1
            message = f"expected {_value(exp.get('expected'))}, got {_value(exp.get('actual'))}"
            failure = ET.SubElement(case, "failure", message=_text(message), type="expectation")
            failure.text = _text(message)
    if record.status not in ("completed", "failed"):
        cases += 1
        errors += 1
        case = ET.SubElement(suite, "testcase", name="run", classname=classname, time="0")
        why = f"the run is {record.status}: {record.reason or 'no reason recorded'}"
        error = ET.SubElement(case, "error", message=_text(why), type=_text(record.status))
        error.text = _text(why)
    seconds = f"{max(record.wall_seconds, 0.0):.3f}"
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", "0")
    suite.set("time", seconds)
    if record.started_at:
        # JUnit readers expect an ISO 8601 time without a zone suffix (Ant's format).
        suite.set("timestamp", _text(record.started_at.rstrip("Z").split("+")[0][:19]))
    if record.host:
        suite.set("hostname", _text(record.host))
    for key, value in (("tests", cases), ("failures", failures), ("errors", errors)):
        suites.set(key, str(value))
    suites.set("time", seconds)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


def write_junit(record: RunRecord, path: Path) -> None:
    """Write :func:`junit_xml` to ``path`` atomically (never through a planted link)."""
    write_atomic(Path(path), junit_xml(record))


def _properties(record: RunRecord) -> list[tuple[str, str]]:
    obs = record.observations
    props = [
        ("run", record.run),
        ("scenario", record.scenario),
        ("backend", record.backend),
        ("stack", record.stack),
        ("status", record.status),
    ]
    if record.reason:
        props.append(("reason", str(record.reason)))
    if isinstance(record.seed, int):
        props.append(("seed", str(record.seed)))
    overrides = overrides_text(record.definition.get("overrides"))
    props.append(("overrides", overrides or "none"))
    for name in OBSERVED:
        value = obs.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            props.append((f"observed.{name}", _value(value)))
    if isinstance(obs.get("log_streams"), list):
        props.append(("observed.log_streams", str(len(obs["log_streams"]))))
    if record.timeline.metrics_pending:
        props.append(("metrics_pending", "true: CloudWatch had not settled at the end"))
    return props


def _case_name(exp: dict[str, Any], index: int) -> str:
    check = str(exp.get("check") or f"expectation {index + 1}")
    expected = exp.get("expected")
    return _text(f"{check} {expected}" if expected is not None else check)


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _text(value: Any) -> str:
    """Text XML 1.0 can hold: printable (no terminal escapes) and without the control
    characters XML forbids (ElementTree would write them, and a reader then fails)."""
    return "".join(
        c
        for c in printable(str(value))
        if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd") or c > "\uffff"
    )
