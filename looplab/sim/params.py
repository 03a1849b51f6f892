"""Every modelling choice AWS leaves undocumented, in one place, with its default and why.

The simulator's behaviour that AWS *does* document (SQS visibility, redrive, retention,
the RecursiveLoop switch) is not configurable: it is what AWS does. What AWS does not
say (how fast a poller sees a message, how long an invocation takes, which counter the
Lineage carries) is a parameter here, so a result can always be traced to a choice.

Inferred choices that are fixed rather than parameters, because no shipped experiment
depends on them (each is written where it is implemented):
- a message moved to a DLQ keeps its receive count (``services/sqs/model.py``);
- botocore's URL-quoted trace header is stored as sent, and unquoted when read (``trace.py``);
- the Lineage tag is the first 8 hex digits of SHA-256 of the function ARN (``trace.py``);
- long polling inside a handler returns at once: a handler's call cannot span virtual
  time (``services/sqs/api.py``).
"""

from __future__ import annotations

import functools
import reprlib
import typing
from dataclasses import dataclass, fields, replace
from typing import Annotated, Any, Literal, get_args

from looplab.sim._param_kinds import AnyOf, Flag, Kind, Number, OneOf, Span, Waits, Word

__all__ = [
    "AnyOf",
    "Flag",
    "Kind",
    "Number",
    "OneOf",
    "SimParams",
    "Span",
    "Waits",
    "Word",
    "field_kinds",
    "parse_field",
]

StoppedCounts = Literal["failed", "invoked-and-failed", "polled-only"]
Outcome = Literal["error", "throttled", "dropped"]
TraceRule = Literal["first", "deepest", "freshest"]

# The bounds every field's kind (looplab.sim._param_kinds) is declared with. A timer that
# re-arms itself (a throttled retry, the handler's quantum) waits at least a millisecond,
# the resolution of Lambda's own log timestamps: shorter, and the run makes no progress.
#
# The lower bounds that keep a run alive: metric_period >= 1 (the queue sampler steps by it
# and the metric store divides by it), handler_time_scale and handler_time_quantum >= _TICK
# (the runtime refuses 0; the quantum divides), mapping_scale_interval >= 0.01 and
# async_throttle_max_wait >= 1 (AWS's first throttle interval; 0 re-arms at one instant),
# log_filter_scan_events >= 1 (a page that may read nothing answers with a nextToken
# forever), async_retry_waits has 1 or 2 waits (MaximumRetryAttempts is at most 2; none is
# an IndexError at the first retry). The upper bounds are AWS's where it has one: Lambda's
# init phase is at most 10 s, a function's Timeout at most 900 s, a mapping's concurrency
# at most 1,000; elsewhere, longer than any experiment.
_TICK = 0.001
_DAY = 86_400.0  # a wait or delay longer than any experiment runs
_MAX_EVENT_AGE = 21_600.0  # Lambda keeps an asynchronous event at most 6 hours
_YEAR_2100 = 4_102_444_800.0  # an epoch past it makes dates no AWS API has yet sent


@dataclass(frozen=True)
class SimParams:
    """The simulator's modelling choices. Every field is ``Annotated`` with its kind (range
    or choices): a value outside it is refused when the params are built (ValueError naming
    the field, the value and what is valid), and ``--sim`` reads its text by the same kind."""

    recursion_threshold: Annotated[int, Number(1, 10_000, integer=True)] = 16
    """Invocations of one function in one chain that run; the next one is stopped.
    AWS: "approximately 16" (July 2023 launch wording: "more than 16"). The seed post saw
    16 invocations from counter 5 (stopped after 21); boto3 issue 3899 saw 16 re-sends."""

    lineage_per_function: Annotated[bool, Flag()] = True
    """Which count the Lineage carries: one counter per function per chain (AWS docs speak
    of "a function" being invoked ~16 times in a chain). False: one counter for the whole
    chain, whatever the function. Inferred: the Lineage format is undocumented."""

    poll_latency: Annotated[tuple[float, float], Span(0, 900)] = (0.005, 0.050)
    """Seconds between a message becoming visible and a long-polling mapping receiving it
    (uniform range). Inferred: Lambda's pollers long-poll, so delivery is near-immediate."""

    init_duration: Annotated[tuple[float, float], Span(0, 10)] = (0.150, 0.350)
    """Cold start: seconds to start a Python environment and import the handler. Inferred
    from typical python3.12 REPORT lines ("Init Duration: ~200 ms")."""

    call_offset: Annotated[tuple[float, float], Span(0, 900)] = (0.010, 0.060)
    """Seconds from the start of the handler to its SDK calls taking effect (the handler's
    own work plus the SendMessage round trip). Inferred."""

    tail_duration: Annotated[tuple[float, float], Span(0, 900)] = (0.002, 0.030)
    """Seconds from the handler's last call to the environment being free again (return,
    runtime response). When a poller is faster than this tail, a second environment starts:
    that is how the seed post saw two log streams. Inferred."""

    environment_idle_lifetime: Annotated[
        float | None, Number(0, _DAY, unit="seconds", none="never reclaimed")
    ] = 600.0
    """Seconds an execution environment stays idle before Lambda reclaims it (the next
    invocation is then a cold start, in a new log stream). Inferred: AWS does not document
    it; public measurements of idle Python functions see reclamation after roughly 5 to 15
    minutes. None: never reclaimed."""

    pollers_per_mapping: Annotated[int, Number(1, 1000, integer=True)] = 5
    """Concurrent batches an SQS mapping starts with, and scales back to when traffic is low
    (AWS, services-sqs-scaling: "starts processing five batches at a time"). Scaling up
    from here: the ``mapping_scale_*`` parameters."""

    throttle_retry_interval: Annotated[
        float | None, Number(_TICK, 900, unit="seconds", none="no retry")
    ] = None
    """Seconds after a throttled invoke before an SQS mapping invokes the same batch again
    while it is still in flight. AWS's pollers do not account for reserved concurrency:
    they receive, the invoke is throttled (Throttles + 1) and, per the AWS knowledge center
    ("Event source mappings don't account for reserved concurrency and can process more
    messages off your queue than can be sent to your function"), the batch returns to the
    queue after its visibility timeout, its receive count raised, so redrive can move it.
    Whether the poller retries inside the visibility timeout is undocumented. None: no
    retry; the batch is received again when its visibility timeout ends."""

    epoch: Annotated[float, Number(0, _YEAR_2100, unit="Unix seconds")] = 1_689_897_600.0
    """Virtual time zero, in Unix seconds (2023-07-21 00:00 UTC, the seed post's date), so
    SentTimestamp and log times look like AWS's and are the same in every run."""

    metric_period: Annotated[int, Number(1, 3600, integer=True, unit="seconds")] = 60
    """Seconds per metric datapoint: Lambda and SQS publish at one-minute resolution."""

    # -- control plane (sim-control): event source mapping states and metrics ------------

    mapping_transition: Annotated[float, Number(0, 3600, unit="seconds")] = 5.0
    """Seconds an UpdateEventSourceMapping keeps the mapping in Enabling / Disabling /
    Updating before it reports Enabled / Disabled. AWS documents the states, not their
    duration (DeleteEventSourceMapping: "might not be completely deleted for several
    seconds"); there is no waiter, so clients poll GetEventSourceMapping (Terraform's
    provider polls until Enabled/Disabled, 10-minute timeout). Inferred: "several
    seconds"; 5 s makes a poller's loop visible without slowing scenarios."""

    mapping_disable_grace: Annotated[float, Number(0, 3600, unit="seconds")] = 3.0
    """Seconds an SQS mapping keeps delivering after it reports Disabled: pollers already
    running finish their receive loop. Inferred from public reports that deliveries go on
    for a few seconds after Disabled (ef-cms PR 1450, stream mappings)."""

    mapping_stopped_event_counts: Annotated[StoppedCounts, OneOf(get_args(StoppedCounts))] = (
        "failed"
    )
    """How a batch that loop detection stopped counts in the mapping's EventCount metrics,
    besides PolledEventCount (it was received). "failed": FailedInvokeEventCount only;
    "invoked-and-failed": also InvokedEventCount; "polled-only": neither. Never
    DeletedEventCount: the message is left for SQS. Inferred (AWS does not say): the
    function never runs (no Invocations, no log) and Lambda reports a
    RecursiveInvocationException to the mapping, an invoke that failed; so "failed"."""

    # -- observation: CloudWatch metrics and Logs (sim-observe) ------------------------------

    metric_publication_delay: Annotated[float, Number(0, _DAY, unit="seconds")] = 120.0
    """Seconds after a one-minute period ENDS before its datapoint is returned by
    GetMetricData (the minute 12:00 is readable from 12:03:00). Inferred: AWS documents no
    figure; third-party measurements put Lambda's and SQS's standard metrics 1 to 3 minutes
    behind. Two minutes after the period is the middle of that range, so a runner that
    settles metrics here waits as long as it would on AWS. The store records datapoints at
    once; only the api hides them."""

    log_ingestion_delay: Annotated[float, Number(0, _DAY, unit="seconds")] = 2.0
    """Seconds from a log event's timestamp to FilterLogEvents and DescribeLogStreams seeing
    it. Inferred: Lambda's log agent batches a function's output and calls PutLogEvents
    within a few seconds; public measurements see Lambda lines searchable 1 to 5 s later."""

    log_filter_scan_events: Annotated[int, Number(1, 1 << 20, integer=True)] = 65_536
    """Events one FilterLogEvents call reads before it answers. AWS documents the effect,
    not the figure: each call searches a bounded slice of the log group, so a page can hold
    fewer events than the limit, even none, while a nextToken is still returned. Inferred:
    eight of the store's 8,192-event chunks, which also bounds a call's memory."""

    # -- execution environments as processes (looplab/sim/runtime/) -----------------------

    handler_time_scale: Annotated[float, Number(_TICK, 1000)] = 1.0
    """Virtual seconds per wall second of handler code. The handler's wall time (measured
    by looplab, its SDK calls' answers not counted) is what its Timeout is checked against
    and what ``context.get_remaining_time_in_millis()`` counts down; >1 makes a slow
    machine's handler look slower, tests use it to reach a 1 s Timeout in 50 ms. Inferred:
    the simulator has no CPU model, so its host's speed stands in for Lambda's."""

    handler_time_quantum: Annotated[
        float | None, Number(_TICK, 900, unit="seconds", none="never")
    ] = 1.0
    """How the handler's scaled wall time enters the virtual clock: rounded DOWN to a
    multiple of this many seconds and added to the invocation's duration, so a handler
    that sleeps 3 s runs 3 s longer while the sub-second noise of a busy host never moves
    an event (same seed, same event log, byte for byte). None: never (fully deterministic;
    the wall time then only decides timeouts)."""

    handler_wall_limit: Annotated[float, Number(0.01, 3600, unit="seconds")] = 60.0
    """Wall seconds any one init or invocation may take before it is killed as timed out,
    whatever its Timeout and the time scale say: the watchdog that keeps a handler from
    hanging a run. Not AWS's (its limit is the Timeout); looplab's own guarantee."""

    # -- event source mapping scaling and batches ------------------------------------------

    mapping_max_concurrency: Annotated[int, Number(1, 1000, integer=True)] = 1000
    """Concurrent batches one SQS mapping can reach without MaximumConcurrency. AWS,
    services-sqs-scaling: "The maximum number of batches that an event source mapping can
    process simultaneously is 1,000" (MaximumConcurrency 2..1000 caps it lower)."""

    mapping_scale_up_per_minute: Annotated[int, Number(0, 1_000_000, integer=True)] = 300
    """Concurrent batches a mapping adds per minute while messages are still available.
    AWS, services-sqs-scaling: "up to 300 more instances per minute"; the simulator takes
    the upper bound (a backlog that waits is the case "up to" describes)."""

    mapping_scale_interval: Annotated[float, Number(0.01, 3600, unit="seconds")] = 1.0
    """Seconds between two scaling steps; each adds ``mapping_scale_up_per_minute *
    interval / 60`` batches (5 at 1 s). Inferred: AWS gives a rate per minute, not its
    granularity; one second spreads the 300 evenly, and a step happens only while every
    poller is busy and messages are still visible (AWS: "if messages are still available")."""

    mapping_scale_down_idle: Annotated[float, Number(0, _DAY, unit="seconds")] = 60.0
    """Seconds without a visible message after which a scaled-up mapping returns to
    ``pollers_per_mapping`` batches. AWS: "When traffic is low, Lambda scales back the
    processing to five concurrent batches" (the further optimisation to two batches is not
    modelled: it changes cost, not delivery). Inferred: the delay is undocumented; one
    minute, the unit AWS states the scale-up rate in."""

    mapping_scale_hold_outcomes: Annotated[tuple[Outcome, ...], AnyOf(get_args(Outcome))] = (
        "error",
        "throttled",
    )
    """Invocation outcomes that hold a mapping's scale-up for the step they happen in. AWS
    knowledge center (lambda-sqs-scaling): "To prevent errors at scale, Lambda throttles
    function scaling when invocation errors occur." Inferred: that throttles count as
    errors here, and that a loop-detection stop ("dropped") does not (the function never
    ran; Lambda counts no Errors for it). Add "dropped" to hold scaling on stops too."""

    batch_trace_rule: Annotated[TraceRule, OneOf(get_args(TraceRule))] = "first"
    """Which record's trace header the invocation of a batch continues when the batch holds
    messages of several chains (AWS does not document it; one invocation has one trace).
    "first": the first record's (SQS's order, oldest visible first); a looping message that
    rides behind a fresh one is reset, and a fresh one behind a looping one is stopped with
    it. "deepest": the record whose Lineage count for this function is highest; a loop can
    never be laundered through a batch, but fresh messages in its batch are stopped with it.
    "freshest": the lowest count; nothing fresh is ever stopped, and a loop that keeps
    meeting fresh messages is never stopped. Default "first": what an invocation that
    continues one trace most simply does; docs/simulator.md ("Several chains in one batch")
    shows the three on one scenario."""

    # -- asynchronous invocation: Lambda's internal queue, retries, the stopped event's record --
    async_queue_delay: Annotated[float, Number(0, 3600, unit="seconds")] = 0.05
    """Seconds an event spends in Lambda's internal queue before its first attempt.
    Inferred: AWS documents the queue, not its latency; tens of milliseconds keeps the
    order of events (an Event Invoke runs after its caller's 202) without slowing loops."""

    async_retry_waits: Annotated[tuple[float, ...], Waits(0, _MAX_EVENT_AGE, most=2)] = (
        60.0,
        120.0,
    )
    """Waits before the retries of a function error. AWS (invocation-async-error-handling):
    "a one-minute wait between the first two attempts, and two minutes between the second
    and third attempts". MaximumRetryAttempts is at most 2, so no third wait exists."""

    async_throttle_max_wait: Annotated[float, Number(1, _MAX_EVENT_AGE, unit="seconds")] = 300.0
    """Longest wait between throttled attempts. AWS: "The retry interval increases
    exponentially from 1 second after the first attempt to a maximum of 5 minutes"; the
    doubling (1, 2, 4 ... s) is inferred."""

    async_stopped_condition: Annotated[str, Word(64)] = "RecursiveInvocationException"
    """``requestContext.condition`` of the on-failure record of an event loop detection
    stopped. AWS (invocation-recursion) says such an event goes to the DLQ or on-failure
    destination when one is configured, and documents conditions only for retries and age
    ("RetriesExhausted", "EventAgeExceeded"). Inferred: the error code Lambda returns
    for the stop."""

    # -- SNS: a Publish's fan-out to its subscriptions --------------------------------------
    sns_delivery_delay: Annotated[float, Number(0, 3600, unit="seconds")] = 0.030
    """Seconds from an accepted Publish to SNS handing the notification to each
    subscription (Lambda's asynchronous queue, an SQS queue). Inferred: AWS documents no
    delivery latency for SNS; tens of milliseconds is what published traces of SNS to
    Lambda and SQS show. Every subscription gets the same delay (fan-out is parallel)."""

    # -- S3: a write's event notification ---------------------------------------------------
    s3_notification_delay: Annotated[tuple[float, float], Span(0, 3600)] = (0.050, 0.500)
    """Seconds from a write (PutObject, CopyObject, DeleteObject) to S3 handing its event
    notification to Lambda's asynchronous queue (uniform range). AWS: "typically delivered
    in seconds but can sometimes take a minute or longer" (S3 user guide,
    EventNotifications). Inferred: sub-second for the common case."""

    def __post_init__(self) -> None:
        for name, kind in field_kinds().items():
            value = getattr(self, name)
            reason = kind.problem(value)
            if reason is not None:
                raise ValueError(_message(f"SimParams.{name}", kind, _shown(value), reason))

    def with_overrides(self, **overrides: Any) -> SimParams:
        unknown = set(overrides) - set(self.__dataclass_fields__)
        if unknown:
            valid = ", ".join(sorted(self.__dataclass_fields__))
            raise ValueError(f"unknown simulator parameter(s) {sorted(unknown)}; valid: {valid}")
        return replace(self, **overrides)


@functools.cache
def field_kinds() -> dict[str, Kind]:
    """Every SimParams field's kind, from its ``Annotated`` declaration; a field declared
    without one is a TypeError here (and so at the first SimParams built)."""
    hints = typing.get_type_hints(SimParams, include_extras=True)
    kinds: dict[str, Kind] = {}
    for field in fields(SimParams):
        found = [m for m in getattr(hints[field.name], "__metadata__", ()) if isinstance(m, Kind)]
        if len(found) != 1:
            raise TypeError(
                f"SimParams.{field.name} must be declared Annotated[type, Kind] with one kind "
                "(its range or choices; see looplab.sim._param_kinds)"
            )
        kinds[field.name] = found[0]
    return kinds


def parse_field(name: str, text: str) -> Any:
    """``text`` (as ``--sim name=text`` gives it) read by field ``name``'s kind; ValueError
    saying what was given and what the kind accepts. ``name`` must be a field."""
    kind = field_kinds()[name]
    try:
        return kind.parse(text)
    except ValueError as exc:
        raise ValueError(_message(name, kind, _shown(text), str(exc))) from None


def _shown(value: Any) -> str:
    """``value`` for a message: long text shortened (a command-line value can be 4 KB)."""
    try:
        return _REPR.repr(value)
    except ValueError:  # an int past Python's 4,300-digit limit cannot even be repr()'d
        return f"an integer of {value.bit_length():,} bits"


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 80


def _message(where: str, kind: Kind, shown: str, reason: str) -> str:
    return f"{where} expects {kind.describe()}, got {shown}" + (f" ({reason})" if reason else "")
