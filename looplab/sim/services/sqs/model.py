"""The SQS model (standard queues): messages, visibility, receive counts, redrive, retention.

Operations take plain Python values; reading the caller's parameters is ``api``'s job (moto's
split: request parsing apart from the model). Rules AWS documents are followed as written:
- a receive that finds a message whose receive count already reached the queue's
  ``maxReceiveCount`` moves it to the DLQ instead of returning it;
- a standard queue's message expires by its ORIGINAL enqueue time, in the DLQ too;
- a moved message keeps its id, body, attributes and trace header. Its receive count is
  kept as well (inferred: AWS does not say it resets for standard queues).
Expiry and visibility are events on the virtual clock, so counts are exact at every instant.
Retention is ONE pending clock event per queue (for its next due message), not one per
message, and so is the end of the queue's default visibility timeout: a deleted message
leaves nothing behind, so memory follows the live messages, not the retention period (a
4-day retention would otherwise hold every message a long chain ever sent until its timer
fired) nor the visibility timeout (a fast fan-out deletes thousands a second). Other
visibility timers (a delay, ChangeMessageVisibility) name the message by id, not by
reference.
"""

from __future__ import annotations

import heapq
import sys
from collections.abc import Callable
from random import Random
from typing import Any

from looplab.sim.clock import Clock
from looplab.sim.ids import uuid
from looplab.sim.services.sqs.errors import SqsError, nonexistent
from looplab.sim.services.sqs.messages import (
    _NO_ATTRIBUTES,
    MAX_BATCH_BYTES,
    MAX_BATCH_ENTRIES,
    Message,
    Queue,
    Received,
    attributes_size,
    check_body,
    system_attributes,
)
from looplab.stack import QueueSpec

# The values and errors live in messages.py and errors.py; their names stay importable
# from here, where they were before the split.
__all__ = [
    "MAX_BATCH_BYTES",
    "MAX_BATCH_ENTRIES",
    "PURGE_INTERVAL",
    "Message",
    "Queue",
    "Received",
    "SqsError",
    "SqsModel",
    "check_body",
    "system_attributes",
]

PURGE_INTERVAL = 60.0


class SqsModel:
    """All queues of a simulated account. ``on_visible(queue)`` wakes the pollers."""

    def __init__(self, clock: Clock, rng: Random, region: str, account_id: str) -> None:
        self.clock = clock
        self.rng = rng
        self.region = region
        self.account_id = account_id
        self.queues: dict[str, Queue] = {}  # by URL
        self.by_name: dict[str, Queue] = {}
        self.by_arn: dict[str, Queue] = {}
        self.on_visible: Callable[[Queue], None] = lambda q: None
        self.on_event: Callable[[str, Queue, Message], None] = lambda kind, q, m: None

    def add_queue(self, spec: QueueSpec) -> Queue:
        queue = Queue(spec, self.clock.now)
        self.queues[spec.url] = queue
        self.by_name[spec.name] = queue
        self.by_arn[spec.arn] = queue
        return queue

    def queue(self, url: str) -> Queue:
        queue = self.queues.get(url)
        if queue is None:
            # SDKs sometimes send a URL on another host form; the account and name decide.
            name = url.rstrip("/").rsplit("/", 1)[-1]
            queue = self.by_name.get(name)
            if queue is None or f"/{self.account_id}/" not in url:
                raise nonexistent(url)
        return queue

    # -- sending -------------------------------------------------------------------------

    def send(
        self,
        queue: Queue,
        body: str,
        *,
        delay: int | None = None,
        trace_header: str | None = None,
        message_attributes: dict[str, Any] | None = None,
        sender_id: str = "AIDALOCALSIMULATOR",
    ) -> Message:
        check_body(body, queue.spec.maximum_message_size, attributes_size(message_attributes))
        delay = queue.spec.delay_seconds if delay is None else delay
        if not 0 <= delay <= 900:
            raise SqsError(
                "InvalidParameterValue",
                f"Value {delay} for parameter DelaySeconds is invalid. "
                "Reason: must be between 0 and 900.",
            )
        message = Message(
            message_id=uuid(self.rng),
            body=body,
            sent=self.clock.now,
            sender_id=sys.intern(sender_id),  # one string per sender, not one a message
            trace_header=trace_header,
            message_attributes=message_attributes or _NO_ATTRIBUTES,
        )
        self._enqueue(queue, message, delay)
        queue.by_sent[message.message_id] = message
        self._arm_expiry(queue, message.sent + queue.spec.retention_seconds)
        self.on_event("send", queue, message)
        return message

    def _enqueue(self, queue: Queue, message: Message, delay: float) -> None:
        message.queue = queue
        message.state = "new"
        queue.messages[message.message_id] = message
        if delay > 0:
            self._set_state(message, "delayed")
            message.vis_gen += 1
            self.clock.after(delay, self._reappear, queue, message.message_id, message.vis_gen)
        else:
            self._make_visible(message)

    # -- receiving -----------------------------------------------------------------------

    def receive(
        self, queue: Queue, max_messages: int = 1, visibility_timeout: int | None = None
    ) -> list[Received]:
        timeout = queue.visibility_timeout if visibility_timeout is None else visibility_timeout
        now = self.clock.now
        out: list[Received] = []
        ready = queue.ready
        # Moved after the loop, not in it: a move into this same queue (a redrive cycle,
        # which the reader refuses) would put the message back in ``ready`` and this loop
        # would meet it again, forever, inside one receive.
        to_move: list[Message] = []
        while ready and len(out) < max_messages:
            message = ready.popleft()
            if message.state != "visible" or message.queue is not queue:
                continue  # stale entry: received, deleted, moved or expired since
            redrive = queue.spec.max_receive_count
            if redrive is not None and message.receive_count >= redrive:
                self._remove(message)  # out of this queue now: a stale entry if met again
                to_move.append(message)
                continue
            message.receive_count += 1
            if message.first_receive is None:
                message.first_receive = now
            message.receipt += 1
            message.vis_gen += 1
            message.received_at = now
            self._set_state(message, "inflight")
            if timeout:
                self._hide(queue, message, now + timeout)
            out.append(Received(message, f"{message.message_id}#{message.receipt}"))
        if not timeout:
            # Visible again at once, but not twice in the same response.
            for r in out:
                self._make_visible(r.message)
        for r in out:
            self.on_event("receive", queue, r.message)
        for message in to_move:
            self._move_to_dlq(queue, message)
        return out

    def _move_to_dlq(self, queue: Queue, message: Message) -> None:
        """Deliver ``message``, already removed from ``queue``, to the queue's DLQ."""
        dlq_logical = queue.spec.redrive_target
        dlq = next((q for q in self.queues.values() if q.spec.logical_id == dlq_logical), None)
        if dlq is None:
            return  # a redrive target outside the stack: the message leaves this account view
        self.on_event("redrive", dlq, message)
        deadline = message.sent + dlq.spec.retention_seconds
        if self.clock.now >= deadline:
            return  # already past the DLQ's retention, counted from the original enqueue
        message.dead_letter_source = queue.spec.arn
        self._enqueue(dlq, message, 0)
        heapq.heappush(dlq.moved, (deadline, message.message_id))
        self._arm_expiry(dlq, deadline)

    # -- deleting and visibility ---------------------------------------------------------

    def delete(self, queue: Queue, receipt_handle: str) -> None:
        message = self._by_handle(queue, receipt_handle)
        if message is not None and message.state != "gone":
            self._remove(message)
            self.on_event("delete", queue, message)

    def change_visibility(self, queue: Queue, receipt_handle: str, timeout: int) -> None:
        if not 0 <= timeout <= 43_200:
            raise SqsError(
                "InvalidParameterValue",
                f"Value {timeout} for parameter VisibilityTimeout is invalid. "
                "Reason: must be between 0 and 43200.",
            )
        message = self._by_handle(queue, receipt_handle)
        if (
            message is None
            or message.state != "inflight"
            or not receipt_handle.endswith(f"#{message.receipt}")
        ):
            raise SqsError(
                "MessageNotInflight",
                "Message is not in flight.",
                "AWS.SimpleQueueService.MessageNotInflight",
            )
        if self.clock.now + timeout - (message.received_at or self.clock.now) > 43_200:
            raise SqsError(
                "InvalidParameterValue",
                f"Value {timeout} for parameter VisibilityTimeout is invalid. Reason: Total "
                "VisibilityTimeout for the message is beyond the limit [43200 seconds]",
            )
        message.vis_gen += 1  # the old visibility event is now stale
        queue.hidden.pop(message.message_id, None)
        if timeout == 0:
            self._make_visible(message)
        else:
            self.clock.after(timeout, self._reappear, queue, message.message_id, message.vis_gen)

    def next_purge_at(self, queue: Queue) -> float:
        """When PurgeQueue is next allowed on ``queue`` (SQS: once every 60 seconds)."""
        return self.clock.now if queue.last_purge is None else queue.last_purge + PURGE_INTERVAL

    def purge(self, queue: Queue) -> None:
        now = self.clock.now
        if now < self.next_purge_at(queue):
            raise SqsError(
                "PurgeQueueInProgress",
                f"Only one PurgeQueue operation on {queue.spec.name} is allowed every 60 seconds.",
                "AWS.SimpleQueueService.PurgeQueueInProgress",
            )
        queue.last_purge = now
        self.purge_now(queue)

    def purge_now(self, queue: Queue) -> None:
        for message in list(queue.messages.values()):
            self._remove(message)
        queue.ready.clear()
        queue.moved.clear()  # the pending retention event finds nothing and lapses
        queue.hidden.clear()

    def _by_handle(self, queue: Queue, receipt_handle: str) -> Message | None:
        message_id, sep, number = receipt_handle.partition("#")
        if not sep or not number.isdigit():
            raise SqsError(
                "ReceiptHandleIsInvalid",
                f'The input receipt handle "{receipt_handle}" is not a valid receipt handle.',
            )
        # A stale handle of a message still in the queue deletes it, as on AWS.
        return queue.messages.get(message_id)

    # -- state transitions ---------------------------------------------------------------

    def _set_state(self, message: Message, state: str) -> None:
        queue = message.queue
        assert queue is not None
        queue.count(message.state, -1)
        message.state = state
        queue.count(state, +1)

    def _make_visible(self, message: Message) -> None:
        self._set_state(message, "visible")
        queue = message.queue
        assert queue is not None
        queue.ready.append(message)
        self.on_visible(queue)

    def _reappear(self, queue: Queue, message_id: str, vis_gen: int) -> None:
        message = queue.messages.get(message_id)
        if (
            message is not None
            and message.state in ("inflight", "delayed")
            and message.vis_gen == vis_gen
        ):
            self._make_visible(message)

    def _hide(self, queue: Queue, message: Message, until: float) -> None:
        """In flight until ``until``: in the queue's receive-ordered ``hidden`` dict when
        that keeps it in order (the usual case), else a timer of its own."""
        hidden = queue.hidden
        last = next(reversed(hidden.values()), None) if hidden else None
        if last is not None and last.hidden_until > until:
            # Out of order (the queue's timeout was shortened, or a per-call timeout).
            self.clock.at(until, self._reappear, queue, message.message_id, message.vis_gen)
            return
        message.hidden_until = until
        hidden[message.message_id] = message
        if queue.hidden_at is None or until < queue.hidden_at:
            queue.hidden_at = until  # an event pending for later is now stale
            self.clock.at(until, self._unhide, queue, until)

    def _unhide(self, queue: Queue, when: float) -> None:
        if queue.hidden_at != when:
            return
        queue.hidden_at = None
        hidden, now = queue.hidden, self.clock.now
        while hidden:
            message = next(iter(hidden.values()))
            if message.hidden_until > now:
                queue.hidden_at = message.hidden_until
                self.clock.at(message.hidden_until, self._unhide, queue, message.hidden_until)
                return
            del hidden[message.message_id]
            message.hidden_until = 0.0  # a float of its own only while hidden
            if message.state == "inflight":
                self._make_visible(message)
        if not queue.hidden:  # (a receive in _make_visible may have hidden one again)
            queue.hidden = {}  # a dict keeps its largest table when emptied: give it back

    def _remove(self, message: Message) -> None:
        queue = message.queue
        if queue is None or message.state == "gone":
            return
        message_id = message.message_id
        queue.messages.pop(message_id, None)
        queue.by_sent.pop(message_id, None)
        if queue.hidden.pop(message_id, None) is not None:
            message.hidden_until = 0.0
        if not queue.messages:
            # A dict keeps its largest table when emptied (a worked-off backlog of 65,536
            # held ~8 MB of empty tables), and iterating it from the front walks its
            # deleted slots: start the queue's tables over. Every user reads them through
            # the queue, never a reference kept across this call, except the loops of
            # _expire_due and _unhide, which stop at an empty dict either way.
            queue.messages, queue.by_sent, queue.hidden = {}, {}, {}
        queue.count(message.state, -1)
        message.state = "gone"
        message.queue = None

    def _arm_expiry(self, queue: Queue, due: float) -> None:
        """Make sure a retention event is pending at or before ``due``."""
        if queue.expiry_at is None or due < queue.expiry_at:
            queue.expiry_at = due
            self.clock.at(due, self._expire_due, queue, due)

    def _expire_due(self, queue: Queue, when: float) -> None:
        if queue.expiry_at != when:
            return  # superseded by an earlier event (a message moved in with an older due)
        queue.expiry_at = None
        now, retention = self.clock.now, queue.spec.retention_seconds
        sent = queue.by_sent
        while sent:
            message = next(iter(sent.values()))
            if message.sent + retention > now:
                break
            self._expire(queue, message)
        moved = queue.moved
        while moved and moved[0][0] <= now:
            _, message_id = heapq.heappop(moved)
            message = queue.messages.get(message_id)
            if message is not None and message.sent + retention <= now:
                self._expire(queue, message)
        # Retention counts from the original enqueue time in whatever queue holds it now.
        dues = [m.sent + retention for m in (next(iter(sent.values()), None),) if m]
        if moved:
            dues.append(moved[0][0])
        if dues:
            self._arm_expiry(queue, min(dues))

    def _expire(self, queue: Queue, message: Message) -> None:
        self.on_event("expire", queue, message)
        self._remove(message)
