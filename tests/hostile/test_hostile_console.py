"""The console with hostile user text, huge values and piped output.

Before the fix a description could clear the screen or set the window title, a '[/bad]'
parameter crashed --dry, a 300 KB seed body hung the highlighter, piped tables broke a check
mid-word at 80 columns, and long waits printed nothing at all when piped.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from looplab import cli
from looplab.cli_console import MAX_SHOWN, ConsoleListener, clean, print_plan
from looplab.scenarios import Condition, Expect, Scenario, Seed, Wait

HOSTILE = "ok\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x1b[0m [bold]x[/bold] [/bad] \x9b31m\x08\x07"


def plan_text(scenario: Scenario, terminal: bool = False) -> str:
    out = io.StringIO()
    print_plan(Console(file=out, width=80, force_terminal=terminal), scenario, "local")
    return out.getvalue()


def scenario(**overrides: Any) -> Scenario:
    values: dict[str, Any] = {
        "name": "s",
        "description": HOSTILE,
        "parameters": {"p": "[/bad]", "q": HOSTILE},
        "steps": (Seed(queue="Queue", body=HOSTILE),),
    }
    values.update(overrides)
    return Scenario(**values)


def test_clean_strips_escapes_and_escapes_markup() -> None:
    text = clean(HOSTILE)
    assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text
    assert "\x08" not in text and "pwned" not in text
    assert "\\[/bad]" in text and "\\[bold]" in text


def test_a_hostile_description_and_parameters_do_not_reach_the_terminal() -> None:
    text = plan_text(scenario(), terminal=False)
    assert "\x1b" not in text and "pwned" not in text and "\x07" not in text
    assert "[/bad]" in text and "[bold]x[/bold]" in text  # shown literally, not as markup


def test_markup_in_a_parameter_does_not_crash_dry() -> None:
    assert "'p': '[/bad]'" in plan_text(scenario(description="d"))


def test_a_huge_body_is_shortened_for_display() -> None:
    body = '{"counter": 5, "pad": "' + "x" * 300_000 + '"}'
    text = plan_text(scenario(description="d", parameters={}, steps=(Seed(queue="Q", body=body),)))
    assert len(text) < MAX_SHOWN + 200 and "…" in text and "300,0" in text


def test_a_huge_body_in_a_live_step_line_is_shortened() -> None:
    out = io.StringIO()
    listener = ConsoleListener(Console(file=out, width=80, force_terminal=False))
    body = "y" * 300_000
    listener.step_started("steps", 0, 1, Seed(queue="Q", body=body))
    listener.step_finished(
        "steps", {"status": "ok", "index": 0, "summary": f"seed Q {body}", "kind": "seed"}
    )
    assert max(len(line) for line in out.getvalue().splitlines()) < MAX_SHOWN + 80


def _expectation_doc(check: str) -> dict[str, Any]:
    return {
        "expectations": [
            {"check": check, "expected": ">= 1", "actual": 1, "passed": True, "note": "n"}
        ],
        "warnings": [],
        "status": "completed",
        "clock": {"elapsed": 1.0, "wall_seconds": 0.1},
        "backend": "local",
        "cleanup": "ok",
    }


def test_piped_expectations_never_break_a_check_mid_word() -> None:
    out = io.StringIO()
    listener = ConsoleListener(Console(file=out, width=80, force_terminal=False))
    check = "total[queue=DeadLetterQueue, snapshot=stopped]"
    listener.run_finished(_expectation_doc("recursive_invocations_dropped[source=DeadLetterQueue]"))
    listener.run_finished(_expectation_doc(check))
    text = out.getvalue()
    assert "recursive_invocations_dropped[source=DeadLetterQueue]" in text
    assert check in text


def test_piped_long_waits_print_a_progress_line_at_an_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    monkeypatch.setattr("looplab.cli_console.time.monotonic", lambda: now[0])
    out = io.StringIO()
    listener = ConsoleListener(Console(file=out, width=80, force_terminal=False))
    listener.step_started("steps", 0, 1, Wait(seconds=600))
    for done in range(0, 601, 5):  # a real-time wait: 5 s per report
        now[0] += 5
        listener.step_progress(done, 600)
    lines = [line for line in out.getvalue().splitlines() if "waiting" in line]
    expected = 600 // ConsoleListener.progress_every
    assert expected - 1 <= len(lines) <= expected + 1, lines
    assert "/600 s" in lines[-1]


def test_a_terminal_gets_no_progress_lines_it_has_the_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr("looplab.cli_console.time.monotonic", lambda: now[0])
    out = io.StringIO()
    listener = ConsoleListener(Console(file=out, width=80, force_terminal=True))
    listener.step_started("steps", 0, 1, Wait(seconds=600))
    for done in range(0, 601, 5):
        now[0] += 5
        listener.step_progress(done, 600)
    assert "waiting" not in out.getvalue()


def test_an_expect_with_hostile_notes_is_clean() -> None:
    cond = Condition(metric="errors", op="equals", value=0, note=HOSTILE)
    text = plan_text(scenario(description="d", parameters={}, steps=(Expect(checks=(cond,)),)))
    assert "\x1b" not in text


def test_the_first_compile_is_announced(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import looplab._package
    import looplab.stack

    monkeypatch.setattr(looplab._package, "is_compiled", lambda *a, **k: False)
    monkeypatch.setattr(looplab.stack, "load_stack", lambda project, stage: "stack")
    assert cli.load_stack_for(tmp_path, "dev") == "stack"
    assert "compiling the stack" in capsys.readouterr().err
    monkeypatch.setattr(looplab._package, "is_compiled", lambda *a, **k: True)
    cli.load_stack_for(tmp_path, "dev")
    assert "compiling" not in capsys.readouterr().err
