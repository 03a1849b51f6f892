"""Which selectors each metric group takes and needs (METRIC_SELECTORS), by its messages.

One row of the table per group of metrics: each case here reads one group's row through the
validator and pins its error text to the letter, so the table cannot drift from what the
messages promised before it existed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _support.fakes import fake_stack

from looplab.scenarios import ScenarioError, build_scenario, validate_file

TEMPLATE = """\
version: 1
scenarios:
  s:
    description: one condition
    steps:
      - snapshot: {{name: before}}
      - expect: [{{metric: {metric}, {selectors}at_least: 1}}]
"""


def _file(tmp_path: Path, metric: str, selectors: str) -> Path:
    path = tmp_path / "scenarios.yaml"
    path.write_text(TEMPLATE.format(metric=metric, selectors=selectors))
    return path


@pytest.mark.parametrize(
    ("metric", "selectors", "messages"),
    [
        (
            "invocations",
            "queue: Queue, ",
            ["metric 'invocations' does not take 'queue' (it takes: function)"],
        ),
        (
            "async_events_dropped",
            "source: Queue, ",
            ["metric 'async_events_dropped' does not take 'source' (it takes: function)"],
        ),
        ("polled_events", "", ["metric 'polled_events' needs a 'source' (the queue of a mapping)"]),
        (
            "deleted_events",
            "function: RecursiveLambdaFunction, source: Queue, ",
            ["metric 'deleted_events' does not take 'function' (it takes: source)"],
        ),
        ("visible", "", ["metric 'visible' needs a 'queue'"]),
        (
            "total",
            "snapshot: before, topic: LoopTopic, ",
            [
                "metric 'total' does not take 'topic' (it takes: queue, snapshot)",
                "metric 'total' needs a 'queue'",
            ],
        ),
        (
            "drained",
            "queue: Queue, snapshot: before, ",
            ["metric 'drained' does not take 'snapshot' (it takes: queue)"],
        ),
        (
            "log_streams",
            "function: RecursiveLambdaFunction, ",
            ["metric 'log_streams' does not take 'function' (it takes: no selector)"],
        ),
        ("failed", "", ["metric 'failed' needs a 'topic'"]),
        (
            "published",
            "topic: LoopTopic, queue: Queue, ",
            ["metric 'published' does not take 'queue' (it takes: topic)"],
        ),
    ],
)
def test_each_group_says_what_it_takes_and_what_it_needs(
    tmp_path: Path, metric: str, selectors: str, messages: list[str]
) -> None:
    with pytest.raises(ScenarioError) as caught:
        validate_file(_file(tmp_path, metric, selectors), fake_stack())
    problems = caught.value.problems
    assert [p.line for p in problems] == [7] * len(messages)
    assert [p.message.split("(expect): ", 1)[1] for p in problems] == messages


@pytest.mark.parametrize(
    ("metric", "selectors", "selected"),
    [
        (
            "invocations",
            "function: RecursiveLambdaFunction, ",
            {"function": "RecursiveLambdaFunction"},
        ),
        ("invoked_events", "source: Queue, ", {"source": "Queue"}),
        ("visible", "queue: Queue, snapshot: before, ", {"queue": "Queue", "snapshot": "before"}),
        ("drained_counter", "queue: DeadLetterQueue, ", {"queue": "DeadLetterQueue"}),
        ("max_counter_sent", "", {}),
        ("dead_letter_errors", "", {}),
        ("delivered", "topic: LoopTopic, ", {"topic": "LoopTopic"}),
    ],
)
def test_each_group_builds_with_what_it_takes(
    tmp_path: Path, metric: str, selectors: str, selected: dict[str, str]
) -> None:
    stack = fake_stack()
    sfile = validate_file(_file(tmp_path, metric, selectors), stack)
    (check,) = build_scenario(sfile, "s", None, stack).steps[1].checks  # type: ignore[attr-defined]
    keys = ("queue", "function", "source", "snapshot", "topic")
    assert {k: getattr(check, k) for k in keys if getattr(check, k) is not None} == selected
