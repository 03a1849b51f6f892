"""A handler can write to its own sockets: whatever it sends is that invocation's error.

The environment's channels to looplab are file descriptors of the handler's process, so a
hostile handler can find them (/proc/self/fd) and send anything: a pickle naming a
forbidden global, a message of the wrong shape, a forged SDK call with missing parameters.
None of it may end looplab's run (issue 10: "never of looplab"); a forged call is answered
like any call AWS cannot serve.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_sim_isolation import errors, messages, run_once

# Sends ``payload`` (a Python expression, pickled) framed as looplab's wire does, on every
# socket the process holds, then returns normally (looplab must have given up on it by then,
# or answer the forged call).
_SENDER = """\
import os, pickle, socket, struct

def handler(event, context):
    payload = {payload}
    data = pickle.dumps(payload)
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{{fd}}")
        except OSError:
            continue
        if target.startswith("socket:"):
            s = socket.socket(fileno=os.dup(int(fd)))
            try:
                s.sendall(struct.pack("!I", len(data)) + data)
            except OSError:
                pass
            finally:
                s.detach()
    return {{"ok": True}}
"""

# A list nested 5,000 deep (the handler's process raises its own recursion limit to pickle
# it), and one that is a few kilobytes pickled (one row shared by reference) and 300 MB
# written out, past the 128 MB a call of a 128 MB function can carry.
_DEEP = (
    "(__import__('sys').setrecursionlimit(50_000),"
    " __import__('functools').reduce(lambda a, _: [a], range(5000), []))[1]"
)
_WIDE = "[['x' * 1000] * 1000] * 300"

# (payload, whether it breaks the runtime's protocol: then the invocation is an error)
FORGED = [
    pytest.param("('call', os.system)", True, id="forbidden-global"),
    pytest.param("('call', ('lambda',))", True, id="short-call"),
    pytest.param("('done', 'success')", True, id="short-done"),
    pytest.param("['not', 'a', 'tuple']", True, id="wrong-type"),
    pytest.param("('call', ('lambda', 'GetFunction', {}, None))", False, id="call-no-params"),
    # Values deeper than looplab's code can walk (repr, json, the services): refused where
    # they enter, not met later as a RecursionError in looplab.
    pytest.param(f"('done', 'error', {_DEEP}, True)", True, id="deep-error"),
    pytest.param(f"('done', 'success', {_DEEP}, True)", True, id="deep-reply"),
    pytest.param(f"('call', {_DEEP})", True, id="deep-call"),
    pytest.param(
        f"('call', ('sqs', 'SendMessage', {{'QueueUrl': {_DEEP}}}, None))", False, id="deep-params"
    ),
    # A value small on the wire, huge written out (answered as a call it cannot read).
    pytest.param(
        f"('call', ('sqs', 'SendMessage', {{'QueueUrl': {_WIDE}}}, None))", False, id="wide-params"
    ),
    # More than any control message can be (a response is at most 6 MB).
    pytest.param("('done', 'error', 'x' * (20 << 20), True)", True, id="huge-error"),
]


@pytest.mark.parametrize(("payload", "breaks_protocol"), FORGED)
def test_whatever_a_handler_sends_on_its_sockets_never_ends_the_run(
    tmp_path: Path, payload: str, breaks_protocol: bool
) -> None:
    sim = run_once(tmp_path, _SENDER.format(payload=payload))
    try:
        # The run goes on; the invocation either failed (its environment was replaced) or,
        # for a forged but well-formed call, was answered with an error and went on.
        sim.send("Q", "{}")
        sim.advance(60)
        starts = [m for m in messages(sim) if m.startswith("START")]
        assert len(starts) >= 2  # looplab kept running invocations after the forgery
        if breaks_protocol:
            assert errors(sim) >= 2  # each forging invocation failed, its environment gone
    finally:
        sim.close()
