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
from looplab.cli.console import MAX_SHOWN, ConsoleListener, clean, print_plan
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
    monkeypatch.setattr("looplab.cli.console.time.monotonic", lambda: now[0])
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
    monkeypatch.setattr("looplab.cli.console.time.monotonic", lambda: now[0])
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
    import looplab.stack

    monkeypatch.setattr(looplab.stack, "is_compiled", lambda *a, **k: False)
    monkeypatch.setattr(looplab.stack, "load_stack", lambda project, stage, params=None: "stack")
    assert cli.load_stack_for(tmp_path, "dev") == "stack"
    assert "compiling the stack" in capsys.readouterr().err
    monkeypatch.setattr(looplab.stack, "is_compiled", lambda *a, **k: True)
    cli.load_stack_for(tmp_path, "dev")
    assert "compiling" not in capsys.readouterr().err


# -- the `scenarios` listing: every cell comes from the file ------------------------------

# Terminal escapes written as YAML escapes: the file itself holds no control character (the
# loader refuses those), the parsed strings do. An OSC title, a clear screen, a colour, a
# C1 CSI, and markup that is not balanced.
LISTED = r"""version: 1
scenarios:
  plain:
    description: "x \e]0;pwned\a \e[2J \e[31mred \x9b31m [/bad] [bold]b"
    stack: "sqs \e[2J[/s]"
    parameters:
      a: "[/bad]"
      b: {default: "\e]0;pwned\a[/p]", description: "\e[2J [/d] [red]r"}
      "c\e[2J[/k]": 1
    steps:
      - purge: [Queue]
"""
# A name scenarios.yaml refuses is still listed (cleaned), and refused: exit 2.
BAD_NAME = r"""version: 1
scenarios:
  "n\e]0;pwned\a[/n]":
    description: d
    steps:
      - purge: [Queue]
"""


def test_a_refused_name_is_listed_clean_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = listing(tmp_path, BAD_NAME, False)
    err = capsys.readouterr().err
    assert code == 2 and "[/n]" in text and "scenario name" in err and "[/n]" in err
    assert "pwned" not in text  # the listing drops the escape; the problem shows its repr
    for shown in (text, err):
        assert "\x1b" not in shown and "\x07" not in shown


def listing(tmp_path: Path, text: str, terminal: bool) -> tuple[int, str]:
    (tmp_path / "scenarios.yaml").write_text(text)
    out = io.StringIO()
    code = cli.list_command(
        "scenarios.yaml",
        console=Console(file=out, width=300, force_terminal=terminal),
        project=tmp_path,
        long=True,  # the parameters too (the one-line listing shows a description's start)
    )
    return code, out.getvalue()


@pytest.mark.parametrize("terminal", [False, True])
def test_the_listing_shows_markup_from_the_file_as_text(tmp_path: Path, terminal: bool) -> None:
    code, text = listing(tmp_path, LISTED, terminal)
    assert code == 0
    for literal in ("[/bad]", "[bold]b", "[/p]", "[/d] [red]r", "[/k]", "[/s]"):
        assert literal in text, literal


@pytest.mark.parametrize("terminal", [False, True])
def test_the_listing_lets_no_escape_from_the_file_reach_the_terminal(
    tmp_path: Path, terminal: bool
) -> None:
    _, text = listing(tmp_path, LISTED, terminal)
    assert "pwned" not in text and "\x07" not in text and "\x9b" not in text
    assert "\x1b[2J" not in text and "\x1b]" not in text
    if not terminal:  # rich adds its own colours on a terminal; none may come from the file
        assert "\x1b" not in text


def test_the_listing_of_a_default_of_bad_markup_alone_is_not_a_crash(tmp_path: Path) -> None:
    text = "version: 1\nscenarios:\n  s:\n    parameters: {p: '[/bad]'}\n    steps: [purge: [Q]]\n"
    code, shown = listing(tmp_path, text, False)
    assert code == 0 and "p=[/bad]" in shown


def test_every_shape_s_compile_is_announced_with_its_stack(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Before, only serverless.yml said "compiling the stack": the shapes' own configs
    (stacks/<shape>.yml) compiled for 6-11 s in silence."""
    import looplab.stack
    from looplab.scenarios import SHAPES

    asked: list[str] = []

    def is_compiled(*args: object, **kwargs: object) -> bool:
        asked.append(str(args[4] if len(args) > 4 else kwargs.get("config")))
        return False

    config = SHAPES["sns"].config
    (tmp_path / config).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / config).write_text("service: x\n")
    monkeypatch.setattr(looplab.stack, "is_compiled", is_compiled)
    monkeypatch.setattr(looplab.stack, "load_stack", lambda *a, **k: "stack")
    assert cli.load_shape_stack(tmp_path, "dev", "sns") == "stack"
    err = " ".join(capsys.readouterr().err.split())
    assert f"compiling the stack of {config}" in err and asked == [config]
    cli.load_shape_stack(tmp_path, "dev", "sqs")
    assert "compiling the stack of serverless.yml" in " ".join(capsys.readouterr().err.split())
