"""What a run leaves for CI: ``invoke scenario --junit-xml PATH`` and, when
``GITHUB_STEP_SUMMARY`` is set, a Markdown summary appended to the file it names.

Both are made from the run's journal (looplab.results.junit, looplab.results.step_summary),
after the run, whatever its outcome: a failed or aborted run is exactly what CI must see.
``--junit-xml`` is checked before the run (:func:`check_output_file`), so a path that can
never be written is exit 2 before anything runs, not after a long run; a write that fails
anyway (a full disk) is exit 2 "cannot write ...", as collect-results says it, and the
journal stays where it is.
"""

from __future__ import annotations

import os
from pathlib import Path

from rich.console import Console

from looplab._files import for_console
from looplab.cli.common import EXIT_BAD_INPUT, EXIT_OK, BadInput, check_text

__all__ = ["check_output_file", "write_ci_outputs"]


def check_output_file(option: str, path: Path) -> Path:
    """``path`` is a file looplab can write: not a folder, and the nearest part of its
    folder that exists is a folder this process may write in (the rest is made)."""
    check_text(option, str(path))
    if path.is_dir():
        raise BadInput(f"{option}: {path} is a folder; give a file's path, e.g. {path}/junit.xml")
    for part in path.parents:
        if part.is_symlink() or part.exists():
            if not part.is_dir():
                raise BadInput(f"{option}: {part} is not a folder, so {path} cannot be written")
            if not os.access(part, os.W_OK | os.X_OK):
                raise BadInput(f"{option}: cannot write in {part} (permission denied)")
            break
    return path


def write_ci_outputs(journal: Path, junit_xml: Path | None, err: Console) -> int:
    """Write the JUnit file (when asked) and the job summary (when ``GITHUB_STEP_SUMMARY``
    is set) from ``journal``; EXIT_OK, or EXIT_BAD_INPUT with the reason on ``err``."""
    from looplab.results.step_summary import ENV

    if junit_xml is None and not os.environ.get(ENV):
        return EXIT_OK  # nothing asked for: the journal is not even read
    from looplab.journal import JournalError, read_journal
    from looplab.results import append_step_summary, write_junit

    try:
        record = read_journal(journal)
    except JournalError as exc:
        err.print(
            f"[red]error:[/] cannot read the run's journal for CI: {for_console(exc)}",
            soft_wrap=True,
        )
        return EXIT_BAD_INPUT
    target: object = junit_xml
    try:
        if junit_xml is not None:
            junit_xml.parent.mkdir(parents=True, exist_ok=True)
            write_junit(record, junit_xml)
        target = os.environ.get(ENV)  # the step summary's file, for the message
        append_step_summary(record)
    except OSError as exc:
        where, why = exc.filename or target, exc.strerror or str(exc)
        err.print(
            # Whole paths (a shortened one cannot be found), escapes and markup taken out.
            f"[red]error:[/] cannot write to {for_console(where)}: {for_console(why)} "
            f"(the run's journal is {for_console(journal)})",
            soft_wrap=True,
        )
        return EXIT_BAD_INPUT
    return EXIT_OK
