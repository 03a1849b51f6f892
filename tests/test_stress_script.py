"""tests/stress/run.sh still works: each part on a tiny selection, no hog (a script that rots
is found here, not when the suite next needs proving under load)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "stress" / "run.sh"
QUICK = (
    "tests/test_suite_hygiene.py::"
    "test_wait_for_returns_the_first_true_value_and_names_what_never_came"
)


def stress(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "--hogs", "0", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,  # bounds a hang only: each run below is a few pytest starts (~1 s each)
    )


def table(stdout: str) -> list[list[str]]:
    """The summary's rows, each split on runs of two or more spaces."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("run "))
    return [[c for c in line.split("  ") if c.strip()] for line in lines[start + 1 :]]


def test_each_part_runs_and_the_table_says_what_passed(tmp_path: Path) -> None:
    proc = stress(
        *("--suite-runs", "1", "--repeat", "2", "--seeds", "5", "--named", QUICK),
        *("--logs", str(tmp_path), "--", QUICK),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = [[cell.strip() for cell in row] for row in table(proc.stdout)[:3]]
    assert rows[0][:4] == ["suite, file order, run 1 of 1", "1", "0", "-"]
    assert rows[1][:3] == [f"{QUICK.split('::')[1]} x2 (runs)", "2", "0"]
    assert rows[2][:4] == ["suite, shuffled", "1", "0", "5"]
    assert (tmp_path / "suite-1.log").is_file() and (tmp_path / "shuffle-5.log").is_file()
    assert "all passed" in proc.stdout


def test_a_failing_test_is_counted_and_the_exit_is_1(tmp_path: Path) -> None:
    failing = tmp_path / "test_fails.py"
    failing.write_text("def test_one():\n    pass\n\ndef test_two():\n    assert False\n")
    proc = stress(
        *("--suite-runs", "1", "--repeat", "0", "--shuffle-runs", "0"),
        *("--logs", str(tmp_path / "logs"), "--", str(failing)),
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    [row] = table(proc.stdout)
    assert [cell.strip() for cell in row[1:3]] == ["1", "1"]
    assert "FAILED" in proc.stderr


def test_a_bad_option_is_exit_2_with_what_was_wrong() -> None:
    proc = stress("--repeat", "many")
    assert proc.returncode == 2
    assert "'many' is not a count" in proc.stderr
