"""CloudWatch as the simulator answers it: GetMetricData over the simulator's metric store.

The model (:mod:`._model`) turns the store's per-minute statistic sets into CloudWatch's
datapoints, with AWS's publication lateness and its datapoint rules; the api
(:mod:`._api`) validates a call's parameters and pages the answer.
"""

from looplab.sim.services.cloudwatch.api import CloudWatchApi

__all__ = ["CloudWatchApi"]
