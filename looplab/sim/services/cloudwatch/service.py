"""How CloudWatch joins the simulator: the metric store the other services record into,
answered as ``cloudwatch`` (GetMetricData), and read by the experimenter."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from looplab.sim.services._descriptor import Kernel, Part, Service
from looplab.sim.services.cloudwatch.api import CloudWatchApi
from looplab.sim.services.cloudwatch.store import Metrics

__all__ = ["SERVICE", "CloudWatchPart"]


class CloudWatchPart(Part):
    """One simulator's metric store (``sim.metrics``); the services that publish metrics
    (SQS, Lambda, SNS) join after it and record into it."""

    def __init__(self, kernel: Kernel) -> None:
        params = kernel.params
        self.metrics = Metrics(params.metric_period, params.epoch)
        self.api = CloudWatchApi(self.metrics, kernel.clock, params)

    def handles(self) -> Mapping[str, Any]:
        return {"metrics": self.metrics}

    def metric_total(
        self, namespace: str, metric: str, since: float, resource: str | None = None
    ) -> float:
        return self.metrics.total(namespace, metric, since, resource=resource)

    def metric_series(
        self, since: float, until: float
    ) -> Iterator[tuple[str, str, str, float, float]]:
        return self.metrics.series(since, until)


SERVICE = Service(
    name="cloudwatch",
    join=CloudWatchPart,
    calls=("metric_total", "metric_series"),
    params=("metric_period", "metric_publication_delay"),
)
