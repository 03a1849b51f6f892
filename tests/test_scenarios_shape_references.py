"""A scenario's references to its loop shape: `stack:`, the publish / put-object / invoke steps
and the async and topic metrics, checked with file and line and the valid choices; the run
compiles the shape's own osls config (stacks/<shape>.yml), and a missing one is bad input.
The shipped shape scenarios themselves, end to end: test_shape_scenarios_end_to_end.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from _support.fakes import fake_kind, fake_stack

from looplab.scenarios import (
    SHAPES,
    Invoke,
    Publish,
    PutObject,
    ScenarioError,
    build_scenario,
    load_file,
    validate_file,
)

ROOT = Path(__file__).parent.parent

GOOD = """\
version: 1
aliases: {topic: LoopTopic, relay: RelayLambdaFunction}
scenarios:
  on-sns:
    description: a chain started by a publish
    stack: sns
    steps:
      - publish: {topic: topic, body: {counter: 0}, attributes: {origin: test}}
      - wait: {seconds: 60}
      - expect:
          - {metric: published, topic: topic, at_least: 1}
          - {metric: async_events_received, function: relay, at_least: 1}
          - {metric: dead_letter_errors, equals: 0}
  on-s3:
    description: a chain started by an object
    stack: s3
    steps:
      - put-object: {bucket: LoopBucket, key: loop/0.json, body: {counter: 0}}
  on-lambda:
    description: a chain started by an invoke
    stack: lambda
    steps:
      - invoke: {function: relay, payload: {counter: 0}}
      - invoke: {function: RelayLambdaFunction, payload: '{"counter": 1}', type: RequestResponse}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenarios.yaml"
    path.write_text(text)
    return path


def _problems(path: Path, stack: object = None) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        validate_file(path, stack)
    return [f"{p.line}: {p.message}" for p in info.value.problems]


def test_shapes_validate_against_the_contract_names_and_build_typed_steps(tmp_path: Path) -> None:
    sfile = validate_file(_write(tmp_path, GOOD))
    sns = build_scenario(sfile, "on-sns")
    assert sns.stack == "sns" and sfile.shape("on-sns") == "sns"
    publish = sns.steps[0]
    assert publish == Publish(
        topic="LoopTopic", body='{"counter": 0}', attributes=(("origin", "test"),), line=8
    )
    assert publish.args()["attributes"] == {"origin": "test"}
    [received] = [c for c in sns.steps[2].checks if c.metric == "async_events_received"]
    assert received.function == "RelayLambdaFunction"
    assert sns.steps[2].checks[0].subject() == "published[topic=LoopTopic]"
    [put] = build_scenario(sfile, "on-s3").steps
    assert put == PutObject(bucket="LoopBucket", key="loop/0.json", body='{"counter": 0}', line=18)
    event, sync = build_scenario(sfile, "on-lambda").steps
    assert isinstance(event, Invoke) and event.type == "Event"
    assert sync.type == "RequestResponse" and sync.payload == '{"counter": 1}'


def test_a_scenario_without_stack_runs_on_the_posts_stack(tmp_path: Path) -> None:
    text = """\
version: 1
scenarios:
  post:
    description: d
    steps: [{seed: {queue: Queue, body: x}}]
"""
    stack = fake_stack()
    scenario = build_scenario(validate_file(_write(tmp_path, text), stack), "post", [], stack)
    assert scenario.stack == "sqs"
    assert SHAPES["sqs"].config == "serverless.yml"


def test_unknown_stack_names_the_line_and_the_shapes(tmp_path: Path) -> None:
    text = GOOD.replace("stack: s3", "stack: s4")
    [problem] = _problems(_write(tmp_path, text))
    assert problem.startswith("16: ") and "'s4'" in problem
    for shape in ("sqs", "sns", "sns-sqs", "s3", "lambda", "chain"):
        assert shape in problem


@pytest.mark.parametrize("value", ["[sns]", "{sns: 1}", "5"])
def test_a_stack_that_is_not_a_name_is_a_problem_not_a_crash(tmp_path: Path, value: str) -> None:
    """Review finding: a list or a mapping raised TypeError (unhashable) out of validation."""
    text = GOOD.replace("stack: s3", f"stack: {value}")
    [problem] = _problems(_write(tmp_path, text))
    assert problem.startswith("16: ") and "stack (loop shape)" in problem
    assert "sns-sqs" in problem  # the valid choices


@pytest.mark.parametrize(
    ("old", "new", "anchor", "words"),
    [
        ("topic: topic, body", "topic: LoopTopc, body", "LoopTopc", ["unknown topic", "LoopTopic"]),
        (
            "bucket: LoopBucket",
            "bucket: Bucket",
            "bucket: Bucket",
            ["unknown bucket", "LoopBucket"],
        ),
        (
            "type: RequestResponse",
            "type: Sync",
            "type: Sync",
            ["invocation type", "RequestResponse"],
        ),
        ("{function: relay, payload", "{function: relai, payload", "relai", ["unknown function"]),
        ("key: loop/0.json, ", "", "put-object", ["put-object needs 'key'"]),
        (
            "attributes: {origin: test}",
            "attributes: [a]",
            "attributes: [a]",
            ["'attributes' must be a mapping"],
        ),
        ("payload: '{\"counter\": 1}'", "payload: 'not json'", "not json", ["must be JSON"]),
        (
            "{metric: published, topic: topic,",
            "{metric: published,",
            "metric: published",
            ["needs a 'topic'"],
        ),
        (
            "dead_letter_errors, equals",
            "dead_letter_errors, topic: topic, equals",
            "dead_letter",
            ["does not take 'topic'"],
        ),
    ],
)
def test_step_and_metric_errors_say_what_and_where(
    tmp_path: Path, old: str, new: str, anchor: str, words: list[str]
) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    line = 1 + next(i for i, t in enumerate(text.splitlines()) if anchor in t)
    problems = _problems(_write(tmp_path, text))
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{line}: "), problems
    for word in words:
        assert word in problems[0]


def test_a_compiled_stack_given_for_a_shape_replaces_its_contract_names(tmp_path: Path) -> None:
    # The fake stack has LoopTopic but no RelayLambdaFunction: given as sns's stack, the
    # compiled names win, so the alias to the relay is reported against it.
    problems = _problems(_write(tmp_path, GOOD), {"sns": fake_stack()})
    assert any("unknown function 'relay'" in p and "RecursiveLambdaFunction" in p for p in problems)


def test_listing_needs_no_stack_and_reads_the_shape(tmp_path: Path) -> None:
    sfile, problems = load_file(_write(tmp_path, GOOD))
    assert problems == [] and sfile is not None
    assert [sfile.shape(n) for n in sfile.names] == ["sns", "s3", "lambda"]


def _project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, object]]:
    from looplab import cli
    from looplab import stack as stack_module
    from looplab.cli import commands

    (tmp_path / "scenarios.yaml").write_text(GOOD)
    built: list[tuple[str, object]] = []
    monkeypatch.setattr(
        commands, "load_stack_for", lambda project, stage, params=None: fake_stack()
    )

    def factory(stack: object, seed: int, **_: object) -> object:
        from _support.fakes import FakeBackend

        built.append(("backend", stack))
        return FakeBackend()

    monkeypatch.setitem(cli.BACKENDS, "fake", fake_kind(factory))

    def load_stack(project, stage, region, params, config="serverless.yml"):
        built.append(("config", config))
        return fake_stack()

    monkeypatch.setattr(stack_module, "load_stack", load_stack)
    return built


def test_invoke_scenario_compiles_the_shapes_own_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from looplab import cli

    built = _project(tmp_path, monkeypatch)
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "s3.yml").write_text("service: s3\n")
    code = cli.scenario_command(
        "on-s3", backend="fake", project=tmp_path, results=tmp_path / "results"
    )
    assert code == 0
    assert ("config", "stacks/s3.yml") in built
    [journal] = (tmp_path / "results" / "runs").glob("*/journal.json")
    assert '"stack": "s3"' in journal.read_text()


def test_a_shape_whose_config_is_missing_is_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from looplab import cli

    built = _project(tmp_path, monkeypatch)
    code = cli.scenario_command("on-sns", backend="fake", project=tmp_path)
    assert code == 2
    err = capsys.readouterr().err
    assert "stack 'sns'" in err and "stacks/sns.yml is missing" in err
    assert built == []  # nothing compiled, no backend built
