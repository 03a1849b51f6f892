"""Results: run journals in, the report out (``invoke collect-results``).

:func:`collect` reads ``results/runs/*/journal.json`` (through :mod:`looplab.journal`) and
writes the reports ``formats`` asks for (:data:`FORMATS`: ``report.md``, a self-contained
``report.html``, ``runs.csv`` (columns: :data:`RUNS_CSV_COLUMNS`, documented in
docs/results.md), ``report.json``) and the shown runs' ``timeline.png``.
:data:`POST_OBSERVATIONS` is what the seed post (:data:`POST`) saw, for the comparison.
For CI, one run's journal becomes JUnit XML (:func:`junit_xml`, :func:`write_junit`) and
a GitHub job summary (:func:`step_summary`, :func:`append_step_summary`).
"""

from looplab.results._collect import FORMATS, CollectResult, check_formats, collect, parse_since
from looplab.results._plot import PlotData, plot_data
from looplab.results._post import POST, POST_OBSERVATIONS, POST_RUNS
from looplab.results._settle import COLLECTED_NAME
from looplab.results._summary import RUNS_CSV_COLUMNS, RunSummary
from looplab.results.junit import junit_xml, write_junit
from looplab.results.step_summary import append_step_summary, step_summary

__all__ = [
    "COLLECTED_NAME",
    "FORMATS",
    "POST",
    "POST_OBSERVATIONS",
    "POST_RUNS",
    "RUNS_CSV_COLUMNS",
    "CollectResult",
    "PlotData",
    "RunSummary",
    "append_step_summary",
    "check_formats",
    "collect",
    "junit_xml",
    "parse_since",
    "plot_data",
    "step_summary",
    "write_junit",
]
