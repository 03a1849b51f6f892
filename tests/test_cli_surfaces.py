"""One command line: ``invoke <task>`` and ``python -m looplab <task>`` are the same tasks with
the same options, the same help and the same configuration.

Before, ``python -m looplab.cli`` was a hand-mirrored argparse parser that had drifted: it had
no deploy, remove or collect-results, took ``--file``/``--project``/``--results`` that the
tasks did not, and ``python -m looplab`` did not exist. Now both run the collection of
looplab.cli.tasks; these tests compare what each surface offers, task by task and option by
option, so a second parser cannot creep back in unseen.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import invoke
import pytest

from looplab import cli

ROOT = Path(__file__).resolve().parent.parent


def _invoke_collection(monkeypatch: pytest.MonkeyPatch) -> invoke.Collection:
    """The collection ``invoke`` finds in the project's tasks.py, loaded as invoke loads it
    (its loader puts the project on sys.path and the module in sys.modules: both undone)."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "tasks", raising=False)
    loader = invoke.FilesystemLoader(start=str(ROOT))
    module, parent = loader.load("tasks")
    monkeypatch.delitem(sys.modules, "tasks", raising=False)
    return invoke.Collection.from_module(module, loaded_from=parent)


def _arguments(collection: invoke.Collection) -> dict[str, list[tuple[Any, ...]]]:
    """Every task's options as its parser takes them: names, kind, default, help, and
    whether it repeats or takes an optional value."""
    return {
        context.name: sorted(
            (
                tuple(arg.names),
                arg.kind.__name__,
                repr(arg.default),
                arg.help,
                arg.optional,
                arg.incrementable,
                arg.positional,
            )
            for arg in context.flags.values()
            if arg.names[0] == arg.name  # each argument once, not once per alias
        )
        for context in collection.to_contexts()
    }


def _run_invoke(args: list[str], monkeypatch: pytest.MonkeyPatch, cwd: Path = ROOT) -> int:
    """``invoke ARGS`` in ``cwd``, in this process (invoke's own Program, which finds tasks.py)."""
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "tasks", raising=False)
    try:
        invoke.Program(binary="invoke").run(["invoke", *args])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    finally:
        sys.modules.pop("tasks", None)
    return 0


def _same_text(invoked: str, moduled: str) -> tuple[str, str]:
    """Help texts with each program's own name and headings made alike: the rest must match."""
    invoked = invoked.replace("Usage: invoke ", "Usage: PROGRAM ")
    invoked = invoked.replace("Available tasks:", "TASKS:")
    moduled = moduled.replace("Usage: python -m looplab ", "Usage: PROGRAM ")
    return invoked, moduled.replace("Subcommands:", "TASKS:")


def test_both_surfaces_run_one_collection_with_the_same_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = _invoke_collection(monkeypatch)
    bundled = cli.program().namespace
    assert bundled is cli.namespace
    assert set(found.task_names) == set(bundled.task_names)
    # Every task a user has read about: the post's runs, the stack, the rails, the results.
    assert {
        "scenario",
        "scenarios",
        "validate",
        "deploy",
        "remove",
        "kill-switch",
        "operator-policy",
        "collect-results",
    } <= set(bundled.task_names)
    assert _arguments(found) == _arguments(bundled)
    # The defaults the tasks fall back to (invoke.yaml and INVOKE_LOOPLAB_* override them).
    assert found.configuration()["looplab"] == bundled.configuration()["looplab"] == cli.DEFAULTS


@pytest.mark.parametrize("task", sorted(cli.namespace.task_names))
def test_every_task_s_help_is_the_same_both_ways(
    task: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run_invoke(["--help", task], monkeypatch) == 0
    invoked = capsys.readouterr().out
    assert cli.main(["--help", task]) == 0
    moduled = capsys.readouterr().out
    assert f"] {task} " in moduled and "Options:" in moduled
    left, right = _same_text(invoked, moduled)
    assert left == right


def test_the_task_list_is_the_same_both_ways(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run_invoke(["--list"], monkeypatch) == 0
    invoked = capsys.readouterr().out
    assert cli.main(["--list"]) == 0
    moduled = capsys.readouterr().out
    assert "collect-results" in moduled
    left, right = _same_text(invoked, moduled)
    assert left == right


def test_both_surfaces_read_the_project_s_invoke_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``invoke`` reads invoke.yaml beside the tasks.py it finds; ``python -m looplab`` is
    given the collection, so it finds the project (and its invoke.yaml) as the commands do,
    from a subdirectory too."""
    (tmp_path / "tasks.py").write_text((ROOT / "tasks.py").read_text())
    (tmp_path / "invoke.yaml").write_text("looplab:\n  scenarios: elsewhere.yaml\n")
    (tmp_path / "elsewhere.yaml").write_text(
        "version: 1\nscenarios:\n  from-the-config: {description: d, steps: []}\n"
    )
    (tmp_path / "deeper").mkdir()
    assert _run_invoke(["scenarios"], monkeypatch, cwd=tmp_path) == 0
    invoked = capsys.readouterr().out
    monkeypatch.chdir(tmp_path / "deeper")
    assert cli.main(["scenarios"]) == 0
    moduled = capsys.readouterr().out
    assert "elsewhere.yaml" in invoked and "from-the-config" in invoked
    assert invoked == moduled


@pytest.mark.parametrize("module", ["looplab", "looplab.cli"])
def test_python_m_runs_the_tasks(module: str) -> None:
    """The real entry points, in a process of their own, from the project root."""
    proc = subprocess.run(
        [sys.executable, "-m", module, "scenario", "--name", "dlq-reconnect", "--dry"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,  # a cold start on a busy machine; the dry run itself takes ~1 s
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "dry run" in proc.stdout and "dlq-reconnect" in proc.stdout
