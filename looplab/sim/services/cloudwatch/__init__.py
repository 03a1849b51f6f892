"""CloudWatch as the simulator answers it: GetMetricData over the simulator's metric store.

The store (:mod:`.store`) records what the services publish, once a minute; the model
(:mod:`.model`) turns its per-minute statistic sets into CloudWatch's datapoints, with
AWS's publication lateness and its datapoint rules; the api (:mod:`.api`) validates a
call's parameters and pages the answer; :mod:`.service` joins it to a simulator.
"""

from looplab.sim.services.cloudwatch.api import CloudWatchApi
from looplab.sim.services.cloudwatch.service import SERVICE, CloudWatchPart
from looplab.sim.services.cloudwatch.store import MetricKey, Metrics, StatisticSet

__all__ = ["SERVICE", "CloudWatchApi", "CloudWatchPart", "MetricKey", "Metrics", "StatisticSet"]
