"""The console side of the command line: problems, the dry-run plan, the live run.

:class:`ConsoleListener` hears the engine (looplab.engine.Listener): a live line per step, a
bar while a wait takes real time, and at the end the expectations, the warnings, the status
and where the journal is.
"""

from __future__ import annotations

import time
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

from looplab.scenarios import Scenario, ScenarioError, Step


def print_problems(err: Console, exc: ScenarioError) -> None:
    count = len(exc.problems)
    err.print(f"[red]{count} problem{'s' if count != 1 else ''}[/] (nothing was run):")
    for problem in exc.problems:
        err.print(f"  {escape(str(problem))}", soft_wrap=True)


def print_plan(console: Console, scenario: Scenario, backend: str) -> None:
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
            # On a narrow terminal the check wraps rather than losing its selector.
            table.add_column("check", overflow="fold")
            for column in ("expected", "actual", "result", "note"):
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
        for warning in doc.get("warnings") or ():
            self.console.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
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
