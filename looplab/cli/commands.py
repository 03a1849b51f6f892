"""The commands behind the tasks: argument handling and console output around scenarios
and the engine.

looplab.cli.tasks (``invoke <task>`` and ``python -m looplab <task>``) calls
:func:`scenario_command`, :func:`list_command`, :func:`validate_command` and
:func:`collect_command`. Exit codes: 0 every expectation passed, 1 one failed (or the run
was aborted, or its cleanup failed), 2 bad input (nothing ran), 128+N for a signal. A
``wait until`` that times out does not change the exit code (the expectations after it
decide); it is listed as a warning in the summary and the journal.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from looplab.cli.backends import (
    BACKENDS,
    check_backend_name,
    invocation_budget,
    make_backend,
)
from looplab.cli.ci import check_output_file, write_ci_outputs
from looplab.cli.common import (
    DEFAULT_FILE,
    DEFAULTS,
    EXIT_BAD_INPUT,
    EXIT_OK,
    BadInput,
    check_endpoint_url,
    check_folder,
    check_name,
    check_stage,
    check_text,
    parse_int_option,
    project_root,
)
from looplab.cli.console import MAX_SHOWN, ConsoleListener, clean, print_plan, print_problems
from looplab.cli.overrides import OverrideError, command_overrides
from looplab.scenarios import (
    DEFAULT_SHAPE,
    SHAPES,
    ScenarioError,
    build_scenario,
    load_file,
    unknown,
    validate_file,
)

__all__ = [
    "MAX_ERROR",
    "check_simulable",
    "collect_command",
    "list_command",
    "load_shape_stack",
    "load_stack_for",
    "scenario_command",
    "scenario_stacks",
    "validate_command",
]

# Characters of one error message the console shows (a message that lists every scenario
# or every valid value fits; a pasted megabyte does not).
MAX_ERROR = 2_000


def load_stack_for(project: Path, stage: str, params: dict[str, str] | None = None) -> Any:
    """The compiled stack (``npx sls package``, cached per ``params``). A seam for tests."""
    from looplab import stack

    try:
        announce_compile(project, stage, params, SHAPES[DEFAULT_SHAPE].config)
        return stack.load_stack(project, stage=stage, params=params)
    except stack.PackageError as exc:
        raise BadInput(f"cannot compile the stack for stage {stage!r}: {exc}") from exc
    except stack.TemplateError as exc:
        raise BadInput(f"the compiled template of stage {stage!r}: {exc}") from exc


def announce_compile(project: Path, stage: str, params: dict[str, str] | None, config: str) -> None:
    """Say on stderr that ``config`` is about to be compiled, when its cache cannot serve:
    an ``sls package`` is 5-11 s of silence otherwise, on the first run of each loop shape
    and after its config, functions/ or the plugin change."""
    from looplab import stack

    if not stack.is_compiled(project.resolve(), stage, stack.DEFAULT_REGION, params, config):
        Console(stderr=True).print(
            f"[dim]compiling the stack of {clean(config)} (sls package, stage {clean(stage)}; "
            f"cached until {clean(config)}, functions/ or the plugin change)...[/]"
        )


def load_shape_stack(
    project: Path, stage: str, shape: str, params: dict[str, str] | None = None
) -> Any:
    """The compiled stack of a loop shape (looplab.scenarios.SHAPES): the post's through
    :func:`load_stack_for`, another through its own osls config (``stacks/<shape>.yml``)."""
    from looplab import stack

    config = SHAPES[shape].config if shape in SHAPES else SHAPES[DEFAULT_SHAPE].config
    if config == SHAPES[DEFAULT_SHAPE].config:
        return load_stack_for(project, stage, params)
    if not (project / config).is_file():
        raise BadInput(f"the scenario runs on stack {shape!r}, whose config {config} is missing")
    try:
        announce_compile(project, stage, params, config)
        return stack.load_stack(project, stage, stack.DEFAULT_REGION, params, config=config)
    except stack.TemplateError as exc:
        raise BadInput(f"the compiled template of {config} (stage {stage!r}): {exc}") from exc
    except Exception as exc:  # stack.PackageError and its kin: the compile failed
        raise BadInput(f"cannot compile {config} for stage {stage!r}: {exc}") from exc


def scenario_stacks(
    project: Path, file: Path, name: str, stage: str, params: dict[str, str] | None
) -> tuple[str, Any, dict[str, Any]]:
    """The shape scenario ``name`` runs on, its stack, and the stacks to validate against
    (the post's too: its scenarios read values from it)."""
    sfile, _ = load_file(file)
    shape = sfile.shape(name) if sfile is not None and name in sfile.raw else DEFAULT_SHAPE
    if shape not in SHAPES:
        shape = DEFAULT_SHAPE  # validation reports the unknown shape, with its line
    post = load_shape_stack(project, stage, DEFAULT_SHAPE, params)
    if shape == DEFAULT_SHAPE:
        return shape, post, {DEFAULT_SHAPE: post}
    own = load_shape_stack(project, stage, shape, params)
    return shape, own, {DEFAULT_SHAPE: post, shape: own}


def check_simulable(stack: Any) -> None:
    """Raise BadInput listing what the local simulator refuses in ``stack`` (by template
    path); the aws backend runs any stack, so only local runs and ``validate`` check."""
    from looplab.sim.refusals import UnsupportedTemplate, check_stack

    try:
        check_stack(stack)
    except UnsupportedTemplate as exc:
        raise BadInput(str(exc)) from exc


def scenario_command(
    name: str | None,
    *,
    backend: str = DEFAULTS["backend"],
    stage: str = DEFAULTS["stage"],
    sets: Sequence[str] = (),
    params: Sequence[str] = (),
    sim: Sequence[str] = (),
    seed: int | str = 0,
    dry: bool = False,
    file: str | Path = DEFAULT_FILE,
    results: str | Path = DEFAULTS["results"],
    project: str | Path | None = None,
    allow_recursion: bool = False,
    endpoint_url: str | None = None,
    junit_xml: str | Path | None = None,
    console: Console | None = None,
) -> int:
    """Validate, then run one scenario; return the exit code.

    ``dry`` checks the file, the parameters and the backend's name, then prints the plan; it
    builds no backend (so ``--backend aws --dry`` shows the plan without touching AWS).
    ``params`` (``--param k=v``) compile the stack with those parameters; ``sim``
    (``--sim field=v``) set SimParams fields. Both are local-only and go into the journal.
    ``junit_xml``: write the run as JUnit XML there (looplab.cli.ci, with the job summary).
    """
    from looplab.engine import Interrupted, RunSetupError, run_scenario

    console = console or Console()
    err = Console(stderr=True)
    project = project_root() if project is None else Path(project)
    try:
        # Every value the command was given, before anything runs: no compile, no backend,
        # no journal for a bad one (tests/test_cli_values.py holds the table).
        seed = parse_int_option("--seed", seed)
        kind = check_backend_name(backend)
        check_stage(stage)
        check_endpoint_url(endpoint_url, backend)
        check_folder("--results", project / results)
        junit = None if junit_xml is None else check_output_file("--junit-xml", Path(junit_xml))
        _check_scenario(project / file, name, list(sets))
        try:
            overrides = command_overrides(project, backend, stage, params, sim)
        except OverrideError as exc:
            raise BadInput(str(exc)) from exc
        # --set changes the scenario as --param and --sim change its stack: the journal
        # records it, and the results keep such a run out of every comparison with the post.
        overrides["sets"] = dict(item.split("=", 1) for item in sets)  # checked above
        given = overrides["stack_params"]
        _, stack, stacks = scenario_stacks(project, project / file, name, stage, given)
        if kind.simulated:
            check_simulable(stack)
        sfile = validate_file(project / file, stacks)
        scenario = build_scenario(sfile, name, list(sets), stacks)
        if dry:
            print_plan(console, scenario, backend)
            return EXIT_OK
        instance = make_backend(
            backend,
            stack,
            seed,
            allow_recursion=allow_recursion,
            project=project,
            stage=stage,
            budget=invocation_budget(scenario),
            endpoint_url=endpoint_url,
            sim_params=overrides["simulator"],
        )
    except ScenarioError as exc:
        print_problems(err, exc)
        return EXIT_BAD_INPUT
    except BadInput as exc:
        err.print(f"[red]error:[/] {clean(str(exc), MAX_ERROR)}", soft_wrap=True)
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
            overrides=overrides,
        )
    except RunSetupError as exc:
        err.print(f"[red]error:[/] {clean(str(exc), MAX_ERROR)} (nothing was run)", soft_wrap=True)
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
            f"({clean(result.doc['console_error'], MAX_ERROR)}); the journal has everything",
            soft_wrap=True,
        )
    if result.journal_error:
        err.print(
            "[red]error:[/] the journal's last write failed: "
            + clean(result.journal_error, MAX_ERROR),
            soft_wrap=True,
        )
    ci = write_ci_outputs(result.journal_path, junit, err)
    return ci or result.exit_code


def _check_scenario(path: Path, name: str | None, sets: list[str]) -> None:
    """The scenario file's top level, ``--name`` and ``--set``, checked without the stack
    (a ScenarioError or BadInput), so none of them waits for a compile to be refused."""
    sfile, problems = load_file(path)
    if sfile is None:  # its other problems are reported with every scenario's, after this
        raise ScenarioError(problems)
    if not name:
        raise BadInput(f"which scenario? give --name NAME (one of: {', '.join(sfile.names)})")
    check_text("--name", name, 200)
    if name not in sfile.raw:
        raise BadInput("--name: " + unknown("scenario", name, sfile.names))
    problems = sfile.check_overrides(name, sets)
    if problems:
        raise ScenarioError(problems)


def list_command(
    file: str | Path = DEFAULT_FILE,
    console: Console | None = None,
    project: str | Path | None = None,
    long: bool = False,
) -> int:
    """Print every scenario, one line each (its description's first sentence), or with
    ``long`` its whole description and parameters (no stack needed); exit 2 when the
    file's top level has a problem (after listing what can be listed)."""
    console = console or Console()
    root = project_root() if project is None else Path(project)
    sfile, problems = load_file(root / file)
    if sfile is None:
        print_problems(Console(stderr=True), ScenarioError(problems))
        return EXIT_BAD_INPUT
    # Every cell is the file's text: clean() takes out terminal escapes (a YAML "\e[2J" is
    # one) and rich markup (a default of "[/bad]" is text, not a tag) from each.
    if not long:
        # One line a scenario at 80 columns: the whole rows were 10-25 lines each.
        short = Table(
            title=f"Scenarios in {clean(file)} (--long: descriptions, parameters)", expand=True
        )
        # The name and stack whole (they are what one types); the sentence gives way.
        widest = max((len(clean(n)) for n in sfile.names), default=4)
        short.add_column("name", style="bold cyan", no_wrap=True, min_width=min(widest, 40))
        short.add_column("stack", no_wrap=True, min_width=7)
        short.add_column("what it shows", overflow="ellipsis", no_wrap=True, ratio=1)
        for name in sfile.names:
            first = first_sentence(clean(sfile.description(name), MAX_SHOWN * 4))
            short.add_row(clean(name), clean(sfile.shape(name)), first)
        console.print(short)
    table = Table(title=f"Scenarios in {clean(file)}", show_lines=True)
    table.add_column("name", style="bold cyan", no_wrap=True)
    table.add_column("stack", no_wrap=True)
    table.add_column("description")
    table.add_column("parameters (--set k=v)")
    for name in sfile.names if long else ():
        params = "\n".join(
            f"{clean(p.name)}={clean(p.default)}"
            + (f"  [dim]{clean(p.description)}[/]" if p.description else "")
            for p in sfile.parameters(name)
        )
        description = clean(sfile.description(name), MAX_SHOWN * 4)
        table.add_row(clean(name), clean(sfile.shape(name)), description, params)
    if long:
        console.print(table)
    if problems:  # the top level's (version, a scenario's name): listed, and still refused
        print_problems(Console(stderr=True), ScenarioError(problems))
        return EXIT_BAD_INPUT
    return EXIT_OK


def first_sentence(text: str) -> str:
    """``text`` up to the end of its first sentence (". " or a line's end), whitespace
    folded: the one line ``invoke scenarios`` shows of a description."""
    flat = " ".join(text.split())
    end = flat.find(". ")
    return flat if end < 0 else flat[: end + 1]


def validate_command(
    file: str | Path = DEFAULT_FILE,
    *,
    stage: str = DEFAULTS["stage"],
    project: str | Path | None = None,
    console: Console | None = None,
) -> int:
    """Check the scenario file (every scenario, against the compiled stack)."""
    console = console or Console()
    project = project_root() if project is None else Path(project)
    try:
        check_stage(stage)
        stack = load_stack_for(project, stage)
        check_simulable(stack)
        sfile = validate_file(project / file, stack)
    except ScenarioError as exc:
        print_problems(Console(stderr=True), exc)
        return EXIT_BAD_INPUT
    except BadInput as exc:
        Console(stderr=True).print(f"[red]error:[/] {clean(str(exc), MAX_ERROR)}", soft_wrap=True)
        return EXIT_BAD_INPUT
    count = len(sfile.names)
    others = sum(sfile.shape(n) != DEFAULT_SHAPE for n in sfile.names)
    # The other shapes' stacks are not compiled here (one sls package each): their
    # scenarios are checked against the shapes' contract names, and compiled on a run.
    aside = f"; {others} on other loop shapes match their logical IDs" if others else ""
    console.print(
        f"[green]ok[/] {file}: {count} scenario{'s' if count != 1 else ''} "
        f"match the compiled stack (stage {stage}){aside}"
    )
    return EXIT_OK


def collect_command(
    results: str | Path = "results",
    *,
    scenario: str | None = None,
    backend: str | None = None,
    out: str | Path | None = None,
    **options: Any,
) -> int:
    """``invoke collect-results``: looplab.results does the work (imported only when asked,
    so matplotlib and Jinja2 stay out of every other command's start-up). The options are
    checked here first, so a wrong one is refused before any journal is read."""
    try:
        check_folder("the results folder", Path(results))
        if out is not None:
            check_folder("--out", Path(out))
        if scenario is not None:
            check_name("--scenario", scenario)
        if backend is not None:
            check_text("--backend", backend, 100)
            if backend not in BACKENDS:
                raise BadInput("--backend: " + unknown("backend", backend, BACKENDS))
    except BadInput as exc:
        Console(stderr=True).print(f"[red]error:[/] {clean(str(exc), MAX_ERROR)}", soft_wrap=True)
        return EXIT_BAD_INPUT
    from looplab.results.cli import collect_command as collect

    return collect(results, scenario=scenario, backend=backend, out=out, **options)
