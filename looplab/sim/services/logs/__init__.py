"""CloudWatch Logs as the simulator answers it: FilterLogEvents and DescribeLogStreams.

The store (:mod:`.store`) keeps the functions' log events, spilled to disk; the model
(:mod:`.model`) searches it chunk by chunk, with AWS's ingestion lateness and its bounded,
possibly empty pages; :mod:`.pattern` is the filter-pattern language; the api (:mod:`.api`)
validates parameters and shapes replies; :mod:`.service` joins it to a simulator.
"""

from looplab.sim.services.logs.api import LogsApi
from looplab.sim.services.logs.service import SERVICE, LogsPart
from looplab.sim.services.logs.store import Chunk, LogEvent, Logs, StreamInfo

__all__ = ["SERVICE", "Chunk", "LogEvent", "Logs", "LogsApi", "LogsPart", "StreamInfo"]
