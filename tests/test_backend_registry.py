"""The backend registry (looplab/backends/registry.py) is the one place a backend is named:
the command line, the overrides and the results ask it what a backend accepts, needs and
does, and nothing outside it tests a backend's name."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _support.fakes import FakeBackend, fake_stack

from looplab import cli
from looplab.backends import registry
from looplab.backends.registry import BACKENDS, BackendKind, Override
from looplab.cli import commands
from looplab.cli.common import BadInput, check_endpoint_url
from looplab.cli.overrides import OverrideError, command_overrides

ROOT = Path(__file__).parent.parent
LOOPLAB = ROOT / "looplab"
NAMES = registry.SHIPPED  # the backends' names, which only the registry may test
# What every backend shares: scanned like the rest of looplab. Every other module under
# looplab/backends/ is the registry or a backend's own, where its name may be written.
SHARED = ("backends/__init__.py", "backends/base.py", "backends/_timeline.py")


def test_the_registry_names_the_shipped_backends_as_they_name_themselves() -> None:
    from looplab.backends.aws import AwsBackend
    from looplab.backends.local import LocalBackend

    assert NAMES == ("local", "aws")  # what the scan below looks for
    assert tuple(BACKENDS) == registry.SHIPPED
    classes = {name: BACKENDS[name].backend_class() for name in registry.SHIPPED}
    assert classes == {"local": LocalBackend, "aws": AwsBackend}
    assert all(cls is not None and cls.name == name for name, cls in classes.items())
    assert cli.BACKENDS is BACKENDS  # the command line's table is the registry's
    assert registry.DEFAULT_BACKEND in BACKENDS
    assert cli.DEFAULTS["backend"] == registry.DEFAULT_BACKEND


def test_what_each_backend_declares_for_the_command_line() -> None:
    local, aws = BACKENDS["local"], BACKENDS["aws"]
    assert local.overrides == {Override.PARAM, Override.SIM}
    assert aws.overrides == {Override.ENDPOINT_URL}
    assert (local.simulated, aws.simulated) == (True, False)
    assert (local.guards_recursion, aws.guards_recursion) == (False, True)
    assert (local.metrics_settle, aws.metrics_settle) == (False, True)
    assert local.label and aws.label and local.label != aws.label


def test_the_metrics_lateness_the_registry_declares_is_the_backends() -> None:
    # results reads the registry (a journal has no backend object); the engine reads the
    # backend: both must say the same.
    from looplab.backends.aws import AwsParams
    from looplab.backends.local import LocalBackend

    assert LocalBackend.metric_settle_seconds == 0 and not registry.metrics_settle("local")
    assert AwsParams().metric_settle_seconds > 0 and registry.metrics_settle("aws")
    assert not registry.metrics_settle("a backend no longer registered")


def test_no_backend_name_is_tested_outside_the_registry() -> None:
    """A registered backend's name ("local", "aws") as a string in looplab/, outside the
    registry and the backends' own modules, is a backend named (a test of a name, a
    default, a table), except an ARN's partition "aws": recognised by its place, not
    allow-listed by file."""
    found = []
    for path in sorted(LOOPLAB.rglob("*.py")):
        rel = path.relative_to(LOOPLAB).as_posix()
        if rel.startswith("backends/") and rel not in SHARED:
            continue
        tree = ast.parse(path.read_text(), str(path))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            named = isinstance(node, ast.Constant) and node.value in NAMES
            if named and not _arn_partition(node, parents):
                found.append(f"looplab/{rel}:{node.lineno}: {node.value!r}")
    assert found == []


def _arn_partition(node: ast.Constant, parents: dict[ast.AST, ast.AST]) -> bool:
    """``"aws"`` as an ARN's partition: ``["arn", "aws", ...]`` or CloudFormation's
    ``{"AWS::Partition": "aws"}``."""
    parent = parents.get(node)
    if node.value != "aws":
        return False
    if isinstance(parent, ast.List | ast.Tuple):
        first = parent.elts[0] if parent.elts else None
        return isinstance(first, ast.Constant) and first.value == "arn"
    if isinstance(parent, ast.Dict) and node in parent.values:
        key = parent.keys[parent.values.index(node)]
        return isinstance(key, ast.Constant) and key.value == "AWS::Partition"
    return False


def test_the_scan_sees_a_name_tested_and_passes_a_partition() -> None:
    code = 'if backend == "aws": pass\nparts = ["arn", "aws", "sns"]\nP = {"AWS::Partition": "aws"}'
    tree = ast.parse(code)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    flagged = [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and n.value in NAMES and not _arn_partition(n, parents)
    ]
    assert flagged == [1]


# -- the command line asks the registry ----------------------------------------------------


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A registered backend that, like aws, runs a deployed stack with no simulator."""

    def factory(stack: object, seed: int, **options: Any) -> FakeBackend:
        assert "allow_recursion" not in options  # only a backend that guards recursion
        return FakeBackend()

    monkeypatch.setattr(
        commands, "load_stack_for", lambda project, stage, params=None: fake_stack()
    )
    monkeypatch.setitem(BACKENDS, "deployed", BackendKind(factory, "a deployed fake"))
    yield "deployed"


def test_overrides_a_backend_does_not_declare_are_refused_by_its_declaration(
    deployed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(OverrideError, match="fixed at deploy"):
        command_overrides(ROOT, deployed, "dev", ["batchSize=2"], [])
    with pytest.raises(OverrideError, match=r"runs on a deployed fake.*--backend local"):
        command_overrides(ROOT, deployed, "dev", [], ["metric_period=60"])
    assert command_overrides(ROOT, deployed, "dev", [], []) == {
        "stack_params": {},
        "simulator": {},
    }
    with pytest.raises(BadInput, match=r"it is for --backend aws, and this run is on 'deployed'"):
        check_endpoint_url("http://127.0.0.1:5000", deployed)
    monkeypatch.setitem(BACKENDS, "moto", BackendKind(FakeBackend, "m", frozenset(Override)))
    assert check_endpoint_url("http://127.0.0.1:5000", "moto") == "http://127.0.0.1:5000"


def test_allow_recursion_reaches_only_a_backend_that_guards_recursion(
    deployed: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[dict[str, Any]] = []

    def guarded(stack: object, seed: int, **options: Any) -> FakeBackend:
        seen.append(options)
        return FakeBackend()

    monkeypatch.setitem(BACKENDS, "guarded", BackendKind(guarded, "g", guards_recursion=True))
    for name in (deployed, "guarded"):
        code = cli.scenario_command(
            "loop-detection", backend=name, project=ROOT, results=tmp_path, allow_recursion=True
        )
        assert code == 0
    assert [o["allow_recursion"] for o in seen] == [True]


def test_a_backend_whose_metrics_settle_gets_its_run_settled(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import json

    from test_results_aws import Counted, aws_journal

    from looplab.results import collect

    monkeypatch.setitem(BACKENDS, "late", BackendKind(FakeBackend, "late", metrics_settle=True))
    journal = aws_journal(tmp_path)
    doc = json.loads(journal.read_text())
    journal.write_text(json.dumps({**doc, "backend": "late"}))
    factory = Counted(responses=1)
    outcome = collect(tmp_path, cloudwatch=factory)
    assert factory.calls == 1 and outcome.pending == []
