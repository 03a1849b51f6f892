"""How S3 joins the simulator: the stack's buckets (by bucket name) and their objects,
answered as ``s3``; an object's notifications invoke their functions asynchronously
(Lambda's internal queue, so S3 joins after Lambda); what of a template it refuses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from looplab.sim.services._descriptor import Kernel, Part, Refusal, Service
from looplab.sim.services._errors import Call, caller_ids
from looplab.sim.services.lambda_ import LambdaPart
from looplab.sim.services.s3.api import S3Api
from looplab.sim.services.s3.model import S3Model
from looplab.sim.services.s3.notify import Notifier
from looplab.stack import Stack

__all__ = ["SERVICE", "S3Part"]


class S3Part(Part):
    """The stack's buckets: ``model`` (``sim.s3``)."""

    def __init__(self, kernel: Kernel) -> None:
        stack = kernel.stack
        self.buckets = stack.buckets
        caller_id = caller_ids(stack.functions)
        # S3's userIdentity.principalId: "AWS:" and the caller's unique ID (SQS's SenderId).
        self.principal = lambda call: f"AWS:{caller_id(call)}"
        queue = kernel.part(LambdaPart).async_invoke
        self.model = S3Model(kernel.clock, stack.buckets)
        self.model.on_event = Notifier(
            kernel.clock,
            kernel.rng,
            kernel.params.s3_notification_delay,
            stack.region,
            # Looked up per event: whatever submit the queue holds then (tests spy on it).
            lambda *args: queue.submit(*args),
            kernel.event,
        )
        self.api = S3Api(self.model, self.principal)

    def handles(self) -> Mapping[str, Any]:
        return {"s3": self.model}

    # -- the experimenter's calls ----------------------------------------------------------

    def put_object(
        self, bucket: str, key: str, body: str | bytes, trace_header: str | None = None
    ) -> None:
        spec = self.buckets.get(bucket)
        if spec is None:
            valid = ", ".join(sorted(self.buckets)) or "(none)"
            raise KeyError(f"no bucket {bucket!r} in the stack; its buckets: {valid}")
        data = body.encode() if isinstance(body, str) else bytes(body)
        self.model.put(
            spec.name, key, data, trace_header=trace_header, principal=self.principal(Call())
        )


# -- what the simulator refuses ------------------------------------------------------------


def _refuse(stack: Stack, logical_id: str, kind: str, props: Mapping[str, Any]) -> list[Refusal]:
    """The simulator delivers S3 events to functions only (LambdaConfigurations)."""
    bucket = stack.buckets.get(logical_id)
    if bucket is None:
        return []
    out = [
        Refusal(
            note.path,
            f"S3 {note.kind} notifications are not modelled (the simulator "
            "delivers S3 events to functions only: LambdaConfigurations)",
        )
        for note in bucket.notifications
        if note.kind != "lambda"
    ]
    out.extend(
        Refusal(
            path,
            "S3 notifications other than LambdaConfigurations (EventBridge) are not modelled",
        )
        for path in bucket.other_notifications
    )
    return out


SERVICE = Service(
    name="s3",
    join=S3Part,
    calls=("put_object",),
    params=("s3_notification_delay",),
    refuse=_refuse,
    principal="s3.amazonaws.com",
)
