"""CloudWatch Logs as the simulator answers it: FilterLogEvents and DescribeLogStreams.

The model (:mod:`._model`) searches the simulator's spilled log store chunk by chunk, with
AWS's ingestion lateness and its bounded, possibly empty pages; :mod:`._pattern` is the
filter-pattern language; the api (:mod:`._api`) validates parameters and shapes replies.
"""

from looplab.sim.services.logs.api import LogsApi

__all__ = ["LogsApi"]
