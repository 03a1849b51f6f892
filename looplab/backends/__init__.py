"""Backends: what the scenario engine drives. ``local`` is the embedded simulator, ``aws`` is boto3.

The engine only ever sees :class:`~looplab.backends.base.Backend`; which one it drives is
chosen here, by name.
"""

from looplab.backends.base import (
    Backend,
    BackendError,
    DrainedMessage,
    FunctionCounts,
    MetricPoint,
    Observations,
    Provenance,
    QueueState,
    SourceCounts,
)

__all__ = [
    "Backend",
    "BackendError",
    "DrainedMessage",
    "FunctionCounts",
    "MetricPoint",
    "Observations",
    "Provenance",
    "QueueState",
    "SourceCounts",
]
