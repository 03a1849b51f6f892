"""The engine drives the loop shapes' steps (publish, put-object, invoke) on the toy backend,
reads the async and topic metrics in checks, and the journal records them."""

from __future__ import annotations

from pathlib import Path

from _support.fakes import BUCKET, FUNCTION, TOPIC, FakeBackend, fake_stack

from looplab.backends.base import BackendError
from looplab.engine import run_scenario
from looplab.journal import read_journal
from looplab.scenarios import build_scenario, validate_file

TEXT = """\
version: 1
scenarios:
  shapes:
    description: every new step, then the toy's outcome
    stack: sns
    steps:
      - publish: {topic: LoopTopic, body: {counter: 0}, attributes: {origin: test}}
      - put-object: {bucket: LoopBucket, key: loop/0.json, body: {counter: 100}}
      - invoke: {function: RecursiveLambdaFunction, payload: {counter: 200}}
      - invoke: {function: RecursiveLambdaFunction, payload: {counter: 7}, type: RequestResponse}
      - expect:
          - {metric: published, topic: LoopTopic, equals: 17}
          - {metric: delivered, topic: LoopTopic, equals: 17}
          - {metric: async_events_received, function: RecursiveLambdaFunction, equals: 51}
          - {metric: async_events_dropped, equals: 3}
          - {metric: recursive_invocations_dropped, equals: 3}
          - {metric: invocations, equals: 49}
          - {metric: dead_letter_errors, equals: 0}
"""


def _scenario(tmp_path: Path, text: str = TEXT):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    stacks = {"sns": fake_stack()}
    return build_scenario(validate_file(path, stacks), "shapes", [], stacks)


def test_the_new_steps_reach_the_backend_and_their_metrics_hold(tmp_path: Path) -> None:
    backend = FakeBackend()
    result = run_scenario(_scenario(tmp_path), backend, results=tmp_path)
    assert result.status == "completed", result.doc["reason"]
    assert backend.calls.count("publish") == 1 and backend.calls.count("invoke") == 2
    assert backend.objects == {(BUCKET, "loop/0.json"): '{"counter": 100}'}
    publish, put, event, sync = result.doc["steps"][:4]
    assert publish["output"]["topic"] == TOPIC and publish["output"]["message_id"]
    assert put["output"] == {"bucket": BUCKET, "key": "loop/0.json"}
    assert event["output"]["reply"] == {"StatusCode": 202}
    assert sync["output"]["reply"] == {"StatusCode": 200, "Payload": {"counter": 8}}
    assert all(e["passed"] for e in result.doc["expectations"])
    record = read_journal(result.journal_path)
    assert record.stack == "sns"
    assert record.topic_counts()[TOPIC] == {"published": 17, "delivered": 17, "failed": 0}
    assert record.async_counts()[FUNCTION]["async_events_received"] == 51


def test_a_wrong_expectation_on_a_topic_metric_fails_the_run(tmp_path: Path) -> None:
    text = TEXT.replace(
        "{metric: published, topic: LoopTopic, equals: 17}",
        "{metric: published, topic: LoopTopic, equals: 3}",
    )
    result = run_scenario(_scenario(tmp_path, text), FakeBackend(), results=tmp_path)
    assert result.exit_code == 1
    [failed] = [e for e in result.doc["expectations"] if not e["passed"]]
    assert failed["check"] == "published[topic=LoopTopic]" and failed["actual"] == 17


def test_a_backend_refusing_a_publish_aborts_and_says_so(tmp_path: Path) -> None:
    backend = FakeBackend(fail={"publish": BackendError("sns:Publish on LoopTopic: denied")})
    result = run_scenario(_scenario(tmp_path), backend, results=tmp_path)
    assert result.status == "aborted" and result.exit_code == 1
    assert "sns:Publish on LoopTopic: denied" in result.doc["reason"]
    assert "put_object" not in backend.calls  # nothing after the failed step


def test_a_check_on_metrics_the_backend_does_not_read_fails_as_not_observed(
    tmp_path: Path,
) -> None:
    class Blind(FakeBackend):
        def observations(self, since=None):
            obs = super().observations(since)
            obs.by_topic.clear()
            obs.async_by_function.clear()
            return obs

    result = run_scenario(_scenario(tmp_path), Blind(), results=tmp_path)
    assert result.exit_code == 1
    failed = {e["check"] for e in result.doc["expectations"] if not e["passed"]}
    assert "published[topic=LoopTopic]" in failed and "dead_letter_errors" in failed
