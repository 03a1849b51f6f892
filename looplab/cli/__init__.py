"""looplab's command line, the top of the house: nothing in looplab imports it.

One surface: the invoke tasks of :mod:`looplab.cli.tasks` (:data:`namespace`). The
project's tasks.py hands that collection to ``invoke``; ``python -m looplab`` (and
``python -m looplab.cli``) runs the same collection through invoke's Program
(:mod:`looplab.cli.program`), so every task has the same options both ways.

The modules, from the top (no circle: pyproject.toml's contract for this package):

- ``program``: ``python -m looplab``;
- ``tasks``: the tasks, each a few lines calling a command;
- ``commands``: scenario, scenarios, validate, collect-results; ``aws``: kill-switch,
  operator-policy (the stack record only); ``deploy``: deploy, remove (``npx sls``);
- ``backends`` (the backend registry as a command sees it), ``overrides`` (``--param``,
  ``--sim``), ``console`` (problems, the plan, the live run);
- ``common``: exit codes, defaults, BadInput, the project's root, the checks of every value.

The names below are re-exported for library use and tests (``looplab.cli.BACKENDS`` is the
backend registry's own table: tests register fakes in it). A test that replaces a seam
(``load_stack_for``) replaces it in the module that calls it, :mod:`looplab.cli.commands`.
"""

from looplab.cli.aws import kill_switch_command, operator_policy_command
from looplab.cli.backends import BACKENDS, check_backend_name, invocation_budget, make_backend
from looplab.cli.commands import (
    MAX_ERROR,
    check_simulable,
    collect_command,
    list_command,
    load_shape_stack,
    load_stack_for,
    scenario_command,
    scenario_stacks,
    validate_command,
)
from looplab.cli.common import (
    DEFAULT_FILE,
    DEFAULTS,
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    BadInput,
    check_endpoint_url,
    check_folder,
    check_name,
    check_region,
    check_stage,
    check_text,
    parse_int_option,
    project_root,
)
from looplab.cli.console import MAX_SHOWN, ConsoleListener, clean, print_plan, print_problems
from looplab.cli.overrides import OverrideError, command_overrides
from looplab.cli.program import main, program
from looplab.cli.tasks import namespace

__all__ = [
    "BACKENDS",
    "DEFAULTS",
    "DEFAULT_FILE",
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "EXIT_OK",
    "MAX_ERROR",
    "MAX_SHOWN",
    "BadInput",
    "ConsoleListener",
    "OverrideError",
    "check_backend_name",
    "check_endpoint_url",
    "check_folder",
    "check_name",
    "check_region",
    "check_simulable",
    "check_stage",
    "check_text",
    "clean",
    "collect_command",
    "command_overrides",
    "invocation_budget",
    "kill_switch_command",
    "list_command",
    "load_shape_stack",
    "load_stack_for",
    "main",
    "make_backend",
    "namespace",
    "operator_policy_command",
    "parse_int_option",
    "print_plan",
    "print_problems",
    "program",
    "project_root",
    "scenario_command",
    "scenario_stacks",
    "validate_command",
]
