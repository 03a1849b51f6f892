"""Behaviour kept across refactors: every shipped scenario, run on the simulator with seed 0,
writes the same journal and the same event log as its recording in tests/data/golden/
(recorded by ``python tests/golden/record.py``; only the fields tests/_support/golden.py
lists as volatile are normalised: wall-clock times, wall seconds, pid, host, versions and
this machine's paths). The simulator's clock is virtual, so the nine runs take seconds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _support.golden import (
    GOLDEN_DIR,
    differences,
    explain,
    golden_path,
    normalise,
    run_golden,
    scenario_names,
)

SHIPPED = scenario_names()


def test_every_shipped_scenario_has_a_recording_and_no_other() -> None:
    recorded = {p.stem for p in GOLDEN_DIR.glob("*.json")}
    assert set(SHIPPED) - recorded == set(), "record it: python tests/golden/record.py NAME"
    assert recorded - set(SHIPPED) == set(), "a recording of a scenario no longer shipped"


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_scenario_writes_its_recorded_journal_and_event_log(
    name: str, tmp_path: Path
) -> None:
    recorded = json.loads(golden_path(name).read_text())
    current = run_golden(name, tmp_path)
    assert current["event_log"], "the simulator wrote no event log: nothing was compared"
    problem = explain(name, recorded, current)
    if problem:
        pytest.fail(problem, pytrace=False)


def _recording() -> dict[str, Any]:
    return {
        "exit_code": 0,
        "event_log": ["0.000000\tsend\tQueue a", "0.024\treceive\tQueue a", "0.5\tend\tF ok"],
        "journal": {"steps": [{"clock_end": 32.0, "output": {"held": True}}], "status": "ok"},
    }


def test_the_comparison_names_the_first_differing_path_and_counts_the_rest() -> None:
    recorded, current = _recording(), _recording()
    current["event_log"][1] = "0.025\treceive\tQueue a"  # one event, a millisecond later
    current["journal"]["steps"][0]["clock_end"] = 33.0
    del current["event_log"][2]
    found = [path for path, _, _ in differences(recorded, current)]
    assert found == ["/event_log/1", "/event_log/2", "/journal/steps/0/clock_end"]
    text = explain("loop-detection", recorded, current)
    assert "at 3 path(s); the first:\n  /event_log/1\n" in text
    assert "recorded: '0.024\\treceive\\tQueue a'\n    now:      '0.025\\treceive" in text
    assert "/event_log/2: '0.5\\tend\\tF ok' -> <missing>" in text
    assert "/journal/steps/0/clock_end: 32.0 -> 33.0" in text
    assert explain("loop-detection", recorded, _recording()) == ""


def test_an_int_is_not_a_float_nor_a_bool_in_the_comparison() -> None:
    assert [p for p, _, _ in differences({"n": 1}, {"n": 1.0})] == ["/n"]
    assert [p for p, _, _ in differences({"n": 1}, {"n": True})] == ["/n"]


def test_normalise_replaces_only_the_listed_volatile_values_and_keeps_their_keys() -> None:
    from _support.golden import ROOT

    journal = {
        "started_at": "2026-12-08T01:13:10.999Z",
        "pid": 8003,
        "clock": {"start": 1689897600.0, "elapsed": 60.0, "wall_seconds": 1.12},
        "scenario_file": f"{ROOT}/scenarios.yaml",
        "definition": {
            "git_commit": "af5d981",
            "stack": {
                "functions": {
                    "F": {
                        "code_dir": f"{ROOT}/.looplab/compiled/e909164ec113c826/code",
                        "timeout": 6,
                    }
                }
            },
        },
        "steps": [{"started_at": "2026-12-08T01:13:11Z", "clock_start": 0.0, "line": 81}],
        "timeline": {"invocations": {"rows": [[0.024, "F", "Queue"]]}},
    }
    out = normalise(journal)
    assert out == {
        "started_at": "<wall clock>",
        "pid": "<pid>",
        "clock": {"start": 1689897600.0, "elapsed": 60.0, "wall_seconds": "<wall seconds>"},
        "scenario_file": "<project>/scenarios.yaml",
        "definition": {
            "git_commit": "<commit>",
            "stack": {"functions": {"F": {"code_dir": "<compiled>/code", "timeout": 6}}},
        },
        "steps": [{"started_at": "<wall clock>", "clock_start": 0.0, "line": 81}],
        "timeline": {"invocations": {"rows": [[0.024, "F", "Queue"]]}},
    }
    assert journal["pid"] == 8003  # the journal itself is left as it was
