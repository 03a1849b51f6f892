"""The step kinds' registry (looplab/scenarios/kinds): each kind declared once, and kept so.

- every backend class has each Backend member a kind calls (not an AttributeError mid-run),
  and a kind's declared ``calls`` are exactly the members its ``run`` uses;
- the registry refuses, at import, a declaration that cannot work;
- scenarios.yaml's paragraph about steps is the one the declarations write, and lists
  exactly the declared kinds and their keys;
- no module outside looplab/scenarios/kinds names a kind (a table keyed by kind, a
  comparison with one, a step class imported to dispatch on).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _support.fakes import FakeBackend, fake_stack

from looplab.backends.registry import BACKENDS, SHIPPED
from looplab.engine._probe import Probe
from looplab.engine._steps import RunContext, execute
from looplab.engine._stopwatch import StopWatch
from looplab.scenarios import Condition, Step, build_scenario, validate_file
from looplab.scenarios.kinds import (
    BACKEND_MEMBERS,
    BY_NAME,
    KINDS,
    Kind,
    StepOutcome,
    _verified,
    kind_of,
    missing_members,
)
from looplab.scenarios.kinds._format import INTRO, PREFIX, format_lines

ROOT = Path(__file__).resolve().parent.parent

# Every backend class a run may drive: the registry's, and the tests' toy backend.
BACKEND_CLASSES = (*(BACKENDS[name].backend_class() for name in SHIPPED), FakeBackend)


@pytest.mark.parametrize("backend", BACKEND_CLASSES, ids=lambda c: c.__name__)
def test_every_backend_class_has_every_member_a_kind_calls(backend: type) -> None:
    assert missing_members(backend) == {}


def test_a_backend_without_a_member_is_named_with_the_kinds_it_cannot_run() -> None:
    class NoPublish(FakeBackend):
        publish = None  # type: ignore[assignment]

    assert missing_members(NoPublish) == {"publish": ("publish",)}


# One example of each kind, on the fake stack (tests/_support/fakes.py). A new kind needs one here.
EXAMPLES = {
    "purge": ["{queues: [queue, dlq]}"],
    "seed": ["{queue: queue, body: {counter: 5}}"],
    "wait": ["{seconds: 3}", "{until: {metric: total, queue: queue, equals: 0}, timeout: 5}"],
    "drain": ["{queue: dlq}"],
    "snapshot": ["{name: s}", ""],
    "connect": ["{function: recursive, source: dlq}"],
    "disconnect": ["{function: recursive, source: dlq}"],
    "recursion": ["{function: recursive, mode: Terminate}"],
    "expect": ["{metric: invocations, at_least: 0}"],
    "publish": ["{topic: LoopTopic, body: {counter: 0}}"],
    "put-object": ["{bucket: LoopBucket, key: k, body: {counter: 0}}"],
    "invoke": ["{function: recursive, payload: {counter: 0}}"],
}


def _example_steps(tmp_path: Path) -> tuple[Step, ...]:
    steps = "\n".join(f"      - {kind}: {args}" for kind, many in EXAMPLES.items() for args in many)
    path = tmp_path / "scenarios.yaml"
    path.write_text(
        "version: 1\n"
        "aliases: {queue: Queue, dlq: DeadLetterQueue, recursive: RecursiveLambdaFunction}\n"
        "scenarios:\n  every-kind:\n    description: one step of each kind\n"
        f"    steps:\n{steps}\n"
    )
    sfile = validate_file(path, fake_stack())
    return build_scenario(sfile, "every-kind", [], fake_stack()).steps


class _Spy:
    """The fake backend, noting which Backend members a step touches."""

    def __init__(self, inner: FakeBackend) -> None:
        self._inner = inner
        self.touched: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        if name in BACKEND_MEMBERS:
            self.touched.add(name)
        return getattr(self._inner, name)


def _contexts() -> list[Callable[[], tuple[RunContext, _Spy]]]:
    """The engine's two ways to run a step: the backend checks stop_when itself (or there
    is none), or waits must poll it (AWS): a fixed wait then polls instead of advancing."""

    def make(polled: bool) -> Callable[[], tuple[RunContext, _Spy]]:
        def build() -> tuple[RunContext, _Spy]:
            fake = FakeBackend()
            probe = Probe(fake, since=fake.now())
            probe.start()
            never = (Condition("invocations", "at_least", 1e9),) if polled else ()
            watch = StopWatch(never, probe, fake, lambda: 0.0)
            spy = _Spy(fake)
            ctx = RunContext(spy, probe, ["Queue"], watch, lambda total: lambda done: None)  # type: ignore[arg-type]
            assert watch.polled is polled
            return ctx, spy

        return build

    return [make(False), make(True)]


def test_a_kinds_declared_calls_are_the_backend_members_its_run_uses(tmp_path: Path) -> None:
    assert set(EXAMPLES) == set(BY_NAME), "give every kind an example in EXAMPLES"
    used: dict[str, set[str]] = {kind.name: set() for kind in KINDS}
    for step in _example_steps(tmp_path):
        for build in _contexts():
            ctx, spy = build()
            outcome = execute(step, ctx)
            assert isinstance(outcome, StepOutcome) and outcome.status == "ok", step
            undeclared = spy.touched - set(kind_of(step).calls)
            assert not undeclared, f"{step.kind} calls {undeclared} without declaring them"
            used[step.kind] |= spy.touched
    stale = {k.name: set(k.calls) - used[k.name] for k in KINDS if set(k.calls) - used[k.name]}
    assert stale == {}, "declared calls that run never makes"


def _kind(name: str, **changes: Any) -> Kind[Any]:
    declared = BY_NAME[name]
    fields = {f: getattr(declared, f) for f in declared.__dataclass_fields__}
    return Kind(**{**fields, **changes})


@pytest.mark.parametrize(
    ("broken", "says"),
    [
        (_kind("seed", calls=("seed", "teleport")), "teleport, which the Backend protocol lacks"),
        (_kind("seed", required=("queue", "colour")), "['colour'] are not in its keys"),
        (_kind("expect", keys=("metric",)), "a kind that takes conditions takes no keys"),
        (_kind("drain", run=None), "a kind needs its check and its run"),
    ],
)
def test_the_registry_refuses_a_declaration_that_cannot_work(broken: Kind[Any], says: str) -> None:
    with pytest.raises(TypeError, match=re.escape(says)):
        _verified((broken,))


def test_the_registry_refuses_two_kinds_of_one_name() -> None:
    with pytest.raises(TypeError, match="a name of its own"):
        _verified((BY_NAME["seed"], BY_NAME["seed"]))


def test_a_kind_cannot_be_declared_without_its_execution() -> None:
    seed = BY_NAME["seed"]
    with pytest.raises(TypeError, match="run"):
        Kind(seed.step, seed.check, calls=("seed",))  # type: ignore[call-arg]


def _header_paragraph() -> tuple[int, list[str]]:
    """scenarios.yaml's paragraph about steps: its first line number and its lines."""
    lines = (ROOT / "scenarios.yaml").read_text().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(PREFIX + INTRO)]
    assert len(starts) == 1, f"scenarios.yaml's header needs one line starting {INTRO!r}"
    size = len(format_lines(KINDS))
    return starts[0] + 1, lines[starts[0] : starts[0] + size]


def test_the_scenarios_header_says_what_the_declarations_say() -> None:
    first, found = _header_paragraph()
    expected = format_lines(KINDS)
    assert found == expected, (
        f"scenarios.yaml lines {first}..{first + len(expected) - 1} are not what the kinds "
        "declare: paste the output of `python -m looplab.scenarios.kinds` over them\n"
        + "\n".join(expected)
    )


def test_the_scenarios_header_lists_exactly_the_declared_kinds_and_their_keys() -> None:
    _, found = _header_paragraph()
    text = " ".join(line.removeprefix(PREFIX) for line in found).removeprefix(INTRO)
    listed: dict[str, set[str]] = {}
    for names, args in re.findall(
        r"([a-z][a-z-]*(?:, [a-z][a-z-]*)*): (\{[^}]*\}|\[[^]]*\])", text
    ):
        keys = set()
        if args.startswith("{"):
            for part in re.split(r", | \| ", args.strip("{}")):
                keys.add(part.split(":")[0].rstrip("?"))
            keys -= {kind for kind in re.findall(r"[A-Z]\w+", args)}  # allowed values
        for name in names.split(", "):
            listed[name] = keys
    assert listed == {kind.name: set(kind.keys) for kind in KINDS}


# A word that is a kind's name, but means something else where it is used.
ALLOWED = {
    ("_schema", "seed"): "the journal's random seed of the run (RunDocument.seed)",
    ("local", "seed"): "the simulator's random seed",
    ("tasks", "seed"): "the --seed option's help",
    ("_backend", "recursion"): "the aws backend's recursion rail in backend_finish",
    ("_conditions", "snapshot"): "a condition's snapshot: selector",
}


def _strings(node: ast.AST | None) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [value for item in node.elts for value in _strings(item)]
    return []


def kind_names_outside_the_registry(root: Path) -> list[str]:
    """Where a module other than a kind's names a kind: a dict key, a comparison, a
    subscript, a .get(), a case pattern, or a step class imported (to dispatch on)."""
    names = set(BY_NAME)
    classes = {kind.step.__name__ for kind in KINDS}
    sources = [*sorted((root / "looplab").rglob("*.py")), root / "tasks.py"]
    out = []
    for path in sources:
        rel = path.relative_to(root).as_posix()
        # The simulator knows no scenarios (its import contract); its words are AWS's.
        if rel.startswith(("looplab/scenarios/kinds/", "looplab/sim/")):
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=rel)):
            found: list[str] = []
            if isinstance(node, ast.Dict):
                found = [v for key in node.keys for v in _strings(key)]
            elif isinstance(node, ast.Compare):
                found = [v for side in (node.left, *node.comparators) for v in _strings(side)]
            elif isinstance(node, ast.Subscript):
                found = _strings(node.slice)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in ("get", "pop", "setdefault") and node.args:
                    found = _strings(node.args[0])
            elif isinstance(node, ast.MatchValue):
                found = _strings(node.value)
            elif (
                isinstance(node, ast.ImportFrom)
                and (node.module or "").startswith("looplab.scenarios")
                and rel != "looplab/scenarios/__init__.py"  # re-exports them
            ):
                out += [
                    f"{rel}:{node.lineno}: imports step class {a.name}"
                    for a in node.names
                    if a.name in classes
                ]
            out += [
                f"{rel}:{node.lineno}: names step kind {v!r}"
                for v in found
                if v in names and (path.stem, v) not in ALLOWED
            ]
    return out


def test_no_module_outside_the_registry_names_a_step_kind() -> None:
    assert kind_names_outside_the_registry(ROOT) == [], (
        "read the kind's declaration (looplab.scenarios.kinds) instead; if the word means "
        "something else there, add it to ALLOWED with why"
    )


def test_the_scan_finds_a_table_keyed_by_kind_a_comparison_and_a_class_import(
    tmp_path: Path,
) -> None:
    (tmp_path / "looplab" / "engine").mkdir(parents=True)
    (tmp_path / "tasks.py").write_text("")
    (tmp_path / "looplab" / "engine" / "_x.py").write_text(
        "from looplab.scenarios import Seed, Step\n"
        "HANDLERS = {'purge': 1, 'put-object': 2}\n"
        "def f(record):\n"
        "    return record['kind'] in ('drain', 'other') or record.get('wait')\n"
    )
    assert kind_names_outside_the_registry(tmp_path) == [
        "looplab/engine/_x.py:1: imports step class Seed",
        "looplab/engine/_x.py:2: names step kind 'purge'",
        "looplab/engine/_x.py:2: names step kind 'put-object'",
        "looplab/engine/_x.py:4: names step kind 'drain'",
        "looplab/engine/_x.py:4: names step kind 'wait'",
    ]
