"""Every timing choice of the aws backend that AWS does not document, named, with its reason.

The simulator's own choices live in looplab.sim.params; these are the client's: how long to
trust nothing, how often to ask. Tests shrink none of them: on the simulator's virtual clock
a three-minute wait costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class AwsParams:
    # CloudWatch metrics are published late (undocumented; third parties report ~2 minutes
    # for 1-minute metrics). A metric counts as settled once its value has not changed over
    # this many seconds of reads: a late datapoint changes it and restarts the wait. This is
    # the window of AWS/Lambda's metrics ("Lambda sends metric data to CloudWatch in
    # 1-minute intervals", Lambda developer guide, "Using CloudWatch metrics with Lambda").
    metric_settle_seconds: float = 180.0
    # AWS/SNS's topic metrics: the SNS developer guide ("Monitoring Amazon SNS topics using
    # CloudWatch") said until its January 2021 revision that they are "automatically
    # collected and pushed to CloudWatch every five minutes" (the older page,
    # docs.aws.amazon.com/sns/latest/dg/MonitorSNSwithCloudWatch.html, still says so), and
    # says since "at 1-minute intervals". Until a real run measures it: a figure that held
    # 180 s can still change when a five-minute push lands, so an SNS figure settles only
    # once it held longer than five minutes (plus a minute of publication lateness).
    sns_metric_settle_seconds: float = 360.0
    # SQS's approximate counts "may take about a minute" to settle: the same rule over 60 s.
    queue_settle_seconds: float = 60.0
    # settle() (before an expect step) waits at most this long: a figure whose activity
    # happened just before the call is published up to metric_settle_seconds later, and
    # must then hold for metric_settle_seconds, plus one refresh. A figure still changing
    # after that changes because the stack still runs (the DLQ's message retried every
    # visibility timeout), and an 'equals'/'at_most' check on it fails "not settled"
    # rather than pass on a guess ('at_least' can pass: counts only grow). A stack with a
    # slower service waits that much longer (settle_timeout_for).
    settle_timeout: float = 400.0
    # After the budget's brake, wait this long beyond the function's timeout before the
    # run goes on to finally: invocations already running finish (and may still send), and
    # pollers may deliver for a few seconds after Disabled (reported for streams).
    brake_quiet_seconds: float = 5.0
    # How often each source is actually read, whatever a condition's poll: GetMetricData is
    # billed per metric and per-minute anyway; logs are seconds late; queue counts are free.
    metric_refresh_seconds: float = 30.0
    log_refresh_seconds: float = 5.0
    queue_refresh_seconds: float = 2.0
    # Log lines are searchable once ingested, and AWS documents no bound on how long after
    # their timestamp that is (API_FilteredLogEvent gives each event's ingestionTime). Each
    # read re-reads this far behind the previous one: the longest lateness seen times the
    # factor, never less than the minimum (a few refreshes: Lambda's lines are seconds late
    # as a rule). Every sweep interval a read starts from the beginning instead, so a line
    # later than anything seen so far is still found, and the overlap grows to cover it.
    # A figure from the logs settles once it held over the overlap plus a sweep.
    log_overlap_min_seconds: float = 10.0
    log_lateness_factor: float = 2.0
    log_sweep_seconds: float = 60.0
    # The invocation budget is checked from the logs this often during waits.
    budget_poll_seconds: float = 5.0
    # UpdateEventSourceMapping: no waiter exists; Terraform polls with a 10-minute timeout.
    mapping_poll_seconds: float = 2.0
    mapping_timeout: float = 600.0
    # PutFunctionRecursionConfig's propagation is undocumented: confirm with Get, this long.
    recursion_poll_seconds: float = 1.0
    recursion_timeout: float = 60.0
    # PurgeQueue: "the deletion process takes up to 60 seconds"; messages sent meanwhile may
    # be deleted, and a second purge within 60 s fails with PurgeQueueInProgress.
    purge_settle_seconds: float = 60.0
    # CloudWatch period for every query (Lambda and SQS publish 1-minute metrics).
    period: int = 60
    # The run's first action waits until its start minute has ended (that minute also
    # holds what came before the run; "the timestamp on a metric reflects when the function
    # was invoked", same page), and this much longer: AWS stamps datapoints by its own
    # clock, and an NTP-synced client is within milliseconds of it, not exactly on it.
    start_minute_margin_seconds: float = 1.0
    # ResourceConflictException / ResourceInUseException ("another operation is in
    # progress": a mapping mid-transition, a concurrent function update) are not retried by
    # botocore. Lambda documents no duration; a mapping transition normally takes seconds,
    # and Terraform waits up to 10 minutes for one: retry with doubling backoff from
    # busy_first_delay to busy_max_delay for busy_timeout, saying so after busy_progress_after.
    busy_first_delay: float = 1.0
    busy_max_delay: float = 15.0
    busy_timeout: float = 300.0
    busy_progress_after: float = 10.0
    # botocore's "standard" retry mode (throttling and transient errors, with backoff).
    max_attempts: int = 5

    def metric_settle_for(self, namespace: str) -> float:
        """How long a figure of ``namespace`` must hold before it is final."""
        return (
            self.sns_metric_settle_seconds if namespace == "AWS/SNS" else self.metric_settle_seconds
        )

    def settle_timeout_for(self, namespaces: Iterable[str]) -> float:
        """settle()'s bound for a stack whose figures come from ``namespaces``: the slowest
        service's window counts twice (published that late, then held that long)."""
        window = max((self.metric_settle_for(ns) for ns in namespaces), default=0.0)
        return self.settle_timeout + 2 * max(window - self.metric_settle_seconds, 0.0)
