"""invoke's entry point: the project's tasks are looplab's command line (looplab.cli.tasks).

``invoke <task>`` here and ``python -m looplab <task>`` anywhere in the project run the same
collection. Run ``invoke --list`` for the tasks and ``invoke --help TASK`` for their arguments.
"""

from looplab.cli import namespace

__all__ = ["namespace"]
