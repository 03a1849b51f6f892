"""A witness that a command refused its input before anything ran.

"Before anything runs" is checked, not assumed: the witness replaces the seams where work
starts (the stack's compile, a backend's construction, collect-results' reading of
journals, the kill switch's reading of the stack record, a deploy) with recorders, so a
test can assert that none was reached, and that no run folder was made.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from _support.fakes import FakeBackend, fake_kind, fake_stack
from looplab import cli
from looplab.cli import commands

ROOT = Path(__file__).parents[2]  # the project: tests/_support/ is two floors down


@dataclass
class Witness:
    results: Path
    started: list[str] = field(default_factory=list)

    def nothing_ran(self) -> bool:
        return not self.started and not (self.results / "runs").exists()


def watch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Witness:
    """Install the recorders; each returns what the real seam would, so a good command runs."""
    seen = Witness(results=tmp_path / "results")

    def compile_stack(project: Path, stage: str, params: dict[str, str] | None = None) -> Any:
        seen.started.append(f"compile {stage}")
        return fake_stack()

    def backend(name: str) -> Any:
        def factory(stack: object, seed: int, **options: Any) -> FakeBackend:
            seen.started.append(f"backend {name}")
            return FakeBackend()

        return factory

    def collect(results: Path, **options: Any) -> Any:
        seen.started.append("collect")
        raise AssertionError("the witness's collect is never meant to finish")

    def record(project: Any, stage: str) -> Any:
        seen.started.append(f"record {stage}")
        raise AssertionError("the witness's record is never meant to be read")

    import looplab.cli.aws
    import looplab.cli.deploy
    import looplab.results.cli

    monkeypatch.setattr(commands, "load_stack_for", compile_stack)
    for name in ("local", "aws"):  # the shipped backends' traits, built by the recorder
        monkeypatch.setitem(cli.BACKENDS, name, replace(cli.BACKENDS[name], factory=backend(name)))
    monkeypatch.setitem(cli.BACKENDS, "fake", fake_kind(backend("fake")))
    monkeypatch.setattr(looplab.results.cli, "collect", collect)
    monkeypatch.setattr(looplab.cli.aws, "_record_for", record)
    monkeypatch.setattr(looplab.cli.deploy, "deploy", lambda *a, **k: seen.started.append("deploy"))
    monkeypatch.setattr(looplab.cli.deploy, "remove", lambda *a, **k: seen.started.append("remove"))
    return seen
