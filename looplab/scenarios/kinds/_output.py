"""How a step's output holds the backend's records in the journal: a queue's counts, a
drained message (with the JSON ``counter`` the seed post's handler sends, when it has one).

The engine's readings use the same encodings for the journal's observations.
"""

from __future__ import annotations

from typing import Any

from looplab._files import loads_json
from looplab.backends.base import DrainedMessage, QueueState

__all__ = ["counter_of", "message_json", "state_json"]


def counter_of(body: str) -> int | None:
    """The ``counter`` of a JSON object body (what the seed's handler sends), else None.

    The body is a handler's (256 KB of brackets nest 100,000 deep): parsed with the
    nesting bounded (looplab._files.loads_json), a deeper one has no counter."""
    try:
        data = loads_json(body)
    except (TypeError, ValueError):  # not text, not JSON, or nested too deep
        return None
    value = data.get("counter") if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def state_json(state: QueueState) -> dict[str, int]:
    return {"visible": state.visible, "in_flight": state.in_flight, "delayed": state.delayed}


def message_json(message: DrainedMessage) -> dict[str, Any]:
    return {
        "message_id": message.message_id,
        "body": message.body,
        "counter": counter_of(message.body),
        "receive_count": message.receive_count,
        "attributes": dict(message.attributes),
    }
