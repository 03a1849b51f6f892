"""Results: run journals in, the report out (``invoke collect-results``).

:func:`collect` reads ``results/runs/*/journal.json`` (through :mod:`looplab.journal`) and
writes ``report.md``, a self-contained ``report.html``, ``runs.csv`` (columns:
:data:`RUNS_CSV_COLUMNS`, documented in docs/results.md) and each run's
``timeline.png``. :data:`POST_OBSERVATIONS` is what the seed post saw, for the comparison.
"""

from looplab.results._collect import CollectResult, collect, parse_since
from looplab.results._plot import PlotData, plot_data
from looplab.results._post import POST_OBSERVATIONS
from looplab.results._settle import COLLECTED_NAME
from looplab.results._summary import RUNS_CSV_COLUMNS, RunSummary

__all__ = [
    "COLLECTED_NAME",
    "POST_OBSERVATIONS",
    "RUNS_CSV_COLUMNS",
    "CollectResult",
    "PlotData",
    "RunSummary",
    "collect",
    "parse_since",
    "plot_data",
]
