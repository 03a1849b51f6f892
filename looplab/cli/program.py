"""``python -m looplab``: the task collection of looplab.cli.tasks, run by invoke's Program.

invoke runs a collection it is given as it runs one it finds in a tasks.py: the same parser,
the same ``--help`` and ``--list``, the same configuration (looplab.cli.DEFAULTS under
invoke.yaml under ``INVOKE_LOOPLAB_*``). The one thing it skips when given the collection
is the project's invoke.yaml, which it looks for beside the tasks.py it found: here the
project is found as every command finds it (the nearest folder at or above this one with
tasks.py: :func:`looplab.cli.common.project_root`), and its invoke.yaml is read from there.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from invoke import Program

import looplab
from looplab.cli.common import project_root
from looplab.cli.tasks import namespace

__all__ = ["main", "program"]


class _Program(Program):
    def parse_collection(self) -> None:
        super().parse_collection()
        # invoke's own loader sets the project's location from where it found tasks.py,
        # then loads its invoke.yaml; given the collection, it does neither.
        self.config.set_project_location(str(project_root()))
        self.config.load_project()


def program() -> Program:
    """The program ``python -m looplab`` (and ``python -m looplab.cli``) runs."""
    return _Program(
        namespace=namespace, name="looplab", binary="python -m looplab", version=looplab.__version__
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the task ``argv`` names (default: the process's arguments); return its exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        program().run(["looplab", *args])
    except SystemExit as exc:  # invoke ends every run that is not a plain success so
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    return 0
