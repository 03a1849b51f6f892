"""Golden runs: every shipped scenario, run on the simulator with seed 0, recorded once and
compared on every test run, so a refactor that changes behaviour is seen.

A recording (``tests/data/golden/<scenario>.json``) holds the run's exit code, the
simulator's event log (the ordered ``<virtual time>\\t<kind>\\t<detail>`` lines that
``Simulator(event_log=...)`` writes: sends, receives, invokes, ends, drops, redrives,
publishes, ...) and its journal, with only the fields listed in :data:`VOLATILE` and
:data:`PROJECT_PATHS` normalised. Everything else (virtual times, counts, bodies, ids drawn
from the seeded RNG, the order of events and rows) must match exactly.

A run goes through the command a user types (``invoke scenario --name NAME``, i.e.
:func:`looplab.cli.scenario_command`), so the shape scenarios compile their own
``stacks/<shape>.yml`` as they do for a user. :func:`scenario_names`, :func:`run_golden`
and its backend hook are the only code here that knows looplab's API: when the redesign
moves that API, they follow and the recordings stay as they are. Re-recording
(``python tests/golden/record.py``) is a deliberate act whose diff is reviewed
(docs/design.md, "Behaviour kept across refactors").
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_DIR = ROOT / "tests" / "data" / "golden"
SEED = 0

# Journal fields whose value is not behaviour, by path ("*" = any key or list index). The
# key stays (a field that disappears is still a difference); only its value is replaced.
VOLATILE: dict[tuple[str, ...], str] = {
    # Wall-clock instants: when the run, each step and each finally step started and ended.
    ("started_at",): "<wall clock>",
    ("ended_at",): "<wall clock>",
    ("steps", "*", "started_at"): "<wall clock>",
    ("steps", "*", "ended_at"): "<wall clock>",
    ("finally", "*", "started_at"): "<wall clock>",
    ("finally", "*", "ended_at"): "<wall clock>",
    # Wall seconds the run took on this host (clock/elapsed, the virtual time, is kept).
    ("clock", "wall_seconds"): "<wall seconds>",
    # The process and the machine the run happened in.
    ("pid",): "<pid>",
    ("host",): "<host>",
    # Version fields: the package version and the commit looplab ran from.
    ("looplab_version",): "<version>",
    ("definition", "looplab_version"): "<version>",
    ("definition", "git_commit"): "<commit>",
    # SHA-256 of the compiled template, which embeds the compile's wall-clock time (osls's
    # artifact key serverless/<service>/<stage>/<ms>-<ISO time>/...), so it changes on every
    # recompile, and the compile cache's key covers tasks.py, pyproject.toml and README.md,
    # which a refactor edits. What the simulator reads from the template is kept: the whole
    # definition/stack (queues, functions, mappings, their properties).
    ("definition", "template_sha256"): "<sha256 of a timestamped template>",
}

# Journal fields holding a path on this machine: the project's folder becomes "<project>"
# and the compile cache's folder (.looplab/compiled/<key of the compile's inputs>) becomes
# "<compiled>"; the rest of the path is kept.
PROJECT_PATHS: tuple[tuple[str, ...], ...] = (
    ("scenario_file",),
    ("definition", "stack", "functions", "*", "code_dir"),
)
_COMPILED = re.compile(r"^<project>/\.looplab/compiled/[0-9a-f]+(?=/|$)")


def scenario_names() -> list[str]:
    """The shipped scenarios: every one in scenarios.yaml, in its order."""
    from looplab.scenarios import load_file

    sfile, problems = load_file(ROOT / "scenarios.yaml")
    if sfile is None:
        raise RuntimeError(f"scenarios.yaml does not load: {problems}")
    return list(sfile.names)


def golden_path(name: str) -> Path:
    return GOLDEN_DIR / f"{name}.json"


@contextmanager
def _local_backend_logging_to(log: io.StringIO) -> Iterator[None]:
    """The command's ``local`` backend, built as looplab.cli builds it, with the
    simulator's event log written to ``log`` (the command itself keeps none)."""
    from looplab import cli
    from looplab.backends.local import LocalBackend
    from looplab.sim import SimParams

    def local(stack: Any, seed: int, *, sim_params: dict[str, Any] | None = None, **_: Any):
        # The handler's wall time never enters the virtual clock here: a busy machine
        # stalling one handler past handler_time_quantum (1 s) would otherwise move
        # events, and this test must not depend on load.
        overrides = {"handler_time_quantum": None, **(sim_params or {})}
        params = SimParams().with_overrides(**overrides)
        return LocalBackend(stack, seed=seed, params=params, event_log=log)

    shipped = cli.BACKENDS["local"]
    cli.BACKENDS["local"] = dataclasses.replace(shipped, factory=local)
    try:
        yield
    finally:
        cli.BACKENDS["local"] = shipped


def run_golden(name: str, results: Path) -> dict[str, Any]:
    """Run shipped scenario ``name`` as ``invoke scenario --name NAME --seed 0`` does, into
    ``results``; return its recording (exit code, normalised journal, event log)."""
    from rich.console import Console

    from looplab import cli

    log = io.StringIO()
    with _local_backend_logging_to(log):
        code = cli.scenario_command(
            name,
            backend="local",
            seed=SEED,
            results=results,
            project=ROOT,
            console=Console(file=io.StringIO(), width=120),
        )
    journals = sorted(results.glob("runs/*/journal.json"))
    if len(journals) != 1:
        raise AssertionError(f"{name}: expected one journal under {results}, found {journals}")
    return {
        "scenario": name,
        "seed": SEED,
        "exit_code": code,
        # The event log before the journal: the first difference reported is then the
        # earliest event that changed (the journal's figures follow from the events).
        "event_log": log.getvalue().splitlines(),
        "journal": normalise(json.loads(journals[0].read_text())),
    }


def normalise(journal: dict[str, Any]) -> dict[str, Any]:
    """``journal`` with the VOLATILE values replaced and PROJECT_PATHS made relative."""
    out = json.loads(json.dumps(journal))  # a deep copy, as JSON types
    for path, marker in VOLATILE.items():
        _replace(out, path, lambda _, marker=marker: marker)
    for path in PROJECT_PATHS:
        _replace(out, path, _project_relative)
    return out


def _project_relative(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    root = str(ROOT)
    if value == root or value.startswith(root + "/"):
        value = "<project>" + value[len(root) :]
    return _COMPILED.sub("<compiled>", value)


def _replace(node: Any, path: tuple[str, ...], new: Any) -> None:
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        keys = list(node) if head == "*" else [head] if head in node else []
    elif isinstance(node, list) and head == "*":
        keys = list(range(len(node)))
    else:
        return
    for key in keys:
        if rest:
            _replace(node[key], rest, new)
        else:
            node[key] = new(node[key])


def differences(recorded: Any, current: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """Every ``(path, recorded, current)`` where the two differ, in document order (a
    missing key or list item shows as ``<missing>``)."""
    if isinstance(recorded, dict) and isinstance(current, dict):
        for key in [*recorded, *(k for k in current if k not in recorded)]:
            yield from differences(
                recorded.get(key, _MISSING), current.get(key, _MISSING), f"{path}/{key}"
            )
    elif isinstance(recorded, list) and isinstance(current, list):
        for i in range(max(len(recorded), len(current))):
            yield from differences(
                recorded[i] if i < len(recorded) else _MISSING,
                current[i] if i < len(current) else _MISSING,
                f"{path}/{i}",
            )
    elif type(recorded) is not type(current) or recorded != current:
        yield path or "/", recorded, current


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


def explain(name: str, recorded: dict[str, Any], current: dict[str, Any], limit: int = 12) -> str:
    """A readable account of how ``current`` differs from the recording: the first
    differing path with both values, then the next few paths and the total."""
    found = list(differences(recorded, current))
    if not found:
        return ""
    path, was, now = found[0]
    lines = [
        f"{name}: the run differs from {golden_path(name).relative_to(ROOT)} "
        f"at {len(found)} path(s); the first:",
        f"  {path}",
        f"    recorded: {_short(was)}",
        f"    now:      {_short(now)}",
    ]
    if len(found) > 1:
        lines.append("  then:")
        lines += [f"    {p}: {_short(w)} -> {_short(n)}" for p, w, n in found[1:limit]]
        if len(found) > limit:
            lines.append(f"    ... and {len(found) - limit} more")
    lines.append(
        "If the change is intended, re-record (python tests/golden/record.py "
        f"{name}) and have the recording's diff reviewed."
    )
    return "\n".join(lines)


def _short(value: Any, width: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def dump(recording: dict[str, Any]) -> str:
    """The recording as stored: one field, event or timeline row per line, so a
    re-recording's git diff shows each change on its own line."""
    return _dump(recording, "") + "\n"


def _dump(value: Any, indent: str) -> str:
    inner = indent + " "
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k)}: {_dump(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list) and value and not _one_line(value):
        items = [f"{inner}{_dump(v, inner)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{indent}]"
    return json.dumps(value, ensure_ascii=False)


def _one_line(items: list[Any]) -> bool:
    """A short list of plain values (a timeline row, a pair) is one line; the event log,
    a long list of counters or a list of records is one item per line."""
    plain = not any(isinstance(v, (dict, list)) for v in items)
    return plain and len(json.dumps(items, ensure_ascii=False)) <= 200
