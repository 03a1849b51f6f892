"""Lambda's control plane over the simulated functions and mappings: names, settings, rules.

The functions and the mappings' pollers are the data plane's (``execution``,
``pollers``); this module resolves the names callers use for them, as AWS does, and
applies the rules AWS documents for changing them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from looplab.sim.services._errors import ServiceError
from looplab.sim.services.lambda_ import errors
from looplab.sim.services.lambda_.execution import Function
from looplab.sim.services.lambda_.pollers import TRANSITIONAL, Poller

RECURSIVE_LOOP_VALUES = ("Allow", "Terminate")

ACCOUNT_CONCURRENCY = 1000
"""Lambda's default concurrency quota per account and region (Lambda quotas page)."""

MINIMUM_UNRESERVED = 100
"""Reserved concurrency must leave at least this much unreserved (Lambda developer guide,
"Configuring reserved concurrency")."""


@dataclass(frozen=True, slots=True)
class FunctionName:
    """A FunctionName parameter taken apart: AWS accepts a name, a full ARN or a partial
    ARN (``123456789012:function:name``), each optionally with ``:qualifier``."""

    name: str
    qualifier: str | None
    region: str | None
    account: str | None

    @classmethod
    def parse(cls, text: str) -> FunctionName:
        parts = text.split(":")
        if text.startswith("arn:") and len(parts) in (7, 8) and parts[5] == "function":
            return cls(parts[6], parts[7] if len(parts) == 8 else None, parts[3], parts[4])
        if len(parts) in (3, 4) and parts[1] == "function":
            return cls(parts[2], parts[3] if len(parts) == 4 else None, None, parts[0])
        if len(parts) == 2:
            return cls(parts[0], parts[1], None, None)
        return cls(text, None, None, None)


class LambdaControl:
    def __init__(
        self,
        functions: dict[str, Function],
        pollers: dict[str, Poller],
        region: str,
        account: str,
        set_recursion: Callable[[str, str], None],
        set_concurrency: Callable[[str, int | None], None],
    ) -> None:
        self.functions = functions  # by logical ID
        self.pollers = pollers
        self.region = region
        self.account = account
        self._set_recursion = set_recursion
        self._set_concurrency = set_concurrency
        self._by_name = {f.spec.name: f for f in functions.values()}
        self._by_uuid = {p.spec.uuid: p for p in pollers.values()}

    # -- names ---------------------------------------------------------------------------

    def function(self, name_or_arn: str, qualifier: str | None = None) -> Function:
        """The function a FunctionName names; ResourceNotFoundException as AWS words it."""
        parsed = FunctionName.parse(name_or_arn)
        qualifier = parsed.qualifier or qualifier
        arn = f"arn:aws:lambda:{self.region}:{self.account}:function:{parsed.name}"
        if qualifier:
            arn += f":{qualifier}"
        found = self._by_name.get(parsed.name)
        elsewhere = (parsed.region not in (None, self.region)) or (
            parsed.account not in (None, self.account)
        )
        # Only $LATEST exists: the stack publishes no versions (versionFunctions: false).
        if found is None or elsewhere or qualifier not in (None, "$LATEST"):
            raise errors.function_not_found(arn)
        return found

    def mapping(self, uuid: str) -> Poller:
        poller = self._by_uuid.get(uuid)
        if poller is None:
            raise errors.mapping_not_found()
        return poller

    def mappings(self, function: str | None, source_arn: str | None) -> list[Poller]:
        """ListEventSourceMappings' filter. A FunctionName that names no function lists
        nothing (inferred, as moto does), rather than failing."""
        found = list(self.pollers.values())
        if function is not None:
            try:
                target = self.function(function)
            except ServiceError:
                return []
            found = [p for p in found if p.function is target]
        if source_arn is not None:
            found = [p for p in found if p.queue.spec.arn == source_arn]
        return found

    # -- changes -------------------------------------------------------------------------

    def set_recursion(self, function: Function, mode: str) -> None:
        if mode not in RECURSIVE_LOOP_VALUES:
            raise errors.invalid(
                f"1 validation error detected: Value '{mode}' at 'recursiveLoop' failed to "
                "satisfy constraint: Member must satisfy enum value set: [Allow, Terminate]"
            )
        self._set_recursion(function.spec.logical_id, mode)

    def set_concurrency(self, function: Function, value: int | None) -> None:
        if value is not None:
            others = sum(
                f.reserved_concurrency or 0 for f in self.functions.values() if f is not function
            )
            if ACCOUNT_CONCURRENCY - others - value < MINIMUM_UNRESERVED:
                raise errors.invalid(
                    "Specified ReservedConcurrentExecutions for function decreases "
                    "account's UnreservedConcurrentExecution below its minimum value of "
                    f"[{MINIMUM_UNRESERVED}]."
                )
        self._set_concurrency(function.spec.logical_id, value)

    def update_mapping(
        self,
        poller: Poller,
        *,
        enabled: bool | None,
        batch_size: int | None,
        maximum_concurrency: int | None,
    ) -> None:
        """UpdateEventSourceMapping's rules; ``maximum_concurrency`` 0 removes the cap."""
        if poller.state in TRANSITIONAL:
            raise errors.in_use(poller.state)
        if batch_size is not None and not 1 <= batch_size <= 10_000:
            raise errors.invalid(f"BatchSize {batch_size} must be between 1 and 10000.")
        if batch_size is not None and batch_size > 10:
            # Lambda's rule for SQS without a batching window (the simulator has none).
            raise errors.invalid(
                "Maximum batch window in seconds must be greater than 0 if maximum batch "
                "size is greater than 10"
            )
        if maximum_concurrency and not 2 <= maximum_concurrency <= 1000:
            raise errors.invalid(
                f"MaximumConcurrency {maximum_concurrency} must be between 2 and 1000."
            )
        poller.update(
            enabled=enabled, batch_size=batch_size, maximum_concurrency=maximum_concurrency
        )
