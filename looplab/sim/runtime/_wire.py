"""looplab's end of an environment's sockets: length-prefixed pickles, read with an allow-list,
and the check of each message against the runtime's protocol.

A child is handler code: what it sends is data, never instructions. The unpickler refuses
every global but the few value types botocore parameters hold (timestamps, decimals), so
a hostile pickle cannot run code in looplab. Reads never wait (the runtime polls, with a
deadline, and reads what arrived), so a child that sends half a message and stops cannot
hang looplab.
"""

from __future__ import annotations

import datetime
import decimal
import io
import pickle
import reprlib
import select
import socket
import struct
import time
from typing import Any

__all__ = ["Channel", "ProtocolError", "WireTimeout", "call_of", "control_of", "loads"]

_HEADER = struct.Struct("!I")

_ALLOWED = {
    ("datetime", "datetime"): datetime.datetime,
    ("datetime", "date"): datetime.date,
    ("datetime", "timedelta"): datetime.timedelta,
    ("datetime", "timezone"): datetime.timezone,
    ("decimal", "Decimal"): decimal.Decimal,
}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        allowed = _ALLOWED.get((module, name))
        if allowed is None:
            raise pickle.UnpicklingError(f"an environment sent {module}.{name}: refused")
        return allowed


def loads(data: bytes) -> Any:
    return _Unpickler(io.BytesIO(data)).load()


class WireTimeout(Exception):
    """The child did not finish a message before the deadline."""


class Channel:
    __slots__ = ("buf", "limit", "sock")

    def __init__(self, sock: socket.socket, limit: int = 1 << 30) -> None:
        # Non-blocking: the runtime polls (with its deadline) and reads only what arrived;
        # a socket timeout would poll again before every recv.
        sock.setblocking(False)
        self.sock = sock
        # The largest message looplab takes: a header may claim 4 GB, and looplab would
        # hold whatever arrived of it (ProtocolError past it, read at the header).
        self.limit = limit
        self.buf = bytearray()

    def send(self, obj: Any, deadline: float) -> None:
        """Send one message; WireTimeout when the child has not taken it by ``deadline``
        (a big event into a child that stopped reading)."""
        data = pickle.dumps(obj, 5)
        view = memoryview(_HEADER.pack(len(data)) + data)
        while view:
            try:
                view = view[self.sock.send(view) :]
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WireTimeout from None
                select.select([], [self.sock], [], left)

    def ready(self) -> bool:
        """A whole message is already buffered (poll would not say so); ProtocolError
        when its header claims more than ``limit``."""
        buf = self.buf
        if len(buf) < 4:
            return False
        (size,) = _HEADER.unpack_from(buf)
        if size > self.limit:
            raise ProtocolError(
                f"a message of {size:,} bytes claimed (looplab takes {self.limit:,})"
            )
        return len(buf) >= 4 + size

    def fill(self) -> bool:
        """Take what has arrived, without waiting, until a whole message is buffered
        (at most a chunk past one); False when the child's end is closed (nothing more
        will come)."""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not chunk:
                return False
            self.buf += chunk
            if self.ready():
                return True

    def take(self) -> Any:
        """The whole message ``ready()`` found buffered."""
        buf = self.buf
        (size,) = _HEADER.unpack_from(buf)
        data = bytes(buf[4 : 4 + size])
        del buf[: 4 + size]
        return loads(data)

    def close(self) -> None:
        self.sock.close()


class ProtocolError(Exception):
    """An environment sent a message that is not one the runtime's protocol has."""


_NAME = 128  # characters of a service or operation name (botocore's are under 64)


def call_of(message: Any) -> tuple[str, str, dict[str, Any], str | None]:
    """``("call", (service, operation, params, trace))`` checked before it is dispatched
    (its values' depth and size are checked by the runtime, which knows its limits)."""
    if (
        isinstance(message, tuple)
        and len(message) == 2
        and message[0] == "call"
        and isinstance(message[1], tuple)
        and len(message[1]) == 4
    ):
        service, operation, params, trace = message[1]
        if (
            isinstance(service, str)
            and isinstance(operation, str)
            and len(service) <= _NAME
            and len(operation) <= _NAME
            and isinstance(params, dict)
            and (trace is None or isinstance(trace, str))
        ):
            return service, operation, params, trace
    raise ProtocolError(f"not an SDK call: {_short(message)}")


def control_of(message: Any) -> tuple[Any, ...]:
    """``("inited",)`` or ``("done", outcome, payload, keep)``, checked: a success's
    payload is its JSON text, an error's its one log event."""
    if isinstance(message, tuple) and message[:1] == ("inited",):
        return message
    if (
        isinstance(message, tuple)
        and len(message) == 4
        and message[0] == "done"
        and (
            (message[1] in ("success", "error") and isinstance(message[2], str))
            or message[1] == "oom"
        )
        and isinstance(message[3], bool)
    ):
        return message
    raise ProtocolError(f"not a runtime message: {_short(message)}")


_repr = reprlib.Repr()
_repr.maxlevel = 3  # reprlib stops at this depth: a handler's value may nest 100,000 deep
_repr.maxstring = _repr.maxother = 60


def _short(value: Any) -> str:
    text = _repr.repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
