"""A backend's optional capabilities are declared in its type (looplab.backends.base), and the
engine asks the type, never ``getattr``: a method a backend happens to have, undeclared, is
never called; a declared one it lacks is an error when it is built."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _support.fakes import FakeBackend

from looplab.backends.base import (
    Brakeable,
    BrakeAction,
    DropRecord,
    FunctionLogEvent,
    RailBraked,
    TimelineSource,
    Watchable,
)
from looplab.engine._recorder import Recorder
from looplab.engine._stopwatch import StopWatch

ENGINE = Path(__file__).parent.parent / "looplab" / "engine"


class Undeclared(FakeBackend):
    """The toy backend with every capability's methods, but none declared in its type."""

    metric_settle_seconds = 600.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self.used: list[str] = []

    def watch(self, callback: Callable[[], None] | None) -> None:
        self.used.append("watch")

    def brake(self) -> list[BrakeAction]:
        self.used.append("brake")
        return []

    def log_events(self, since: float, until: float | None = None) -> list[FunctionLogEvent]:
        self.used.append("log_events")
        return []

    def dropped_invocations(self, since: float, until: float | None = None) -> list[DropRecord]:
        self.used.append("dropped_invocations")
        return []


class Declared(Undeclared, Watchable, Brakeable, TimelineSource):
    """The same methods, declared."""


def test_the_shipped_backends_declare_their_capabilities_in_their_types() -> None:
    from looplab.backends.aws import AwsBackend
    from looplab.backends.local import LocalBackend

    for cls in (LocalBackend, AwsBackend):
        assert issubclass(cls, Brakeable) and issubclass(cls, TimelineSource), cls
    # Only the simulator steps event by event, so only it makes stop conditions exact.
    assert issubclass(LocalBackend, Watchable)
    assert not issubclass(AwsBackend, Watchable)


def test_an_undeclared_method_is_never_used_by_the_engine() -> None:
    backend = Undeclared()
    brake = _finally_hit_brake(backend)
    Recorder(backend, backend.now(), []).timeline({"stack": {}})
    assert backend.used == []
    assert brake == {"applied": False, "why": "the fake backend has no brake"}


def test_a_declared_capability_is_used() -> None:
    backend = Declared()
    brake = _finally_hit_brake(backend)
    Recorder(backend, backend.now(), []).timeline({"stack": {}})
    assert backend.used == ["watch", "brake", "watch", "log_events", "dropped_invocations"]
    assert brake == {"applied": True, "actions": []}


def test_the_metric_lateness_is_read_from_the_declared_timeline() -> None:
    pending = {
        type(b).__name__: Recorder(b, b.now(), []).timeline({"stack": {}}).metrics_pending
        for b in (Undeclared(), Declared())
    }
    assert pending == {"Undeclared": False, "Declared": True}


def test_a_declared_capability_the_backend_lacks_is_an_error_when_it_is_built() -> None:
    class Forgetful(FakeBackend, Brakeable):  # declares a brake, has none
        pass

    with pytest.raises(TypeError, match="brake"):
        Forgetful()


def test_both_brakes_return_the_same_type() -> None:
    from _support.simkit import repo_stack

    from looplab.backends.aws import AwsBackend, Calls, SimulatorClock, StackRecord
    from looplab.backends.local import LocalBackend
    from looplab.sim import Simulator

    stack = repo_stack()
    local = LocalBackend(stack, seed=0)
    sim = Simulator(stack, seed=0)
    try:
        record = StackRecord.from_dict(sim.stack_record())
        calls = Calls(sim.session(), region=record.region, stage=record.stage)
        mappings = {lid: (m.function, m.source_queue) for lid, m in stack.mappings.items()}
        aws = AwsBackend(record, calls, SimulatorClock(sim), mappings=mappings)
        for backend in (local, aws):
            actions = backend.brake()
            assert actions and all(isinstance(a, BrakeAction) for a in actions), actions
            kinds = {a.action for a in actions}  # aws also lists each function's mappings
            assert kinds >= {"lambda:PutFunctionConcurrency", "lambda:UpdateEventSourceMapping"}
            assert all(a.ok for a in actions), actions
        aws.close()
    finally:
        local.close()
        sim.close()


def test_a_rail_that_braked_is_marked_by_its_type() -> None:
    from looplab.backends.aws._budget import BudgetSpent

    assert issubclass(BudgetSpent, RailBraked)


def test_the_engine_never_probes_a_backend_by_attribute_name() -> None:
    """getattr/hasattr on a backend (or on an exception a backend raised) is how the engine
    found capabilities before they were declared; every such question is a type now."""
    found = []
    for path in sorted(ENGINE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in ("getattr", "hasattr") or not node.args:
                continue
            subject = ast.unparse(node.args[0])
            if subject in ("exc", "backend") or subject.endswith(".backend"):
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert found == []


# -- helpers --------------------------------------------------------------------------------


def _finally_hit_brake(backend: Undeclared) -> dict[str, Any]:
    """Arm a stop watch on an ``invocations at_least 1`` budget that already holds, then
    check it in finally: the record of the one brake it applies."""
    from looplab.engine._probe import Probe
    from looplab.scenarios import Condition

    probe = Probe(backend, since=backend.now())
    probe.start()
    backend.function.invocations = 5
    watch = StopWatch(
        (Condition(metric="invocations", op="at_least", value=1),), probe, backend, lambda: 0.0
    )
    watch.arm()
    watch.enter_finally()
    watch.check()
    [hit] = watch.finally_hits
    return hit["brake"]
