"""The console side of the command line: problems, the dry-run plan, the live run.

:class:`ConsoleListener` hears the engine (looplab.engine.Listener): a live line per step, a
bar while a wait takes real time (a progress line every ``progress_every`` seconds when the
output is piped), and at the end the expectations, the warnings, the status and where the
journal is.

Every piece of user text (descriptions, parameters, bodies, notes) goes through
:func:`clean` first: terminal escapes removed (a description must not clear the screen or
set the window title), rich markup escaped (a ``[/bad]`` parameter is text, not a tag), and
long values shortened (rich's highlighter is slow on a 300 KB body; the journal keeps it all).
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
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from looplab._files import TERMINAL_ESCAPES
from looplab.scenarios import Scenario, ScenarioError, Step
from looplab.scenarios.kinds import BY_NAME

__all__ = ["MAX_SHOWN", "ConsoleListener", "clean", "print_plan", "print_problems"]

# Characters of one user value the console shows; the journal keeps the whole value.
MAX_SHOWN = 200
# The terminal escapes and control characters removed from user text: one pattern for all of
# looplab (looplab._files, where results' console output finds it too).
_ESCAPES = TERMINAL_ESCAPES


def clean(value: object, most: int = MAX_SHOWN) -> str:
    """User text made safe for the console: no escapes, no markup, at most ``most`` chars."""
    text = value if isinstance(value, str) else str(value)
    size = len(text)
    # Cut before the regex too, so a 300 KB value costs what a short one does.
    text = _ESCAPES.sub("", text[: most * 4])
    if size > most or len(text) > most:
        text = f"{text[:most]}… ({size:,} characters)"
    return escape(text)


def _params(values: dict[str, Any]) -> str:
    """The dict as Python shows it; escapes are removed first (repr would show ``\\x1b``)."""

    def shown(value: Any) -> str:
        return clean(repr(_ESCAPES.sub("", value) if isinstance(value, str) else value))

    return "{" + ", ".join(f"{shown(k)}: {shown(v)}" for k, v in values.items()) + "}"


def print_problems(err: Console, exc: ScenarioError) -> None:
    count = len(exc.problems)
    err.print(f"[red]{count} problem{'s' if count != 1 else ''}[/] (nothing was run):")
    for problem in exc.problems:
        err.print(f"  {clean(problem, MAX_SHOWN * 4)}", soft_wrap=True)


def print_plan(console: Console, scenario: Scenario, backend: str) -> None:
    console.print(f"[bold]{clean(scenario.name)}[/] on {clean(backend)} (dry run: nothing is run)")
    console.print(f"  {clean(scenario.description, MAX_SHOWN * 4)}")
    console.print(f"  parameters: {_params(scenario.parameters)}")
    for cond in scenario.stop_when:
        console.print(f"  stop when {clean(cond.subject())} {clean(cond.expected())}")
    for phase, steps in (("steps", scenario.steps), ("finally", scenario.finally_)):
        for index, step in enumerate(steps, 1):
            console.print(f"  {phase} {index}/{len(steps)}  {clean(step.summary())}")
            for check in getattr(step, "checks", ()):
                note = f"  [dim]({clean(check.note)})[/]" if check.note else ""
                console.print(f"      {clean(check.subject())} {clean(check.expected())}{note}")


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

    # Wall seconds between two progress lines when the output is not a terminal (CI, tee):
    # often enough to show a long AWS wait is alive, rare enough to keep a log readable.
    progress_every = 30.0

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
        self.last_line = 0.0
        self.label = ""
        self.journal: Path | None = None

    def run_started(self, scenario: Scenario, journal: Path) -> None:
        self.console.print(
            f"[bold]{clean(scenario.name)}[/]  {clean(scenario.description, MAX_SHOWN * 4)}"
        )
        self.journal = journal
        self.console.print(f"[dim]journal: {escape(str(journal))}[/]", soft_wrap=True)
        self.progress.start()

    def step_started(self, phase: str, index: int, total: int, step: Step) -> None:
        self.wall = self.last_line = time.monotonic()
        self.label = f"{phase} {index + 1}/{total}  {clean(step.summary())}"
        # total=None shows a pulsing bar until a wait reports its length.
        self.task = self.progress.add_task(self.label, total=None)

    def step_progress(self, done: float, total: float) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=done, total=total)
        now = time.monotonic()
        # Piped output has no live bar: say now and then that the wait goes on.
        if not self.console.is_terminal and now - self.last_line >= self.progress_every:
            self.last_line = now
            self.progress.console.print(
                f"   waiting {done:.0f}/{total:.0f} s  {self.label}", soft_wrap=True
            )

    def step_finished(self, phase: str, record: dict[str, Any]) -> None:
        if self.task is not None:
            self.progress.remove_task(self.task)
            self.task = None
        wall = time.monotonic() - self.wall
        mark = MARKS.get(record["status"], record["status"])
        clock = f"t={record['clock_end']:.0f}s" if record.get("clock_end") is not None else ""
        detail = _detail(record)
        self.progress.console.print(
            f" {mark} {phase:<7} {record['index'] + 1:>2}  {clean(record['summary'])}"
            f"  [dim]{clock} ({wall * 1000:.0f} ms){detail}[/]",
            soft_wrap=True,
        )

    def _print_table(self, table: Table) -> None:
        console = self.console
        if console.is_terminal:
            console.print(table)
            return
        # Piped (CI, tee): nothing re-wraps the lines, so print the table as wide as its
        # cells need instead of folding a check mid-word at 80 columns. print(width=) cannot
        # exceed the console's width, hence the width itself, put back after.
        saved = console.width
        console.width = max(saved, _natural_width(console, table))
        try:
            console.print(table)
        finally:
            console.width = saved

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
                    clean(entry["check"]),
                    clean(entry["expected"]),
                    clean(entry["actual"]),
                    "[green]pass[/]" if ok else "[red]FAIL[/]",
                    clean(entry.get("note", "") if ok else entry.get("reason", "")),
                )
            self._print_table(table)
        for warning in doc.get("warnings") or ():
            self.console.print(f"[yellow]warning:[/] {clean(warning)}", soft_wrap=True)
        status = doc["status"]
        style = STATUS_STYLE.get(status, "bold")
        clock = doc["clock"]
        self.console.print(
            f"[{style}]{status}[/]"
            + (f": {clean(doc['reason'])}" if doc.get("reason") else "")
            + f"  [dim]({clock['elapsed']:.0f} s on the {doc['backend']} clock, "
            f"{clock['wall_seconds']:.2f} s wall; cleanup {doc.get('cleanup')})[/]",
            soft_wrap=True,
        )
        self.console.print(f"journal: {escape(str(self.journal))}", soft_wrap=True)


def _natural_width(console: Console, renderable: Table) -> int:
    """The width ``renderable`` takes when nothing limits it (rich's measure caps a table)."""
    lines = console.render_lines(renderable, console.options.update_width(10_000), pad=False)
    return max((Segment.get_line_length(line) for line in lines), default=0)


def _detail(record: dict[str, Any]) -> str:
    if record.get("error"):
        return f"  {clean(record['error'])}"
    output = record.get("output") or {}
    kind = BY_NAME.get(record["kind"])
    told = kind.detail(output, clean) if kind is not None and kind.detail else ""
    if told:
        return f"  {told}"
    if "stop_condition" in output:
        return f"  {clean(output['stop_condition'].get('reason', ''))}"
    return ""
