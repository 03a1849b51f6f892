"""The step kinds: one registry, built from each kind's declaration (``_kind.Kind``).

The validator (:func:`check_step`, :func:`snapshot_label`), the engine (:func:`kind_of`,
then the kind's ``run``), the console (a kind's ``detail``) and scenarios.yaml's header
(``python -m looplab.scenarios.kinds``) all read :data:`KINDS`; it is the only place a kind
is named (tests/test_scenarios_kinds.py keeps it so). Adding a kind: one module here and one
line below (docs/design.md, "Adding a step kind").

At import, the registry refuses a declaration that cannot work: two kinds of one name, a
key rule naming a key the kind does not take, or a ``calls`` member the Backend protocol
lacks (so every backend that implements the protocol can run every kind).
"""

from __future__ import annotations

from typing import Any

from looplab.backends.base import Backend
from looplab.scenarios._context import Context, type_name
from looplab.scenarios._errors import unknown
from looplab.scenarios._load import LMap
from looplab.scenarios._model import Step
from looplab.scenarios.kinds import (
    drain,
    expect,
    invoke,
    mapping,
    publish,
    purge,
    put_object,
    recursion,
    seed,
    snapshot,
    wait,
)
from looplab.scenarios.kinds._kind import Kind, Progress, Readings, StepContext, StepOutcome
from looplab.scenarios.kinds._output import counter_of, message_json, state_json
from looplab.scenarios.kinds.drain import Drain
from looplab.scenarios.kinds.expect import Expect
from looplab.scenarios.kinds.invoke import INVOCATION_TYPES, Invoke
from looplab.scenarios.kinds.mapping import Connect, Disconnect
from looplab.scenarios.kinds.publish import Publish
from looplab.scenarios.kinds.purge import Purge
from looplab.scenarios.kinds.put_object import PutObject
from looplab.scenarios.kinds.recursion import Recursion
from looplab.scenarios.kinds.seed import Seed
from looplab.scenarios.kinds.snapshot import Snapshot
from looplab.scenarios.kinds.wait import Wait

__all__ = [
    "BACKEND_MEMBERS",
    "BY_NAME",
    "INVOCATION_TYPES",
    "KINDS",
    "STEP_TYPES",
    "Connect",
    "Disconnect",
    "Drain",
    "Expect",
    "Invoke",
    "Kind",
    "Progress",
    "Publish",
    "Purge",
    "PutObject",
    "Readings",
    "Recursion",
    "Seed",
    "Snapshot",
    "StepContext",
    "StepOutcome",
    "Wait",
    "check_step",
    "counter_of",
    "kind_of",
    "message_json",
    "missing_members",
    "snapshot_label",
    "state_json",
]

# In this order: the order `unknown step` offers them in, and scenarios.yaml's header lists.
KINDS: tuple[Kind[Any], ...] = (
    purge.KIND,
    seed.KIND,
    wait.KIND,
    drain.KIND,
    snapshot.KIND,
    mapping.CONNECT,
    mapping.DISCONNECT,
    recursion.KIND,
    expect.KIND,
    publish.KIND,
    put_object.KIND,
    invoke.KIND,
)

# What the Backend protocol offers: the members a kind may call.
BACKEND_MEMBERS = frozenset(
    name for name in (*vars(Backend), *Backend.__annotations__) if not name.startswith("_")
)


def _verified(kinds: tuple[Kind[Any], ...]) -> tuple[Kind[Any], ...]:
    """``kinds``, or a TypeError naming the first declaration that cannot work."""
    seen: set[str] = set()
    for kind in kinds:
        where = f"step kind {kind.name!r} ({kind.step.__module__})"
        if not kind.name or kind.name in seen:
            raise TypeError(f"{where}: a kind needs a name of its own")
        seen.add(kind.name)
        if not (callable(kind.check) and callable(kind.run)):
            raise TypeError(f"{where}: a kind needs its check and its run")
        unknown_calls = sorted(set(kind.calls) - BACKEND_MEMBERS)
        if unknown_calls:
            raise TypeError(
                f"{where} calls {', '.join(unknown_calls)}, which the Backend protocol "
                "lacks: add it to looplab/backends/base.py and to every backend"
            )
        named = {*kind.required, *kind.one_of, *kind.choices}
        if not named <= set(kind.keys):
            raise TypeError(f"{where}: {sorted(named - set(kind.keys))} are not in its keys")
        if kind.takes == "conditions" and (kind.keys or kind.bare):
            raise TypeError(f"{where}: a kind that takes conditions takes no keys")
    return kinds


KINDS = _verified(KINDS)
BY_NAME: dict[str, Kind[Any]] = {kind.name: kind for kind in KINDS}
_BY_TYPE: dict[type[Step], Kind[Any]] = {kind.step: kind for kind in KINDS}
STEP_TYPES: dict[str, type[Step]] = {kind.name: kind.step for kind in KINDS}
EXAMPLE = "e.g. '- wait: {seconds: 120}'"


def kind_of(step: Step) -> Kind[Any]:
    """The declaration of ``step``'s kind (every step the validator builds has one)."""
    return _BY_TYPE[type(step)]


def check_step(ctx: Context, item: Any, line: int, snapshots: set[str]) -> Step | None:
    """One located YAML step (parameters already substituted) -> its typed step, or None
    with the problems reported into ``ctx``: the one-key form, the kind, its keys, then the
    kind's own ``check``."""
    if not isinstance(item, LMap) or len(item) != 1:
        ctx.error(
            line,
            f"a step is a mapping with exactly one key, its kind ({EXAMPLE}); "
            f"got {type_name(item) if not isinstance(item, LMap) else f'{len(item)} keys'}",
        )
        return None
    name, args = next(iter(item.items()))
    if name not in BY_NAME:
        ctx.error(item.key_line(name), unknown("step", name, BY_NAME))
        return None
    kind = BY_NAME[name]
    args_line = item.line_of(name)
    if kind.takes == "conditions":
        return kind.check(ctx, args, args_line, snapshots)
    if args is None and kind.bare:
        args = LMap(line)
    given = ctx.mapping(args, f"the arguments of '{name}'", args_line)
    if given is None or not ctx.keys(given, kind.keys, kind.required, name):
        return None
    if kind.one_of and sum(key in given for key in kind.one_of) != 1:
        either = " or ".join(repr(key) for key in kind.one_of)
        ctx.error(given.line, f"{name} needs exactly one of {either}")
        return None
    return kind.check(ctx, given, args_line, snapshots)


def snapshot_label(item: Any) -> tuple[str | None, int]:
    """The snapshot name a raw step takes, and its line; (None, 0) when it takes none.

    Read before the steps are checked (a check may name only a snapshot taken before it),
    so ``item`` may still be malformed: any of its keys that names a kind is asked.
    """
    for name, args in item.items() if isinstance(item, LMap) else ():
        kind = BY_NAME.get(name) if isinstance(name, str) else None
        found = kind.snapshot_name(args) if kind and kind.snapshot_name else None
        if found is not None:
            return found
    return None, 0


def missing_members(backend: type | object) -> dict[str, tuple[str, ...]]:
    """Per kind, the Backend members it calls that ``backend`` (a class or an instance)
    does not have; empty when it can run every kind."""
    out = {}
    for kind in KINDS:
        lacking = tuple(m for m in kind.calls if not callable(getattr(backend, m, None)))
        if lacking:
            out[kind.name] = lacking
    return out
