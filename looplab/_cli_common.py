"""What every command of looplab.cli shares: the exit codes, the defaults, and BadInput.

Its own module so the command helpers kept beside looplab.cli (the backend registry in
_cli_backends) can raise BadInput and read the defaults without importing looplab.cli,
which imports them; looplab.cli re-exports every name here.
"""

from __future__ import annotations

__all__ = [
    "DEFAULTS",
    "DEFAULT_FILE",
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "EXIT_OK",
    "BadInput",
]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
# The one home of the defaults: tasks.py hands them to invoke's config (invoke.yaml and
# INVOKE_LOOPLAB_* override them), and the argparse entry point (_cli_argv) uses them directly.
DEFAULTS = {
    "backend": "local",
    "stage": "dev",
    "results": "results",
    "scenarios": "scenarios.yaml",
}
DEFAULT_FILE = DEFAULTS["scenarios"]


class BadInput(Exception):
    """Something the user asked for cannot be done as asked (exit 2, nothing ran)."""
