"""The console in words a newcomer reads (issue 22, item 4).

Before: a wait printed ``held: True``, a drain of the other shapes' messages (no counter in
them) ``counters [None]``, and two shipped notes began ``inferred:`` without saying from what.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _support.fakes import FakeBackend, fake_kind, fake_stack
from rich.console import Console

from looplab import cli
from looplab.cli import commands
from looplab.scenarios.kinds import drain, wait

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        commands, "load_stack_for", lambda project, stage, params=None: fake_stack()
    )
    monkeypatch.setitem(cli.BACKENDS, "fake", fake_kind(lambda stack, seed, **_: FakeBackend()))


def _run(name: str, tmp_path: Path) -> str:
    out = Console(record=True, width=200, force_terminal=False)
    cli.scenario_command(name, backend="fake", project=ROOT, results=tmp_path, console=out)
    return out.export_text()


def test_a_wait_says_what_it_waited_for_not_held_true(fake: None, tmp_path: Path) -> None:
    text = _run("loop-detection", tmp_path)
    assert "held:" not in text and "True" not in text
    assert re.search(
        r"after \d+ s: 1 invocation stopped as recursive; Queue holds 0 messages", text
    )


def test_a_wait_that_timed_out_says_where_each_condition_stood() -> None:
    said = wait.detail(
        {
            "held": False,
            "waited": 900.0,
            "conditions": [
                {
                    "check": "total[queue=DeadLetterQueue]",
                    "expected": ">= 1",
                    "actual": 0,
                    "passed": False,
                },
                {
                    "check": "invoked_events[source=X]",
                    "expected": ">= 1",
                    "actual": 3,
                    "passed": True,
                },
            ],
        },
        str,
    )
    assert said.startswith("gave up after 900 s (the timeout)")
    assert "DeadLetterQueue holds 0 messages (waiting for >= 1)" in said
    assert "invoked_events[source=X] is 3" in said and "False" not in said


@pytest.mark.parametrize(
    ("messages", "said"),
    [
        ([{"counter": None}], "drained 1 message: no counter in these messages"),
        ([{"counter": 21}], "drained 1 message: counters [21]"),
        (
            [{"counter": 3}, {"body": "s3"}],
            "drained 2 messages: counters [3] (1 without a counter)",
        ),
        ([], "drained 0 messages"),
    ],
)
def test_a_drain_says_no_counter_rather_than_none(messages: list[dict], said: str) -> None:
    text = drain.detail({"messages": messages}, str)
    assert text == said and "None" not in text


def test_no_shipped_note_is_a_bare_inferred_prefix(fake: None, tmp_path: Path) -> None:
    """A note says what was inferred and from what; shown in the run's expectations table."""
    text = (ROOT / "scenarios.yaml").read_text()
    assert not re.search(r"note:\s*\"?inferred:", text)
    shown = _run("dlq-reconnect", tmp_path)
    assert "inferred:" not in shown and "11 is our inference from the post" in shown
