"""What ``invoke scenario`` leaves for CI (issue 22): ``--junit-xml PATH`` and the job
summary appended to ``GITHUB_STEP_SUMMARY``; and ``--set`` recorded as an override.

Before: scenario had no --junit-xml, wrote no job summary, and a run with ``--set
counter=7`` was journalled as a run of the defaults, so the report compared it with the post.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from _support.fakes import FakeBackend, fake_kind, fake_stack
from rich.console import Console

from looplab import cli
from looplab.backends.base import BackendError
from looplab.cli import commands
from looplab.journal import read_journal
from looplab.results._summary import summarise

TESTS = Path(__file__).parent
ROOT = TESTS.parent
DATA = TESTS / "data" / "scenarios"


@pytest.fixture
def failing() -> dict[str, Exception]:
    """The backend calls the fake fails (FakeBackend.fail), for an aborted run."""
    return {}


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch, failing: dict[str, Exception]) -> list[FakeBackend]:
    backends: list[FakeBackend] = []
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)

    def factory(stack: object, seed: int, **_: object) -> FakeBackend:
        backends.append(FakeBackend(fail=dict(failing)))
        return backends[-1]

    monkeypatch.setattr(
        commands, "load_stack_for", lambda project, stage, params=None: fake_stack()
    )
    monkeypatch.setitem(cli.BACKENDS, "fake", fake_kind(factory))
    return backends


def _quiet() -> Console:
    return Console(record=True, width=200, force_terminal=False)


def _journal(results: Path) -> Path:
    [journal] = (results / "runs").glob("*/journal.json")
    return journal


def _suite(path: Path) -> ET.Element:
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    return suite


def test_junit_xml_has_one_testcase_per_expectation_and_its_failures(
    built: list[FakeBackend], tmp_path: Path
) -> None:
    junit = tmp_path / "ci" / "out" / "junit.xml"  # its folder is made
    code = cli.scenario_command(
        "too-hopeful",
        backend="fake",
        file=DATA / "failing.yaml",
        results=tmp_path / "results",
        junit_xml=junit,
        console=_quiet(),
    )
    assert code == 1  # the run's own outcome: writing the file does not change it
    expectations = json.loads(_journal(tmp_path / "results").read_text())["expectations"]
    failed = [e for e in expectations if not e["passed"]]
    suite = _suite(junit)
    cases = suite.findall("testcase")
    assert len(cases) == len(expectations) == int(suite.get("tests", "-1"))
    assert len(suite.findall("testcase/failure")) == len(failed) == int(suite.get("failures", "-1"))
    assert failed, "the failing file's run has a failed expectation to count"
    names = {p.get("name") for p in suite.findall("properties/property")}
    assert "observed.invocations" in names  # an observation is a property, not a testcase


def test_an_aborted_run_still_writes_its_junit_file(
    built: list[FakeBackend], failing: dict[str, Exception], tmp_path: Path
) -> None:
    failing["seed"] = BackendError("SQS said no")
    junit = tmp_path / "junit.xml"
    code = cli.scenario_command(
        "loop-detection",
        backend="fake",
        project=ROOT,
        results=tmp_path / "results",
        junit_xml=junit,
        console=_quiet(),
    )
    assert code == 1
    suite = _suite(junit)
    assert int(suite.get("errors", "0")) == 1
    [run] = [c for c in suite.findall("testcase") if c.get("name") == "run"]
    assert "aborted" in (run.find("error").get("message") or "")  # type: ignore[union-attr]


def test_github_step_summary_gets_the_run_appended(
    built: list[FakeBackend], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("## an earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code = cli.scenario_command(
        "dlq-capture", backend="fake", project=ROOT, results=tmp_path / "r", console=_quiet()
    )
    assert code == 0
    text = summary.read_text()
    assert text.startswith("## an earlier step\n"), "appended, never replaced"
    assert "dlq-capture on fake: completed" in text
    assert "| --- |" in text  # the expectations' Markdown table


def test_a_step_summary_that_cannot_be_written_is_exit_2_and_the_journal_stays(
    built: list[FakeBackend],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path))  # a folder: open() fails
    code = cli.scenario_command(
        "dlq-capture", backend="fake", project=ROOT, results=tmp_path / "r", console=_quiet()
    )
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2
    assert "cannot write to" in err and str(tmp_path) in err and "Traceback" not in err
    assert _journal(tmp_path / "r").is_file()


def test_a_junit_file_that_cannot_be_written_is_exit_2_and_the_journal_stays(
    built: list[FakeBackend],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import looplab.results

    def full_disk(record: object, path: Path) -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(looplab.results, "write_junit", full_disk)
    junit = tmp_path / "junit.xml"
    code = cli.scenario_command(
        "dlq-capture",
        backend="fake",
        project=ROOT,
        results=tmp_path / "r",
        junit_xml=junit,
        console=_quiet(),
    )
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2
    assert f"cannot write to '{junit}'" in err or f"cannot write to {junit}" in err, err
    assert "No space left on device" in err and "journal" in err
    assert _journal(tmp_path / "r").is_file()


def test_a_set_run_is_recorded_as_an_override(built: list[FakeBackend], tmp_path: Path) -> None:
    code = cli.scenario_command(
        "dlq-capture",
        backend="fake",
        project=ROOT,
        results=tmp_path,
        sets=["counter=7"],
        console=_quiet(),
    )
    assert code in (0, 1)
    journal = _journal(tmp_path)
    record = read_journal(journal)
    assert record.definition["overrides"]["sets"] == {"counter": "7"}
    # The results' rule: a run with overrides enters no comparison and is no picture.
    assert summarise(record, str(journal)).overrides == "--set counter=7"


def test_a_run_without_set_records_no_set_override(
    built: list[FakeBackend], tmp_path: Path
) -> None:
    cli.scenario_command("dlq-capture", backend="fake", project=ROOT, results=tmp_path)
    record = read_journal(_journal(tmp_path))
    assert "sets" not in record.definition["overrides"]
    assert summarise(record, "j").overrides == ""


def test_a_junit_folder_this_process_cannot_write_in_is_exit_2_before_the_run(
    built: list[FakeBackend],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """os.access is asked, not chmod: the tests may run as root, whom no mode stops."""
    import looplab.cli.ci

    locked = tmp_path / "locked"
    locked.mkdir()
    real = looplab.cli.ci.os.access
    monkeypatch.setattr(
        looplab.cli.ci.os, "access", lambda p, mode: Path(p) != locked and real(p, mode)
    )
    code = cli.scenario_command(
        "dlq-capture",
        backend="fake",
        project=ROOT,
        results=tmp_path / "r",
        junit_xml=locked / "junit.xml",
    )
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and f"cannot write in {locked}" in err
    assert not built and not (tmp_path / "r").exists(), "nothing ran"


@pytest.mark.parametrize(("surface", "formats"), [("invoke", "csv"), ("python -m", "md,json")])
def test_collect_results_format_writes_only_what_is_asked(
    built: list[FakeBackend],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    surface: str,
    formats: str,
) -> None:
    results = tmp_path / "results"
    assert (
        cli.scenario_command(
            "dlq-capture", backend="fake", project=ROOT, results=results, console=_quiet()
        )
        == 0
    )
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("INVOKE_LOOPLAB_RESULTS", str(results))
    args = ["collect-results", "--format", formats, "--out", str(tmp_path / "out")]
    if surface == "invoke":
        import invoke

        code = 0
        try:
            invoke.Program(namespace=cli.namespace).run(["invoke", *args])
        except SystemExit as exc:
            code = exc.code  # type: ignore[assignment]
    else:
        code = cli.main(args)
    assert code in (0, None)
    from looplab.results._collect import FORMATS as files

    written = {p.name for p in (tmp_path / "out").iterdir() if p.is_file()}
    wanted = {files[f] for f in formats.split(",")}
    assert wanted <= written
    assert not ({*files.values()} - wanted) & written, written
