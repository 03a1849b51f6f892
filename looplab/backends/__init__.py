"""Backends: what the scenario engine drives: the embedded simulator (``local.py``) and a
deployed stack through boto3 (``aws/``).

The engine only ever sees :class:`~looplab.backends.base.Backend` and the capabilities a
backend declares in its type (``base.py``); which backend it drives is chosen by name in
:mod:`looplab.backends.registry`, the one place a backend is named.
"""

from looplab.backends.base import (
    Backend,
    BackendError,
    Brakeable,
    BrakeAction,
    DrainedMessage,
    FunctionCounts,
    MetricPoint,
    Observations,
    Provenance,
    QueueState,
    RailBraked,
    SourceCounts,
    TimelineSource,
    Watchable,
)

__all__ = [
    "Backend",
    "BackendError",
    "BrakeAction",
    "Brakeable",
    "DrainedMessage",
    "FunctionCounts",
    "MetricPoint",
    "Observations",
    "Provenance",
    "QueueState",
    "RailBraked",
    "SourceCounts",
    "TimelineSource",
    "Watchable",
]
