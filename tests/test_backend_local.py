"""LocalBackend: the Backend protocol's semantics on the simulator."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from _support.simkit import repo_stack

from looplab.backends import Backend, BackendError
from looplab.backends.local import LocalBackend


@pytest.fixture
def backend():
    b = LocalBackend(repo_stack(), seed=0)
    yield b
    b.close()


def test_it_is_a_backend(backend: LocalBackend) -> None:
    assert isinstance(backend, Backend)
    assert backend.name == "local"


def test_observations_read_incrementally_count_each_event_once(backend: LocalBackend) -> None:
    backend.seed("Queue", json.dumps({"counter": 5}))
    backend.advance(0.5)
    early = backend.observations()
    assert 0 < len(early.counters_sent) < 16
    backend.advance(10)
    late = backend.observations()
    again = backend.observations()
    assert late.counters_sent == again.counters_sent == list(range(6, 22))
    assert early.counters_sent == late.counters_sent[: len(early.counters_sent)]
    assert late.by_function["RecursiveLambdaFunction"].invocations == 16
    # Per source: the mapping metrics, one entry per mapping's source queue.
    assert set(late.by_source) == {"Queue", "DeadLetterQueue"}
    assert late.by_function["RecursiveLambdaFunction"].recursive_invocations_dropped == 1
    assert len(late.log_streams) == 2


def test_drain_returns_and_deletes(backend: LocalBackend) -> None:
    backend.seed("Queue", json.dumps({"counter": 5}))
    backend.wait_until(lambda: backend.queue_state("DeadLetterQueue").visible == 1, timeout=120)
    (message,) = backend.drain("DeadLetterQueue", 10)
    assert json.loads(message.body) == {"counter": 21}
    assert message.receive_count == 2  # one receive in the main queue, one by the drain
    assert "AWSTraceHeader" in message.attributes
    # Sent by the function: SQS names the role's session, which Lambda names after it.
    assert message.attributes["SenderId"] == "AROALOOPLAB:looplab-simtest-recursive"
    assert message.attributes["DeadLetterQueueSourceArn"].endswith(":looplab-simtest-queue")
    assert backend.queue_state("DeadLetterQueue").total == 0


def test_purge_twice_within_a_minute_waits_it_out(backend: LocalBackend) -> None:
    backend.purge("Queue")
    start = backend.now()
    backend.purge("Queue")
    assert backend.now() - start == pytest.approx(60)


def test_wait_until_reports_a_timeout(backend: LocalBackend) -> None:
    seen = []
    held = backend.wait_until(lambda: False, timeout=5, poll=1, progress=seen.append)
    assert held is False
    assert seen[-1] == pytest.approx(5)


def test_bad_names_say_what_exists(backend: LocalBackend) -> None:
    with pytest.raises(BackendError, match=r"unknown queue 'Nope'.*DeadLetterQueue, Queue"):
        backend.seed("Nope", "{}")
    with pytest.raises(BackendError, match="unknown function"):
        backend.set_recursion("Nope", "Allow")
    with pytest.raises(BackendError, match="must be Allow or Terminate"):
        backend.set_recursion("RecursiveLambdaFunction", "Off")  # type: ignore[arg-type]


def test_metric_series_has_per_minute_points(backend: LocalBackend) -> None:
    backend.seed("Queue", json.dumps({"counter": 5}))
    backend.advance(180)
    points = backend.metric_series(backend.sim.params.epoch, backend.now())
    invocations = [p for p in points if p.metric == "Invocations"]
    assert sum(p.value for p in invocations) == 16
    depth = [p for p in points if p.metric == "ApproximateNumberOfMessagesVisible"]
    assert {p.minute for p in depth} >= {backend.sim.params.epoch + 60 * i for i in range(3)}


# -- the simulator's public API only ------------------------------------------------------

LOCAL = Path(__file__).parent.parent / "looplab" / "backends" / "local.py"


def _simulator_uses(source: str) -> list[str]:
    """Every way ``source`` (a module like local.py) reaches into the simulator that is not
    its public API: ``self.sim.<name>`` where ``name`` is not a public method or property
    of the Simulator class (so not its instance attributes: ``sim.queues``, ``sim.sqs``),
    any ``self.sim.<x>.<y>`` chain, ``self.sim`` handed to anything (``getattr``), and an
    import from looplab.sim other than its package's ``__all__``."""
    import looplab.sim
    from looplab.sim import Simulator

    public = {
        name
        for name, value in vars(Simulator).items()
        if not name.startswith("_") and (callable(value) or isinstance(value, property))
    }
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("looplab.sim"):
            names = {a.name for a in node.names}
            if node.module != "looplab.sim" or not names <= set(looplab.sim.__all__):
                found.append(f"{node.lineno}: from {node.module} import {sorted(names)}")
        if not (isinstance(node, ast.Attribute) and ast.unparse(node) == "self.sim"):
            continue
        use = parents[node]
        if isinstance(use, ast.Assign) and node in use.targets:
            continue  # self.sim = Simulator(...)
        if not isinstance(use, ast.Attribute):
            found.append(f"{node.lineno}: self.sim handed over in {ast.unparse(use)}")
        elif use.attr not in public:
            found.append(f"{node.lineno}: self.sim.{use.attr} is not public API")
        elif isinstance(parents[use], ast.Attribute):
            found.append(f"{node.lineno}: {ast.unparse(parents[use])} reaches past the API")
    return found


def test_the_local_backend_uses_only_the_simulators_public_api() -> None:
    assert _simulator_uses(LOCAL.read_text()) == []


def test_the_public_api_scan_sees_each_way_past_it() -> None:
    source = (
        "from looplab.sim.sqs import Queue\n"
        "x = self.sim.sqs\n"
        "y = self.sim.run_until.__name__\n"
        "z = getattr(self.sim, 'publish')\n"
        "self.sim.purge('Queue')\n"
    )
    assert sorted(f.split(":")[0] for f in _simulator_uses(source)) == ["1", "2", "3", "4"]
