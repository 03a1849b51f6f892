"""``python tests/_support/slow_cli.py scenario ...``: the real CLI (``python -m looplab``'s)
with the tests' fake stack and a ``slow`` backend whose simulated seconds cost real time
(SLOW_REALTIME wall s per s), so a signal can land mid-run. The scenario file and the
results folder come from the configuration, as for ``invoke``: INVOKE_LOOPLAB_SCENARIOS,
INVOKE_LOOPLAB_RESULTS.
Used by test_engine_signals.py and test_cli_run.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))  # tests/, the folder that holds _support

from _support.fakes import FakeBackend, fake_kind, fake_stack
from looplab import cli
from looplab.cli import commands


def _slow(stack: object, seed: int, **_: object) -> FakeBackend:
    return FakeBackend(name="slow", realtime=float(os.environ.get("SLOW_REALTIME", "0.01")))


commands.load_stack_for = lambda project, stage, params=None: fake_stack()
cli.BACKENDS["slow"] = fake_kind(_slow)
sys.exit(cli.main(sys.argv[1:]))
