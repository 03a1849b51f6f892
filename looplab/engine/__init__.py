"""The scenario engine: run typed steps against a Backend, keep a journal, check expectations.

It never knows which backend it drives; the CLI builds the backend and hands it over.
"""

from looplab.engine._journal import SCHEMA_VERSION, Journal, run_dir
from looplab.engine._listener import Listener
from looplab.engine._probe import counter_of
from looplab.engine._result import RunResult, RunSetupError
from looplab.engine._runner import run_scenario
from looplab.engine._signals import Interrupted, SignalGuard

__all__ = [
    "SCHEMA_VERSION",
    "Interrupted",
    "Journal",
    "Listener",
    "RunResult",
    "RunSetupError",
    "SignalGuard",
    "counter_of",
    "run_dir",
    "run_scenario",
]
