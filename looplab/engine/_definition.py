"""What defines a run, for its journal: the stack as compiled, the backend's own settings,
looplab's version and commit. Two runs with equal definitions and seeds on the simulator
are the same run; on AWS the definition says what to compare.
"""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import looplab
from looplab._files import TEMPLATE, sha256_file
from looplab.backends.base import Backend

__all__ = ["run_definition"]

_TEMPLATE = "cloudformation-template-update-stack.json"  # what `sls package` writes
_SOURCE = Path(looplab.__file__).resolve().parent.parent


def run_definition(
    stack: Any | None, backend: Backend, overrides: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The journal's ``definition`` section. Never raises: what cannot be known is None.

    ``overrides``: what the command line changed (``--param`` -> ``stack_params``, ``--sim``
    -> ``simulator``, ``--set`` -> ``sets``); their effect is in ``stack``, ``backend`` and
    the run's ``parameters`` too, this says why.
    """
    given = overrides or {}
    recorded: dict[str, Any] = {
        "stack_params": dict(given.get("stack_params") or {}),
        "simulator": _plain(dict(given.get("simulator") or {})),
    }
    if given.get("sets"):
        # ``--set name=value``: the scenario's own parameters, changed (the results treat a
        # run with any override as not the post's; kept out when empty, so a journal of
        # the defaults is as it was).
        recorded["sets"] = _plain(dict(given["sets"]))
    definition: dict[str, Any] = {
        "overrides": recorded,
        "looplab_version": looplab.__version__,
        "git_commit": git_commit(_SOURCE),
        "stack": describe_stack(stack) if stack is not None else None,
        "template_sha256": template_sha256(stack) if stack is not None else None,
        "backend": None,
    }
    try:
        definition["backend"] = _plain(backend.describe())
    except Exception as exc:
        definition["backend"] = {"error": f"{type(exc).__name__}: {exc}"}
    return definition


def describe_stack(stack: Any) -> dict[str, Any]:
    """The stack's parameters as compiled: every queue, function and mapping setting."""
    out: dict[str, Any] = {}
    for attr in ("name", "stage", "region", "account_id"):
        if hasattr(stack, attr):
            out[attr] = getattr(stack, attr)
    for part in ("queues", "functions", "mappings"):
        items = getattr(stack, part, {}) or {}
        out[part] = {lid: _plain(spec) for lid, spec in sorted(items.items())}
    return out


def template_sha256(stack: Any) -> str | None:
    """SHA-256 of the compiled template the stack was read from, when it can be found
    (``load_stack`` keeps the package's code in ``<compiled>/code`` beside it)."""
    for spec in (getattr(stack, "functions", {}) or {}).values():
        code_dir = getattr(spec, "code_dir", None)
        if code_dir is None:
            continue
        for candidate in (Path(code_dir).parent / _TEMPLATE, Path(code_dir) / _TEMPLATE):
            if candidate.is_file():
                try:
                    return sha256_file(candidate, TEMPLATE)  # bounded, never read whole
                except OSError:
                    return None  # replaced since, or too large: the run says "unknown"
    return None


def git_commit(folder: Path) -> str | None:
    """The commit looplab runs from (``+dirty`` when its files differ), or None."""
    try:
        head = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = head.stdout.strip()
    return f"{commit}+dirty" if dirty.returncode == 0 and dirty.stdout.strip() else commit


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, SimpleNamespace):
        return {k: _plain(v) for k, v in vars(value).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)
