"""The command line: argument handling and console output around scenarios and the engine.

tasks.py calls :func:`scenario_command`, :func:`list_command` and :func:`validate_command`;
``python -m looplab.cli`` offers the same without invoke. Exit codes: 0 every expectation
passed, 1 one failed (or the run was aborted), 2 bad input (nothing ran), 128+N for a signal.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from looplab.backends.base import Backend
from looplab.scenarios import Scenario, ScenarioError, Step, build_scenario, validate_file

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
DEFAULT_FILE = "scenarios.yaml"
BackendFactory = Callable[..., Backend]


class BadInput(Exception):
    """Something the user asked for cannot be done as asked (exit 2, nothing ran)."""


def _local(stack: Any, seed: int, **_: Any) -> Backend:
    try:
        from looplab.backends.local import LocalBackend
    except ImportError as exc:
        raise BadInput(f"the local backend is not available: {exc}") from exc
    return LocalBackend(stack, seed=seed)


def _aws(stack: Any, seed: int, **_: Any) -> Backend:
    raise BadInput(
        "the aws backend is not implemented yet (it is a later issue; see DESIGN.md, "
        "'The Backend interface'); use --backend local"
    )


# Name -> factory(stack, seed, allow_recursion=...). Tests register fakes here.
BACKENDS: dict[str, BackendFactory] = {"local": _local, "aws": _aws}


def make_backend(name: str, stack: Any, seed: int = 0, *, allow_recursion: bool = False) -> Backend:
    """Build the backend called ``name``; raise BadInput for an unknown or unavailable one."""
    factory = BACKENDS.get(name)
    if factory is None:
        from looplab.scenarios._errors import unknown

        raise BadInput(unknown("backend", name, BACKENDS))
    return factory(stack, seed, allow_recursion=allow_recursion)


def load_stack_for(project: Path, stage: str) -> Any:
    """The compiled stack (``npx sls package``, cached). A seam for tests."""
    from looplab._package import PackageError
    from looplab.stack import load_stack

    try:
        return load_stack(project, stage=stage)
    except PackageError as exc:
        raise BadInput(f"cannot compile the stack for stage {stage!r}: {exc}") from exc


def scenario_command(
    name: str,
    *,
    backend: str = "local",
    stage: str = "dev",
    sets: Sequence[str] = (),
    seed: int = 0,
    dry: bool = False,
    file: str | Path = DEFAULT_FILE,
    results: str | Path = "results",
    project: str | Path = ".",
    allow_recursion: bool = False,
    console: Console | None = None,
) -> int:
    """Validate, then run one scenario; return the exit code."""
    console = console or Console()
    err = Console(stderr=True)
    project = Path(project)
    try:
        stack = load_stack_for(project, stage)
        sfile = validate_file(project / file, stack)
        scenario = build_scenario(sfile, name, list(sets), stack)
        if dry:
            _print_plan(console, scenario, backend)
            return EXIT_OK
        instance = make_backend(backend, stack, seed, allow_recursion=allow_recursion)
    except ScenarioError as exc:
        _print_problems(err, exc)
        return EXIT_BAD_INPUT
    except BadInput as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        err.print("interrupted before anything ran")
        return 130
    from looplab.engine import run_scenario

    try:
        result = run_scenario(
            scenario,
            instance,
            results=project / results,
            seed=seed,
            stage=stage,
            queues=sorted(stack.queues),
            listener=ConsoleListener(console),
        )
    finally:
        instance.close()
    return result.exit_code


def list_command(file: str | Path = DEFAULT_FILE, console: Console | None = None) -> int:
    """Print every scenario with its description and parameters (no stack needed)."""
    from looplab.scenarios import load_file

    console = console or Console()
    sfile, problems = load_file(Path(file))
    if sfile is None:
        _print_problems(Console(stderr=True), ScenarioError(problems))
        return EXIT_BAD_INPUT
    table = Table(title=f"Scenarios in {file}", show_lines=True)
    table.add_column("name", style="bold cyan", no_wrap=True)
    table.add_column("description")
    table.add_column("parameters (--set k=v)")
    for name in sfile.names:
        params = "\n".join(
            f"{p.name}={p.default}"
            + (f"  [dim]{escape(p.description)}[/]" if p.description else "")
            for p in sfile.parameters(name)
        )
        table.add_row(name, escape(sfile.description(name)), params)
    console.print(table)
    return EXIT_OK


def validate_command(
    file: str | Path = DEFAULT_FILE,
    *,
    stage: str = "dev",
    project: str | Path = ".",
    console: Console | None = None,
) -> int:
    """Check the scenario file (every scenario, against the compiled stack)."""
    console = console or Console()
    project = Path(project)
    try:
        stack = load_stack_for(project, stage)
        sfile = validate_file(project / file, stack)
    except ScenarioError as exc:
        _print_problems(Console(stderr=True), exc)
        return EXIT_BAD_INPUT
    except BadInput as exc:
        Console(stderr=True).print(f"[red]error:[/] {escape(str(exc))}")
        return EXIT_BAD_INPUT
    count = len(sfile.names)
    console.print(
        f"[green]ok[/] {file}: {count} scenario{'s' if count != 1 else ''} "
        f"match the compiled stack (stage {stage})"
    )
    return EXIT_OK


def _print_problems(err: Console, exc: ScenarioError) -> None:
    count = len(exc.problems)
    err.print(f"[red]{count} problem{'s' if count != 1 else ''}[/] (nothing was run):")
    for problem in exc.problems:
        err.print(f"  {escape(str(problem))}", soft_wrap=True)


def _print_plan(console: Console, scenario: Scenario, backend: str) -> None:
    console.print(f"[bold]{scenario.name}[/] on {backend} (dry run: nothing is run)")
    console.print(f"  {escape(scenario.description)}")
    console.print(f"  parameters: {scenario.parameters}")
    for cond in scenario.stop_when:
        console.print(f"  stop when {escape(cond.subject())} {cond.expected()}")
    for phase, steps in (("steps", scenario.steps), ("finally", scenario.finally_)):
        for index, step in enumerate(steps, 1):
            console.print(f"  {phase} {index}/{len(steps)}  {escape(step.summary())}")
            for check in getattr(step, "checks", ()):
                console.print(f"      {escape(check.subject())} {check.expected()}")


MARKS = {
    "ok": "[green]✓[/]",
    "failed": "[red]✗[/]",
    "error": "[red]![/]",
    "timeout": "[yellow]⌛[/]",
    "stopped": "[red]■[/]",
    "interrupted": "[yellow]⚡[/]",
}
STATUS_STYLE = {"completed": "green", "failed": "red", "aborted": "red", "interrupted": "yellow"}


class _SecondsColumn(ProgressColumn):
    """``done/total s`` for a wait; blank while a step has no known length."""

    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text("")
        return Text(f"{task.completed:>5.0f}/{task.total:.0f} s", style="progress.download")


class ConsoleListener:
    """A live line per step; a bar when a wait takes real time; the expectations at the end."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            _SecondsColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self.task: Any = None
        self.wall = 0.0
        self.journal: Path | None = None

    def run_started(self, scenario: Scenario, journal: Path) -> None:
        self.console.print(f"[bold]{scenario.name}[/]  {escape(scenario.description)}")
        self.journal = journal
        self.console.print(f"[dim]journal: {journal}[/]")
        self.progress.start()

    def step_started(self, phase: str, index: int, total: int, step: Step) -> None:
        self.wall = time.monotonic()
        label = f"{phase} {index + 1}/{total}  {escape(step.summary())}"
        # total=None shows a pulsing bar until a wait reports its length.
        self.task = self.progress.add_task(label, total=None)

    def step_progress(self, done: float, total: float) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=done, total=total)

    def step_finished(self, phase: str, record: dict[str, Any]) -> None:
        if self.task is not None:
            self.progress.remove_task(self.task)
            self.task = None
        wall = time.monotonic() - self.wall
        mark = MARKS.get(record["status"], record["status"])
        clock = f"t={record['clock_end']:.0f}s" if record.get("clock_end") is not None else ""
        detail = _detail(record)
        self.progress.console.print(
            f" {mark} {phase:<7} {record['index'] + 1:>2}  {escape(record['summary'])}"
            f"  [dim]{clock} ({wall * 1000:.0f} ms){detail}[/]",
            soft_wrap=True,
        )

    def run_finished(self, doc: dict[str, Any]) -> None:
        self.progress.stop()
        if doc["expectations"]:
            table = Table(title="Expectations")
            for column in ("check", "expected", "actual", "result", "note"):
                table.add_column(column)
            for entry in doc["expectations"]:
                ok = entry["passed"]
                table.add_row(
                    escape(entry["check"]),
                    entry["expected"],
                    str(entry["actual"]),
                    "[green]pass[/]" if ok else "[red]FAIL[/]",
                    escape(entry.get("note", "") if ok else entry.get("reason", "")),
                )
            self.console.print(table)
        status = doc["status"]
        style = STATUS_STYLE.get(status, "bold")
        clock = doc["clock"]
        self.console.print(
            f"[{style}]{status}[/]"
            + (f": {escape(str(doc['reason']))}" if doc.get("reason") else "")
            + f"  [dim]({clock['elapsed']:.0f} s on the {doc['backend']} clock, "
            f"{clock['wall_seconds']:.2f} s wall; cleanup {doc.get('cleanup')})[/]",
            soft_wrap=True,
        )
        self.console.print(f"journal: {self.journal}")


def _detail(record: dict[str, Any]) -> str:
    if record.get("error"):
        return f"  {escape(record['error'])}"
    output = record.get("output") or {}
    if record["kind"] == "drain":
        counters = [m.get("counter") for m in output.get("messages", [])]
        return f"  drained {len(counters)}: counters {counters}"
    if record["kind"] == "wait" and "held" in output:
        return f"  waited {output['waited']:.0f} s, held: {output['held']}"
    if "stop_condition" in output:
        return f"  {escape(str(output['stop_condition'].get('reason', '')))}"
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="looplab", description=__doc__.splitlines()[0])
    parser.add_argument("--file", default=DEFAULT_FILE, help="the scenario file")
    parser.add_argument("--project", default=".", help="folder with serverless.yml")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("scenario", help="run one scenario")
    run.add_argument("--name", required=True, help="the scenario to run")
    run.add_argument("--backend", default="local", help="local (simulator) or aws")
    run.add_argument("--stage", default="dev", help="the stack's stage")
    run.add_argument("--set", dest="sets", action="append", default=[], help="parameter k=v")
    run.add_argument("--seed", type=int, default=0, help="the simulator's random seed")
    run.add_argument("--dry", action="store_true", help="validate and show the plan only")
    run.add_argument("--results", default="results", help="where runs/ goes")
    run.add_argument("--allow-recursion", action="store_true", help="permit RecursiveLoop Allow")
    sub.add_parser("scenarios", help="list the scenarios")
    check = sub.add_parser("validate", help="check the scenario file against the stack")
    check.add_argument("--stage", default="dev", help="the stack's stage")
    args = parser.parse_args(argv)
    if args.command == "scenarios":
        return list_command(Path(args.project) / args.file)
    if args.command == "validate":
        return validate_command(args.file, stage=args.stage, project=args.project)
    return scenario_command(
        args.name,
        backend=args.backend,
        stage=args.stage,
        sets=args.sets,
        seed=args.seed,
        dry=args.dry,
        file=args.file,
        results=args.results,
        project=args.project,
        allow_recursion=args.allow_recursion,
    )


if __name__ == "__main__":
    sys.exit(main())
