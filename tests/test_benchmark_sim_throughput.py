"""benchmarks/sim_throughput.py still runs: each of its measurements on a short chain (a
benchmark that rots is found here, not when its figures are next needed)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "sim_throughput", ROOT / "benchmarks" / "sim_throughput.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_chain_runs_every_hop(bench: ModuleType) -> None:
    wall, invocations, virtual = bench.simulated_chain(20)
    assert invocations == 21  # counters 0..20: the last one reaches the cap and stops
    assert wall > 0 and virtual > 0


def test_hot_loop_in_an_environment_answers(bench: ModuleType) -> None:
    per_call = bench.environment_hot(calls=20)
    assert 0 < per_call < 1.0


def test_bare_handler_runs(bench: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("QUEUE_URL", "COUNTER_CAP", "AWS_DEFAULT_REGION"):
        monkeypatch.setenv(name, os.environ.get(name, "x"))
    monkeypatch.setattr(sys, "path", list(sys.path))
    wall, cpu = bench.bare_handler(20)
    assert wall > 0 and cpu > 0
