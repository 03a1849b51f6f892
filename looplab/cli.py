"""The command line: argument handling and console output around scenarios and the engine.

tasks.py calls :func:`scenario_command`, :func:`list_command` and :func:`validate_command`;
``python -m looplab.cli`` offers the same without invoke. Exit codes: 0 every expectation
passed, 1 one failed (or the run was aborted, or its cleanup failed), 2 bad input (nothing
ran), 128+N for a signal. A ``wait until`` that times out does not change the exit code (the
expectations after it decide); it is listed as a warning in the summary and the journal.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from looplab.backends.base import Backend
from looplab.cli_console import ConsoleListener, print_plan, print_problems
from looplab.scenarios import (
    ScenarioError,
    build_scenario,
    unknown,
    validate_file,
)

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
# The one home of the defaults: tasks.py hands them to invoke's config (invoke.yaml and
# INVOKE_LOOPLAB_* override them), and the argparse entry point below uses them directly.
DEFAULTS = {
    "backend": "local",
    "stage": "dev",
    "results": "results",
    "scenarios": "scenarios.yaml",
}
DEFAULT_FILE = DEFAULTS["scenarios"]
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
    check_backend_name(name)
    return BACKENDS[name](stack, seed, allow_recursion=allow_recursion)


def check_backend_name(name: str) -> None:
    """Raise BadInput for a backend name that is not registered (with the valid choices)."""
    if name not in BACKENDS:
        raise BadInput(unknown("backend", name, BACKENDS))


def load_stack_for(project: Path, stage: str) -> Any:
    """The compiled stack (``npx sls package``, cached). A seam for tests."""
    from looplab._package import PackageError
    from looplab.stack import TemplateError, load_stack

    try:
        return load_stack(project, stage=stage)
    except PackageError as exc:
        raise BadInput(f"cannot compile the stack for stage {stage!r}: {exc}") from exc
    except TemplateError as exc:
        raise BadInput(f"the compiled template of stage {stage!r}: {exc}") from exc


def check_simulable(stack: Any) -> None:
    """Raise BadInput listing what the local simulator refuses in ``stack`` (by template
    path); the aws backend runs any stack, so only local runs and ``validate`` check."""
    from looplab.sim.refusals import UnsupportedTemplate, check_stack
    from looplab.stack import Stack

    if isinstance(stack, Stack):  # tests' fake stacks have no template to check
        try:
            check_stack(stack)
        except UnsupportedTemplate as exc:
            raise BadInput(str(exc)) from exc


def scenario_command(
    name: str,
    *,
    backend: str = DEFAULTS["backend"],
    stage: str = DEFAULTS["stage"],
    sets: Sequence[str] = (),
    seed: int = 0,
    dry: bool = False,
    file: str | Path = DEFAULT_FILE,
    results: str | Path = DEFAULTS["results"],
    project: str | Path = ".",
    allow_recursion: bool = False,
    console: Console | None = None,
) -> int:
    """Validate, then run one scenario; return the exit code.

    ``dry`` checks the file, the parameters and the backend's name, then prints the plan; it
    builds no backend (so ``--backend aws --dry`` shows the plan without touching AWS).
    """
    from looplab.engine import Interrupted, RunSetupError, run_scenario

    console = console or Console()
    err = Console(stderr=True)
    project = Path(project)
    try:
        check_backend_name(backend)
        stack = load_stack_for(project, stage)
        if backend == "local":
            check_simulable(stack)
        sfile = validate_file(project / file, stack)
        scenario = build_scenario(sfile, name, list(sets), stack)
        if dry:
            print_plan(console, scenario, backend)
            return EXIT_OK
        instance = make_backend(backend, stack, seed, allow_recursion=allow_recursion)
    except ScenarioError as exc:
        print_problems(err, exc)
        return EXIT_BAD_INPUT
    except BadInput as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        err.print("interrupted before anything ran")
        return 130
    try:
        result = run_scenario(
            scenario,
            instance,
            results=project / results,
            seed=seed,
            stage=stage,
            queues=sorted(stack.queues),
            listener=ConsoleListener(console),
            stack=stack,
        )
    except RunSetupError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))} (nothing was run)")
        return EXIT_BAD_INPUT
    except Interrupted as exc:  # the engine records signals itself; this is a safety net
        err.print(f"interrupted ({exc.signame})")
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    finally:
        instance.close()
    if result.doc.get("console_error"):
        err.print(
            f"[yellow]warning:[/] the console failed during the run "
            f"({escape(result.doc['console_error'])}); the journal has everything",
            soft_wrap=True,
        )
    if result.journal_error:
        err.print(
            f"[red]error:[/] the journal's last write failed: {escape(result.journal_error)}",
            soft_wrap=True,
        )
    return result.exit_code


def list_command(file: str | Path = DEFAULT_FILE, console: Console | None = None) -> int:
    """Print every scenario with its description and parameters (no stack needed)."""
    from looplab.scenarios import load_file

    console = console or Console()
    sfile, problems = load_file(Path(file))
    if sfile is None:
        print_problems(Console(stderr=True), ScenarioError(problems))
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
    stage: str = DEFAULTS["stage"],
    project: str | Path = ".",
    console: Console | None = None,
) -> int:
    """Check the scenario file (every scenario, against the compiled stack)."""
    console = console or Console()
    project = Path(project)
    try:
        stack = load_stack_for(project, stage)
        check_simulable(stack)
        sfile = validate_file(project / file, stack)
    except ScenarioError as exc:
        print_problems(Console(stderr=True), exc)
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="looplab", description=__doc__.splitlines()[0])
    parser.add_argument("--file", default=DEFAULT_FILE, help="the scenario file")
    parser.add_argument("--project", default=".", help="folder with serverless.yml")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "scenario",
        help="run one scenario",
        description="Run one scenario. Exit 0: every expectation passed; 1: one failed, the "
        "run was aborted or its cleanup failed; 2: bad input, nothing ran; 130/143: SIGINT/"
        "SIGTERM. A 'wait until' that times out is a warning, not a failure.",
    )
    run.add_argument("--name", required=True, help="the scenario to run (see 'scenarios')")
    run.add_argument(
        "--backend",
        default=DEFAULTS["backend"],
        choices=sorted(BACKENDS),
        help=f"where to run: local (the simulator) or aws (default: {DEFAULTS['backend']})",
    )
    run.add_argument("--stage", default=DEFAULTS["stage"], help="the stack's stage")
    run.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario parameter, e.g. counter=7 (repeatable; the value takes "
        "the default's type)",
    )
    run.add_argument("--seed", type=int, default=0, help="the simulator's random seed")
    run.add_argument(
        "--dry", action="store_true", help="validate and show the plan; build no backend"
    )
    run.add_argument("--results", default=DEFAULTS["results"], help="where runs/ goes")
    run.add_argument("--allow-recursion", action="store_true", help="permit RecursiveLoop Allow")
    sub.add_parser("scenarios", help="list the scenarios")
    check = sub.add_parser("validate", help="check the scenario file against the stack")
    check.add_argument("--stage", default=DEFAULTS["stage"], help="the stack's stage")
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
