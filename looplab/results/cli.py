"""``invoke collect-results``: argument checks and console output around :func:`collect`.

Exit 0 when something was reported, 2 when nothing could be read (no journals, every
journal unreadable, no run matching the filters) or an argument is wrong. Every text that
comes from a file or the command line (run folder names, journal fields, problems) is
printed through :func:`looplab._files.for_console`: no terminal escapes, no rich markup.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from looplab._files import for_console as shown
from looplab.results._collect import FORMATS, check_formats, collect, parse_since

__all__ = ["collect_command"]

_BAR_FROM = 5  # plots: a progress bar when at least this many are drawn


def collect_command(
    results: str | Path = "results",
    *,
    scenario: str | None = None,
    backend: str | None = None,
    since: str | None = None,
    out: str | Path | None = None,
    console: Console | None = None,
    formats: str | list[str] | None = None,
) -> int:
    """``formats``: ``--format``, one or more of md, html, csv, json (comma-separated or
    repeated); None: all of them."""
    console = console or Console()
    err = Console(stderr=True)
    try:
        when = parse_since(since) if since else None
        wanted = check_formats(_split(formats)) if formats else tuple(FORMATS)
    except ValueError as exc:
        err.print(f"[red]error:[/] {shown(str(exc))}")
        return 2
    with Progress(
        TextColumn("drawing timelines"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = None

        def progress(done: int, total: int) -> None:
            nonlocal task
            if total < _BAR_FROM:
                return
            if task is None:
                task = bar.add_task("plots", total=total)
            bar.update(task, completed=done)

        try:
            result = collect(
                Path(results),
                scenario=scenario,
                backend=backend,
                since=when,
                out=Path(out) if out else None,
                progress=progress,
                formats=wanted,
            )
        except OSError as exc:  # the report (or a plot) cannot be written where asked
            where, why = exc.filename or out or results, exc.strerror or str(exc)
            err.print(f"[red]error:[/] cannot write to {shown(str(where))}: {shown(why)}")
            return 2
    for path, problem in result.skipped:
        err.print(f"[yellow]skipped[/] {shown(path)}: {shown(problem)}", soft_wrap=True)
    for run, why in result.pending:
        err.print(f"[yellow]pending[/] {shown(run)}: {shown(why)}", soft_wrap=True)
    if result.exit_code:
        err.print(f"[red]nothing reported:[/] {shown(result.message)}")
        return result.exit_code
    console.print(f"[green]ok[/] {shown(result.message)}")
    for path in result.written:
        console.print(f"  wrote {shown(str(path))}")
    return 0


def _split(formats: str | list[str]) -> list[str]:
    items = [formats] if isinstance(formats, str) else list(formats)
    return [f.strip() for item in items for f in item.split(",") if f.strip()]
