"""The stack's queues on SQS: seeding, purging, draining and reading their counts.

SQS has rules the scenarios must not trip over, kept here together: a purge takes up to 60
seconds and deletes what is sent meanwhile, so a seed waits it out; only one purge a minute
is allowed, so an empty queue is never purged; the approximate counts lag, so a reading is
cached for ``queue_refresh_seconds`` and called settled only once it has held for
``queue_settle_seconds``. The waits go through the backend's budget-checked sleep.
"""

from __future__ import annotations

from collections.abc import Callable

from looplab.backends.aws._calls import AwsCallError, Calls
from looplab.backends.aws._clock import Clock
from looplab.backends.aws._observe import Stability
from looplab.backends.aws._params import AwsParams
from looplab.backends.aws._record import StackRecord
from looplab.backends.base import BackendError, DrainedMessage, QueueState

__all__ = ["Queues"]

_COUNTS = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


class Queues:
    def __init__(
        self,
        record: StackRecord,
        calls: Calls,
        clock: Clock,
        sleep: Callable[[float], None],
        params: AwsParams,
    ) -> None:
        """``sleep``: the backend's, which checks the invocation budget as it waits."""
        self.record = record
        self.calls = calls
        self.clock = clock
        self._sleep = sleep
        self.params = params
        self._stability = Stability()
        self._purged_at: dict[str, float] = {}
        self._cache: dict[str, tuple[float, QueueState]] = {}

    def seed(self, queue: str, body: str, count: int = 1) -> list[str]:
        url = self.record.queue_url(queue)
        # Messages sent while a purge runs may be deleted: wait until the purge is done.
        safe = self._purged_at.get(queue, float("-inf")) + self.params.purge_settle_seconds
        if self.clock.now() < safe:
            self._sleep(safe - self.clock.now())
        ids: list[str] = []
        while len(ids) < count:
            n = min(10, count - len(ids))
            entries = [{"Id": str(i), "MessageBody": body} for i in range(n)]
            reply = self.calls("sqs", "SendMessageBatch", url, QueueUrl=url, Entries=entries)
            if reply.get("Failed"):
                failed = reply["Failed"][0]
                raise BackendError(
                    f"sqs:SendMessageBatch on {url}: {failed.get('Code')}: {failed.get('Message')}"
                )
            ids += [e["MessageId"] for e in sorted(reply["Successful"], key=lambda e: int(e["Id"]))]
        self._cache.pop(queue, None)
        return ids

    def purge(self, queue: str) -> None:
        url = self.record.queue_url(queue)
        if self.read(queue).total == 0:
            return  # SQS allows one purge a minute: never spend it on an empty queue
        try:
            self.calls("sqs", "PurgeQueue", url, QueueUrl=url)
        except AwsCallError as exc:
            if not exc.code.endswith("PurgeQueueInProgress"):
                raise
            # A purge of this queue is already running (ours, a minute ago, or someone's):
            # it deletes what was there; wait it out, then purge what came since.
            self._sleep(self.params.purge_settle_seconds)
            self.calls("sqs", "PurgeQueue", url, QueueUrl=url)
        self._purged_at[queue] = self.clock.now()
        self._cache.pop(queue, None)

    def read(self, queue: str) -> QueueState:
        """The counts now (one GetQueueAttributes), whatever the cache holds."""
        url = self.record.queue_url(queue)
        attrs = self.calls(
            "sqs", "GetQueueAttributes", url, QueueUrl=url, AttributeNames=list(_COUNTS)
        )["Attributes"]
        visible, in_flight, delayed = (int(attrs.get(k, 0)) for k in _COUNTS)
        now = self.clock.now()
        settled = self._stability.observe(
            f"queue:{queue}", (visible, in_flight, delayed), now, self.params.queue_settle_seconds
        )
        state = QueueState(visible, in_flight, delayed, settled=settled)
        self._cache[queue] = (now, state)
        return state

    def state(self, queue: str) -> QueueState:
        """The counts, read again only when the last reading is older than the refresh."""
        cached = self._cache.get(queue)
        if cached and self.clock.now() - cached[0] < self.params.queue_refresh_seconds:
            return cached[1]
        return self.read(queue)

    def drain(self, queue: str, max_messages: int = 10) -> list[DrainedMessage]:
        url = self.record.queue_url(queue)
        drained: list[DrainedMessage] = []
        while len(drained) < max_messages:
            reply = self.calls(
                "sqs",
                "ReceiveMessage",
                url,
                QueueUrl=url,
                MaxNumberOfMessages=min(10, max_messages - len(drained)),
                MessageSystemAttributeNames=["All"],
                WaitTimeSeconds=1,
            )
            batch = reply.get("Messages", [])
            if not batch:
                break
            for message in batch:
                attrs = dict(message.get("Attributes", {}))
                drained.append(
                    DrainedMessage(
                        queue=queue,
                        message_id=message["MessageId"],
                        body=message["Body"],
                        receive_count=int(attrs.get("ApproximateReceiveCount", 1)),
                        attributes=attrs,
                    )
                )
                self.calls(
                    "sqs",
                    "DeleteMessage",
                    url,
                    QueueUrl=url,
                    ReceiptHandle=message["ReceiptHandle"],
                )
        self._cache.pop(queue, None)
        return drained

    def stay_empty(self) -> bool:
        """Every queue reads 0 over queue_settle_seconds of reads (SQS's counts lag).

        Waits on the raw clock: this runs after a budget trip, where a budget check would
        trip it again."""
        end = self.clock.now() + self.params.queue_settle_seconds
        while True:
            if any(self.read(q).total for q in self.record.queues):
                return False
            if self.clock.now() >= end:
                return True
            self.clock.sleep(min(self.params.queue_refresh_seconds * 5, end - self.clock.now()))
