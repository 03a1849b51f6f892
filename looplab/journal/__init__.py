"""The run journal: what ``results/runs/<run>/journal.json`` holds, in one package.

The engine writes the journal and :mod:`looplab.results` reads it, both through the same
records: ``_schema``'s (:class:`RunDocument`, :class:`StepRecord`, :class:`Clock`) and
``_timeline``'s (:class:`Timeline` and its rows), each a ``_record`` :class:`Record`. The
engine builds them and serialises them (``to_json``); :func:`read_journal` (``_read``)
checks a file (``_checks``) and reads it back into them. ``_queries`` is what CloudWatch is
asked for a run's window, recorded in the journal and sent by the aws backend alike.

The modules form layers, no circle (pyproject.toml): ``_read`` -> ``_schema`` ->
``_timeline`` -> ``_record`` | ``_checks`` | ``_queries``.
"""

from looplab.journal._queries import LAMBDA_METRICS, SQS_METRICS, cloudwatch_queries, metric_query
from looplab.journal._read import JournalError, RunRecord, read_journal
from looplab.journal._record import Record
from looplab.journal._schema import (
    ASYNC_FIELDS,
    DEFAULT_STACK,
    READABLE_VERSIONS,
    SCHEMA_VERSION,
    STATUSES,
    TOPIC_FIELDS,
    Clock,
    RunDocument,
    StepMark,
    StepRecord,
)
from looplab.journal._timeline import (
    DROP_COLUMNS,
    INVOCATION_COLUMNS,
    INVOCATION_LIMIT,
    NO_TIMELINE,
    PER_MINUTE_COLUMNS,
    QUEUE_SAMPLE_COLUMNS,
    QUEUE_SAMPLE_LIMIT,
    Drop,
    Invocation,
    MetricSeries,
    MinuteCount,
    QueueSample,
    Timeline,
)

__all__ = [
    "ASYNC_FIELDS",
    "DEFAULT_STACK",
    "DROP_COLUMNS",
    "INVOCATION_COLUMNS",
    "INVOCATION_LIMIT",
    "LAMBDA_METRICS",
    "NO_TIMELINE",
    "PER_MINUTE_COLUMNS",
    "QUEUE_SAMPLE_COLUMNS",
    "QUEUE_SAMPLE_LIMIT",
    "READABLE_VERSIONS",
    "SCHEMA_VERSION",
    "SQS_METRICS",
    "STATUSES",
    "TOPIC_FIELDS",
    "Clock",
    "Drop",
    "Invocation",
    "JournalError",
    "MetricSeries",
    "MinuteCount",
    "QueueSample",
    "Record",
    "RunDocument",
    "RunRecord",
    "StepMark",
    "StepRecord",
    "Timeline",
    "cloudwatch_queries",
    "metric_query",
    "read_journal",
]
