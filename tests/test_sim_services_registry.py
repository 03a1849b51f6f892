"""A service is one folder and one registry line.

``looplab.sim.services.registry.SERVICES`` (a tuple of descriptors) is the only place a
service is named: the simulator is a kernel that loops over it, and nothing else in
looplab/sim imports a service's folder to wire it in. A toy service added to the tuple,
and nowhere else, is answered, delivered to, sampled, shown and closed by the simulator.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from _support.simkit import repo_stack

from looplab.sim import SimParams, Simulator
from looplab.sim.params import field_kinds
from looplab.sim.services import Call, Kernel, Part, Service, registry
from looplab.sim.simulator import KERNEL_CALLS, KERNEL_PARAMS

ROOT = Path(__file__).resolve().parent.parent
SIM = ROOT / "looplab" / "sim"
FOLDERS = SIM / "services"
DESIGN = ROOT / "docs" / "design.md"

# The modules a service folder's files are named after (docs/design.md, "Adding a
# service to the simulator"): service.py and api.py in every folder.
REQUIRED = {"__init__.py", "service.py", "api.py"}


def _folders() -> set[str]:
    return {
        path.name
        for path in FOLDERS.iterdir()
        if (path / "__init__.py").is_file() and not path.name.startswith("_")
    }


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _runtime_imports(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every module ``tree`` imports when run (``if TYPE_CHECKING:`` blocks left out: an
    annotation's type is no wiring), with its line."""
    skipped: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            skipped.update(ast.walk(node))
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def _service_folder(module: str) -> str | None:
    """The service folder ``module`` (or a name imported from it) lies in, if any."""
    match = re.match(r"looplab\.sim\.services\.([a-z][a-z0-9_]*)(\.|$)", module)
    if match and match.group(1) in _folders():
        return match.group(1)
    return None


# -- the registry ----------------------------------------------------------------------


def test_every_service_folder_is_registered_once_in_the_registry() -> None:
    names = [service.name for service in registry.SERVICES]
    assert len(names) == len(set(names)), names
    declared = {service.join.__module__ for service in registry.SERVICES}
    assert declared == {f"looplab.sim.services.{folder}.service" for folder in _folders()}


def test_each_service_folder_follows_the_one_naming_rule() -> None:
    for folder in sorted(_folders()):
        files = {path.name for path in (FOLDERS / folder).glob("*.py")}
        assert files >= REQUIRED, f"services/{folder}/ lacks {sorted(REQUIRED - files)}"
        # No _private modules in a folder: what other services may use is its package's
        # names (an import-linter contract); a leading underscore would say nothing more.
        assert not [f for f in files if f.startswith("_") and f != "__init__.py"], folder
        exported = __import__(f"looplab.sim.services.{folder}", fromlist=["SERVICE"])
        assert isinstance(exported.SERVICE, Service), folder


def test_no_module_of_the_simulator_but_the_registry_wires_a_service() -> None:
    """Outside its own folder, a service is imported only by the registry (which names it)
    and by looplab/sim/__init__.py (which re-exports public names, wires nothing)."""
    allowed = {"looplab.sim.services.registry", "looplab.sim"}
    found = []
    for path in sorted(SIM.rglob("*.py")):
        module = _module(path)
        own = _service_folder(module)
        if module in allowed:
            continue
        tree = ast.parse(path.read_text())
        for line, imported in _runtime_imports(tree):
            folder = _service_folder(imported)
            if folder is not None and folder != own and own is None:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
        for node in ast.walk(tree):
            # A dispatch table or attribute filled by hand: sim.services["x"] = ...,
            # setattr(sim, ...). Only the kernel's loop (simulator.py) does that.
            if module == "looplab.sim.simulator":
                continue
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.ctx, ast.Store)
                and ast.unparse(node.value).endswith("services")
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "setattr":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert found == []


def test_the_simulator_is_a_kernel_that_names_no_service() -> None:
    """simulator.py holds the clock, dispatch, deliver and the experimenter's calls; every
    service-specific thing comes from the registry's parts: no service folder imported
    when it runs, no service's name, no handle a part shows (sim.queues, sim.lambdas)."""
    source = (SIM / "simulator.py").read_text()
    tree = ast.parse(source)
    imports = [imported for _, imported in _runtime_imports(tree)]
    assert [i for i in imports if _service_folder(i)] == []
    service_names = {s.name for s in registry.SERVICES} | _folders()
    literals = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    assert literals & service_names == set()
    with Simulator(repo_stack(), seed=0) as sim:
        handles = {name for part in sim._parts for name in part.handles()}
    assert {"queues", "lambdas", "metrics", "sns"} <= handles  # the scan sees real ones
    attributes = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert attributes & handles == set()


def test_every_experimenter_call_is_answered_by_one_service_or_the_kernel() -> None:
    public = {
        name
        for name, value in vars(Simulator).items()
        if not name.startswith("_") and callable(value)
    }
    owners: dict[str, list[str]] = {}
    for service in registry.SERVICES:
        for call in service.calls:
            owners.setdefault(call, []).append(service.name)
    assert {c: o for c, o in owners.items() if len(o) > 1} == {}
    assert set(owners) & set(KERNEL_CALLS) == set()
    assert public == set(owners) | set(KERNEL_CALLS)


def test_every_simparams_field_has_one_owner() -> None:
    owners: dict[str, list[str]] = {name: ["kernel"] for name in KERNEL_PARAMS}
    for service in registry.SERVICES:
        for name in service.params:
            owners.setdefault(name, []).append(service.name)
    assert {n: o for n, o in owners.items() if len(o) > 1} == {}
    assert set(owners) == set(field_kinds())


def test_the_design_doc_lists_the_files_a_new_service_touches() -> None:
    text = DESIGN.read_text()
    heading = "## Adding a service to the simulator"
    assert heading in text
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`(looplab/[\w/<>.]+)`", section))
    assert "looplab/sim/services/registry.py" in named
    for path in named:
        if "<" not in path:
            assert (ROOT / path).exists(), path
    for role in REQUIRED - {"__init__.py"}:
        assert f"looplab/sim/services/<service>/{role}" in named, role


# -- a toy service, added to the registry and nowhere else --------------------------------

BUS = "arn:aws:events:us-east-1:123456789012:event-bus/toy"


class _ToyApi:
    def __init__(self, part: _ToyPart) -> None:
        self.part = part

    def handle(self, operation: str, params: dict[str, Any], call: Call) -> dict[str, Any]:
        self.part.seen.append((operation, params["Entries"]))
        return {"FailedEntryCount": 0, "Entries": [{"EventId": "1"}]}


class _ToyPart(Part):
    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.seen: list[tuple[str, Any]] = []
        self.samples: list[float] = []
        self.closed = False
        self.api = _ToyApi(self)

    def handles(self) -> Mapping[str, Any]:
        return {"toy": self}

    def deliver(
        self,
        arn: str,
        body: str,
        trace_header: str | None,
        source: str,
        attributes: dict[str, str] | None,
    ) -> bool:
        if arn != BUS:
            return False
        self.seen.append(("deliver", body))
        return True

    def sample(self, now: float) -> None:
        self.samples.append(now)

    def close(self) -> None:
        self.closed = True


TOY = Service(name="events", join=_ToyPart)


def test_a_service_added_to_the_registry_alone_is_wired_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(registry, "SERVICES", (*registry.SERVICES, TOY))
    sim = Simulator(repo_stack(), seed=0, params=SimParams(metric_period=60))
    toy = sim.toy  # type: ignore[attr-defined]
    assert isinstance(toy, _ToyPart)
    entries = [{"Source": "looplab", "DetailType": "t", "Detail": "{}"}]
    reply = sim.client("events").put_events(Entries=entries)
    assert reply["FailedEntryCount"] == 0
    sim.deliver(BUS, "from a destination", None, "test")
    assert toy.seen == [("PutEvents", entries), ("deliver", "from a destination")]
    sim.advance(150)
    assert toy.samples == [sim.params.epoch, sim.params.epoch + 60, sim.params.epoch + 120]
    sim.close()
    assert toy.closed


def test_a_service_that_needs_one_not_yet_joined_is_told_which(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def needs_toy(kernel: Kernel) -> Part:
        kernel.part(_ToyPart)
        return Part()

    monkeypatch.setattr(registry, "SERVICES", (Service("first", needs_toy), *registry.SERVICES))
    with pytest.raises(LookupError, match=r"_ToyPart.*registry"):
        Simulator(repo_stack(), seed=0)


def test_a_handle_that_would_hide_the_kernels_own_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Clash(Part):
        def handles(self) -> Mapping[str, Any]:
            return {"clock": None}

    clash = Service("clash", lambda kernel: Clash())
    monkeypatch.setattr(registry, "SERVICES", (*registry.SERVICES, clash))
    with pytest.raises(TypeError, match="clock"):
        Simulator(repo_stack(), seed=0)


def test_two_services_answering_one_experimenters_call_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Sender(Part):
        def send(self, *args: Any) -> list[str]:
            return []

    second = Service("sender", lambda kernel: Sender(), calls=("send",))
    monkeypatch.setattr(registry, "SERVICES", (*registry.SERVICES, second))
    with pytest.raises(TypeError, match="'send'"):
        Simulator(repo_stack(), seed=0)
