"""The scenario format: parameters, overrides, aliases, names checked against the stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _support.fakes import fake_stack

from looplab.scenarios import (
    Expect,
    Purge,
    ScenarioError,
    Seed,
    Wait,
    build_scenario,
    load_file,
    validate_file,
)

ROOT = Path(__file__).parent.parent

GOOD = """\
version: 1
aliases: {queue: Queue, dlq: DeadLetterQueue, fn: RecursiveLambdaFunction}
scenarios:
  demo:
    description: >-
      folded
      text
    parameters:
      counter: 5
      pause: {default: 1.5, description: seconds}
      label: {default: hello}
      loud: false
    stop_when:
      - {metric: invocations, at_least: 100}
    steps:
      - purge: {queues: [queue, DeadLetterQueue]}
      - seed: {queue: queue, body: {counter: "${counter}", tag: "x-${label}"}, count: 2}
      - seed: {queue: dlq, body: "raw ${counter}"}
      - wait: {seconds: "${pause}"}
      - wait: {until: [{metric: total, queue: queue, equals: 0}], timeout: 60, poll: 0.5}
      - snapshot: {name: s1}
      - snapshot:
      - expect:
          - {metric: in_flight, queue: dlq, snapshot: s1, between: [0, "${counter}"]}
          - {metric: invoked_events, source: queue, at_most: 3}
    finally:
      - purge: {queue: queue}
"""


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "scenarios.yaml"
    path.write_text(GOOD)
    return path


def test_a_good_file_builds_typed_steps(good: Path) -> None:
    sfile = validate_file(good, fake_stack())
    scenario = build_scenario(sfile, "demo", [], fake_stack())
    assert scenario.description == "folded text"
    assert scenario.parameters == {"counter": 5, "pause": 1.5, "label": "hello", "loud": False}
    purge, seed, raw, pause, until, *_rest, expect = scenario.steps
    assert purge == Purge(queues=("Queue", "DeadLetterQueue"), line=purge.line)
    assert isinstance(seed, Seed) and seed.count == 2 and seed.queue == "Queue"
    assert json.loads(seed.body) == {"counter": 5, "tag": "x-hello"}
    assert raw.body == "raw 5" and raw.queue == "DeadLetterQueue"
    assert isinstance(pause, Wait) and pause.seconds == 1.5
    assert isinstance(until, Wait) and until.timeout == 60 and until.poll == 0.5
    assert isinstance(expect, Expect)
    assert expect.checks[0].value == (0, 5) and expect.checks[0].snapshot == "s1"
    assert expect.checks[1].source == "Queue"
    assert scenario.finally_ == (Purge(queues=("Queue",), line=scenario.finally_[0].line),)
    assert seed.line == 17
    assert scenario.stop_when[0].subject() == "invocations"


def test_overrides_keep_the_defaults_type(good: Path) -> None:
    sfile = validate_file(good, fake_stack())
    scenario = build_scenario(sfile, "demo", ["counter=7", "pause=2", "label=a=b", "loud=true"])
    assert scenario.parameters == {"counter": 7, "pause": 2.0, "label": "a=b", "loud": True}
    assert json.loads(scenario.steps[1].body)["counter"] == 7


def test_bad_overrides_are_all_reported(good: Path) -> None:
    sfile = validate_file(good, fake_stack())
    with pytest.raises(ScenarioError) as caught:
        build_scenario(sfile, "demo", ["countr=7", "pause=soon", "novalue", "loud=3"])
    text = str(caught.value)
    assert "unknown parameter 'countr'; did you mean 'counter'?" in text
    assert "parameter 'pause' expects a number like 1.5, got 'soon'" in text
    assert "'novalue' is not key=value" in text
    assert "parameter 'loud' expects a boolean" in text
    assert len(caught.value.problems) == 4


def test_without_a_stack_only_aliases_are_known(good: Path) -> None:
    sfile = validate_file(good)  # every name used is an alias or an alias target
    assert sfile.names == ["demo"]


def test_aliases_must_name_logical_ids_of_the_stack(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(GOOD.replace("fn: RecursiveLambdaFunction", "fn: RecursiveFunction"))
    with pytest.raises(ScenarioError) as caught:
        validate_file(path, fake_stack())
    assert "unknown logical ID 'RecursiveFunction'" in str(caught.value)
    assert caught.value.problems[0].line == 2


def test_kind_matters_a_function_is_not_a_queue(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(GOOD.replace("purge: {queue: queue}", "purge: {queue: fn}"))
    with pytest.raises(ScenarioError, match="unknown queue 'fn'"):
        validate_file(path, fake_stack())


def test_connect_needs_a_mapping_in_the_stack(tmp_path: Path) -> None:
    stack = fake_stack()
    del stack.mappings["RecursiveEventSourceMappingSQSDeadLetterQueue"]
    path = tmp_path / "s.yaml"
    path.write_text(GOOD.replace("- snapshot:\n", "- connect: {function: fn, source: dlq}\n"))
    with pytest.raises(ScenarioError, match="no event source mapping from DeadLetterQueue"):
        validate_file(path, stack)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "must be a mapping"),
        ("- a\n- b\n", "must be a mapping"),
        ("version: 1\n", "the top level needs 'scenarios'"),
        ("version: 1\nscenarios: {x: {description: d, steps: []}}\n", "non-empty list of steps"),
        ("version: 1\nscenarios: {x: {description: d, steps: [purge]}}\n", "exactly one key"),
        ("version: 1\nscenarios: {'a b': {description: d, steps: []}}\n", "names the run's folder"),
        ("version: 1\nextra: 1\nscenarios: {x: 1}\n", "unknown key in the top level: 'extra'"),
    ],
)
def test_shapes(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        validate_file(path)
    assert fragment in str(caught.value)


def test_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    sfile, problems = load_file(tmp_path / "nope.yaml")
    assert sfile is None and "cannot read the scenario file" in problems[0].message


def test_the_shipped_file_validates_against_the_fake_stack() -> None:
    sfile = validate_file(ROOT / "scenarios.yaml", fake_stack())
    post = [n for n in sfile.names if sfile.shape(n) == "sqs"]
    assert post == ["loop-detection", "dlq-capture", "dlq-reconnect", "protection-off"]
    for name in sfile.names:
        scenario = build_scenario(sfile, name, [], fake_stack())
        assert isinstance(scenario.steps[0], Purge), f"{name} must start from a clean state"
        if name in post:  # a loop shape's scenario purges its own stack's queues
            assert scenario.steps[0].queues == ("Queue", "DeadLetterQueue")
        assert isinstance(scenario.finally_[-1], Purge), f"{name} must leave a clean state"
        assert any(isinstance(s, Expect) for s in scenario.steps)
        assert sfile.description(name)


SNAPSHOTS = """\
version: 1
aliases: {queue: Queue, dlq: DeadLetterQueue}
scenarios:
  order:
    description: a check before its snapshot, and one name twice
    steps:
      - expect: {metric: visible, queue: dlq, snapshot: late, equals: 0}
      - snapshot: {name: late}
      - snapshot: {name: twice}
      - snapshot: {queue: queue, name: twice}
      - wait: {until: {metric: total, queue: queue, snapshot: late, equals: 0}, timeout: 5}
    finally:
      - expect: {metric: visible, queue: dlq, snapshot: late, equals: 0}
"""


def test_snapshot_order_and_duplicates_are_reported_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SNAPSHOTS)
    with pytest.raises(ScenarioError) as caught:
        validate_file(path, fake_stack())
    found = [(p.line, p.message) for p in caught.value.problems]
    assert len(found) == 2, found
    (line, before), (dup_line, dup) = found
    assert line == 7 and "snapshot 'late' is taken only later (line 8)" in before
    assert dup_line == 10 and "snapshot name 'twice' is used twice (first on line 9)" in dup
    assert str(caught.value.problems[0]).startswith(f"{path}:7: ")


def test_an_unknown_parameter_is_reported_once(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        GOOD.replace("at_most: 3}", 'at_most: "${nope}"}')
        .replace('body: "raw ${counter}"', 'body: "${nope}"')
        .replace("purge: {queue: queue}", 'purge: {queue: "${nope}"}')
        .replace('between: [0, "${counter}"]', 'between: [0, "${nope}"]')
    )
    with pytest.raises(ScenarioError) as caught:
        validate_file(path, fake_stack())
    messages = [p.message for p in caught.value.problems]
    assert len(messages) == 4, messages
    assert all("unknown parameter 'nope'" in m for m in messages)


def test_an_integer_parameter_says_integer(good: Path) -> None:
    sfile = validate_file(good, fake_stack())
    with pytest.raises(ScenarioError) as caught:
        build_scenario(sfile, "demo", ["counter=5.5"])
    assert "parameter 'counter' expects an integer like 5, got '5.5'" in str(caught.value)
