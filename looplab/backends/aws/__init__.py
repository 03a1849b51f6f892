"""The aws backend: scenarios on a deployed stack, with boto3 only, and its safety rails.

Public surface:

- :func:`open_backend` builds an :class:`AwsBackend` from a project's stack record and the
  compiled template (what ``invoke scenario --backend aws`` calls);
- :func:`kill_switch` / :func:`operator_policy` need the record alone;
- :class:`RealClock` / :class:`SimulatorClock`: the clock seam (tests run the backend on a
  simulator's virtual clock);
- :func:`get_metric_data` / :func:`period_for_age`: GetMetricData as AWS documents it
  (every page, PartialData, the period kept for a run's age), for collect-results too.
"""

from looplab.backends.aws._account_guard import GuardError, check_identity
from looplab.backends.aws._backend import AwsBackend
from looplab.backends.aws._budget import BudgetSpent
from looplab.backends.aws._busy import Busy
from looplab.backends.aws._calls import AwsCallError, Calls
from looplab.backends.aws._clock import Clock, RealClock, SimulatorClock
from looplab.backends.aws._endpoint import resolve_endpoint
from looplab.backends.aws._kill_switch import Action, kill_switch, verify_against_stack
from looplab.backends.aws._metric_data import MetricData, get_metric_data, period_for_age
from looplab.backends.aws._open import open_backend, open_calls
from looplab.backends.aws._params import AwsParams
from looplab.backends.aws._policy import operator_policy
from looplab.backends.aws._record import StackRecord, StackRecordError, record_path
from looplab.backends.aws._recursion_guard import RecursionRefused

__all__ = [
    "Action",
    "AwsBackend",
    "AwsCallError",
    "AwsParams",
    "BudgetSpent",
    "Busy",
    "Calls",
    "Clock",
    "GuardError",
    "MetricData",
    "RealClock",
    "RecursionRefused",
    "SimulatorClock",
    "StackRecord",
    "StackRecordError",
    "check_identity",
    "get_metric_data",
    "kill_switch",
    "open_backend",
    "open_calls",
    "operator_policy",
    "period_for_age",
    "record_path",
    "resolve_endpoint",
    "verify_against_stack",
]
