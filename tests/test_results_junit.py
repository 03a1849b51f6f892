"""JUnit XML and the GitHub job summary from a run's journal (issue 22 item 3).

The journals are real (the shipped scenarios run on the simulator); the XML is parsed back
(testcase count = expectations, failures = the failed ones, observations are properties
and never testcases) and validated against tests/data/junit/junit.xsd, the JUnit schema
CI systems read (see its header for its source).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema
from _support.runs import run_shipped

from looplab.journal import RunRecord, read_journal
from looplab.results import append_step_summary, junit_xml, step_summary, write_junit

SCHEMA = xmlschema.XMLSchema(Path(__file__).parent / "data" / "junit" / "junit.xsd")


@pytest.fixture(scope="module")
def journals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """loop-detection as shipped (5 expectations hold) and with recursion_threshold=30
    (the chain runs on: some fail)."""
    results = tmp_path_factory.mktemp("junit")
    run_shipped(results)
    [passed] = results.glob("runs/*/journal.json")
    run_shipped(
        results,
        sim={"recursion_threshold": 30},
        overrides={"stack_params": {}, "simulator": {"recursion_threshold": 30}},
    )
    [failed] = [p for p in results.glob("runs/*/journal.json") if p != passed]
    return {"passed": passed, "failed": failed}


def _suite(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    return suite


def _properties(suite: ET.Element) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in suite.iter("property")}


def test_a_passing_run_is_one_testcase_per_expectation(journals: dict[str, Path]) -> None:
    record = read_journal(journals["passed"])
    text = junit_xml(record)
    SCHEMA.validate(text)
    suite = _suite(text)
    cases = suite.findall("testcase")
    assert len(cases) == len(record.expectations) == 5
    assert suite.get("tests") == "5" and suite.get("failures") == "0" == suite.get("errors")
    assert [c.get("name") for c in cases] == [
        "invocations between 14 and 22",
        "errors == 0",
        "recursive_invocations_dropped >= 1",
        "max_counter_sent between 19 and 27",
        "total[queue=DeadLetterQueue, snapshot=stopped] == 1",
    ]
    assert {c.get("classname") for c in cases} == {"looplab.local.loop-detection"}
    assert not suite.findall(".//failure") and not suite.findall(".//error")
    # What the run observed is a property, never a testcase.
    props = _properties(suite)
    assert props["observed.invocations"] == "16" and props["observed.max_counter_sent"] == "21"
    assert props["observed.log_streams"] == "2" and props["status"] == "completed"
    assert props["run"] == record.run and props["overrides"] == "none"
    assert not any("observed" in (c.get("name") or "") for c in cases)


def test_a_failing_run_names_each_failed_expectation(journals: dict[str, Path]) -> None:
    record = read_journal(journals["failed"])
    assert record.status == "failed"
    text = junit_xml(record)
    SCHEMA.validate(text)
    suite = _suite(text)
    failed = [e for e in record.expectations if not e["passed"]]
    assert failed, "the override must fail an expectation, or this tests nothing"
    failures = suite.findall("testcase/failure")
    assert len(failures) == len(failed) == int(suite.get("failures", "-1"))
    assert int(suite.get("tests", "0")) == len(record.expectations)
    first = failed[0]
    assert failures[0].get("message") == f"expected {first['expected']}, got {first['actual']}"
    assert _properties(suite)["overrides"] == "--sim recursion_threshold=30"


def _edited(path: Path, tmp_path: Path, **changes: object) -> RunRecord:
    doc = json.loads(path.read_text())
    doc.update(changes)
    folder = tmp_path / "runs" / path.parent.name
    folder.mkdir(parents=True)
    (folder / "journal.json").write_text(json.dumps(doc))
    return read_journal(folder / "journal.json")


def test_a_run_that_stopped_before_its_expectations_is_an_error_not_green(
    journals: dict[str, Path], tmp_path: Path
) -> None:
    record = _edited(
        journals["passed"],
        tmp_path,
        status="aborted",
        expectations=[],
        reason="step 2 (seed): AccessDenied",
    )
    text = junit_xml(record)
    SCHEMA.validate(text)
    suite = _suite(text)
    assert suite.get("tests") == "1" and suite.get("errors") == "1"
    [error] = suite.findall("testcase/error")
    assert error.get("type") == "aborted" and "AccessDenied" in (error.get("message") or "")


def test_journal_text_cannot_break_the_xml(journals: dict[str, Path], tmp_path: Path) -> None:
    doc = json.loads(journals["passed"].read_text())
    hostile = 'x"<&>\x1b[31m\x00\x07 ]]>'
    exps = doc["expectations"]
    exps[0] = dict(exps[0], check=hostile, passed=False, actual=hostile, note=hostile)
    record = _edited(journals["passed"], tmp_path, expectations=exps, reason=hostile)
    text = junit_xml(record)
    SCHEMA.validate(text)  # parses: no control character XML forbids, all escaped
    suite = _suite(text)
    assert len(suite.findall("testcase/failure")) == 1
    assert "\x1b" not in text and "\x00" not in text


def test_write_junit_writes_the_document(journals: dict[str, Path], tmp_path: Path) -> None:
    record = read_journal(journals["passed"])
    out = tmp_path / "junit.xml"
    write_junit(record, out)
    assert out.read_text() == junit_xml(record)
    SCHEMA.validate(str(out))


def test_the_schema_refuses_what_ci_would(journals: dict[str, Path]) -> None:
    """The schema is not a rubber stamp: the mistakes a hand-written JUnit makes fail."""
    good = junit_xml(read_journal(journals["passed"]))
    for bad in (
        # the testsuite (not the optional root) without its count
        good.replace(
            ' tests="5" failures="0" errors="0" skipped', ' failures="0" errors="0" skipped'
        ),
        good.replace('name="errors == 0"', "", 1),  # a testcase without a name
        good.replace('failures="0"', 'failures="-1"', 1),
        good.replace("<properties>", "<properties><bogus/>", 1),
    ):
        assert bad != good
        assert not SCHEMA.is_valid(bad)


def test_the_step_summary(journals: dict[str, Path], tmp_path: Path) -> None:
    record = read_journal(journals["failed"])
    text = step_summary(record)
    lines = text.splitlines()
    assert lines[0] == "### ❌ loop-detection on local: failed"
    passed = sum(1 for e in record.expectations if e["passed"])
    assert f"{passed} of {len(record.expectations)} expectation(s) held" in text
    assert "Overrides: --sim recursion_threshold=30 (not comparable with the post)" in text
    rows = [x for x in lines if x.startswith("| ✅") or x.startswith("| ❌")]
    assert len(rows) == len(record.expectations)
    # Appended to the file GITHUB_STEP_SUMMARY names; nothing without it.
    target = tmp_path / "summary.md"
    target.write_text("earlier step\n")
    assert append_step_summary(record, {"GITHUB_STEP_SUMMARY": str(target)}) == target
    assert target.read_text() == "earlier step\n" + text
    assert append_step_summary(record, {}) is None


def test_the_step_summary_escapes_journal_text(journals: dict[str, Path], tmp_path: Path) -> None:
    doc = json.loads(journals["passed"].read_text())
    exps = doc["expectations"]
    exps[0] = dict(exps[0], check="a|b<img src=x>`c`\nd")
    text = step_summary(_edited(journals["passed"], tmp_path, expectations=exps))
    [row] = [x for x in text.splitlines() if "a\\|b" in x]
    assert "&lt;img" in row and "\\`c\\`" in row and row.count(" | ") == 3
