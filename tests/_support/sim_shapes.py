"""Every simulated reply checked against botocore's output shape, as botocore's Stubber does.

``replies_match_botocore`` (a fixture: import it into a test module) wraps
``Simulator.dispatch`` so each reply, the handlers' own calls included, is validated with
``botocore.validate.ParamValidator`` against its operation's output shape; an error reply
must carry botocore's ``Error`` with a code and a message. It yields the list of checked
``(service, operation, status)`` so a test can show what it covered.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from looplab.sim import Simulator


@functools.cache
def _models() -> botocore.session.Session:
    return botocore.session.Session()


def check_reply(service: str, operation: str, status: int, parsed: dict[str, Any]) -> None:
    if status >= 300:
        error = parsed.get("Error") or {}
        assert error.get("Code") and error.get("Message"), (service, operation, parsed)
        return
    model = _models().get_service_model(service).operation_model(operation)
    reply = {k: v for k, v in parsed.items() if k not in ("_request_id", "ResponseMetadata")}
    if model.output_shape is None:
        assert reply == {}, (service, operation, reply)
        return
    report = ParamValidator().validate(reply, model.output_shape)
    assert not report.has_errors(), f"{service}:{operation}: {report.generate_report()}"


@pytest.fixture
def replies_match_botocore(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple]]:
    checked: list[tuple[str, str, int]] = []
    original = Simulator.dispatch

    def dispatch(self: Simulator, service: str, operation: str, params: dict, trace: Any):
        status, parsed = original(self, service, operation, params, trace)
        check_reply(service, operation, status, parsed)
        checked.append((service, operation, status))
        return status, parsed

    monkeypatch.setattr(Simulator, "dispatch", dispatch)
    yield checked
