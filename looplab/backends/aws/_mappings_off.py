"""The brake's mappings: every mapping of the stack's functions, found, disabled, confirmed.

The record names the stack's own mappings, but a mapping made by hand during an experiment
(or one missing from a stale record) invokes the function just as well, and a brake that
skips it leaves the loop one released cap away from running again. So, as the plugin's
remove does (serverless-plugins/experiment-hooks/lib/mappings.js), each function's mappings
are listed (ListEventSourceMappings with FunctionName, every page) and joined to the
record's. Each is then disabled, and the brake waits, bounded (AwsParams.mapping_timeout),
until Lambda reports it Disabled: Enabled -> Disabling -> Disabled is asynchronous, and only
Disabled means no poller starts another invocation. What could not be listed, disabled or
confirmed is that action's failure, with the way out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from looplab.backends.aws._action import Action
from looplab.backends.aws._busy import Busy
from looplab.backends.aws._calls import AwsCallError
from looplab.backends.aws._record import StackRecord

__all__ = ["Mapping", "confirm_disabled", "disable", "find_mappings"]

_UPDATE = "lambda:UpdateEventSourceMapping"
# A mapping deleted meanwhile (by hand, or a stack being removed) invokes nothing more.
_GONE = "ResourceNotFoundException"
# Pages of one function's mappings; the bound only stops an endpoint that never stops paging.
_MAX_PAGES = 1000


@dataclass(frozen=True)
class Mapping:
    uuid: str
    label: str  # what the console and the journal show
    logical_id: str | None = None  # the record's logical ID; None: not in the record


def find_mappings(busy: Busy, record: StackRecord) -> tuple[list[Mapping], list[Action]]:
    """The record's mappings (sorted by logical ID), then every other mapping of the
    record's functions; and one action per function listed (its result or its failure)."""
    known = {record.mapping_uuid(lid): lid for lid in record.mappings}
    found = [Mapping(uuid, f"{lid} ({uuid})", lid) for uuid, lid in known.items()]
    actions = []
    for fn in record.functions:
        name = record.function_name(fn)
        try:
            listed = _list(busy, name)
        except AwsCallError as exc:
            actions.append(
                Action(
                    "lambda:ListEventSourceMappings",
                    name,
                    f"{exc}; a mapping outside the record may still be enabled: check the "
                    f"function's triggers in the Lambda console",
                    ok=False,
                )
            )
            continue
        extra = 0
        for row in listed:
            uuid = str(row.get("UUID", ""))
            if not uuid or uuid in known:
                continue
            known[uuid] = ""
            extra += 1
            source = row.get("EventSourceArn") or "an unknown source"
            label = f"{uuid} (not in the record: {source} -> {fn}, {row.get('State', '?')})"
            found.append(Mapping(uuid, label))
        actions.append(
            Action(
                "lambda:ListEventSourceMappings",
                name,
                f"{len(listed)} mappings, {extra} not in the record",
            )
        )
    return found, actions


def _list(busy: Busy, name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    marker: str | None = None
    for _ in range(_MAX_PAGES):
        params = {"FunctionName": name} | ({"Marker": marker} if marker else {})
        page = busy.calls("lambda", "ListEventSourceMappings", name, **params)
        rows += page.get("EventSourceMappings") or []
        marker = page.get("NextMarker")
        if not marker:
            return rows
    raise AwsCallError(
        f"lambda:ListEventSourceMappings on {name}: still paging after {_MAX_PAGES} pages",
        "TooManyPages",
        "lambda:ListEventSourceMappings",
        name,
    )


def disable(busy: Busy, mapping: Mapping) -> Action:
    """UpdateEventSourceMapping Enabled=False, a busy mapping waited out (bounded)."""
    try:
        busy.call(
            "lambda", "UpdateEventSourceMapping", mapping.label, UUID=mapping.uuid, Enabled=False
        )
    except AwsCallError as exc:
        if exc.code == _GONE:
            return Action(_UPDATE, mapping.label, "gone (deleted)")
        return Action(_UPDATE, mapping.label, str(exc), ok=False)
    return Action(_UPDATE, mapping.label, "ok")


def confirm_disabled(busy: Busy, mappings: list[Mapping], actions: list[Action]) -> list[Action]:
    """``actions`` with each successful disable of ``mappings`` confirmed: "Disabled" once
    GetEventSourceMapping says so, a failure when it still does not after the bound."""
    params = busy.params
    by_label = {m.label: m for m in mappings}
    waiting = {
        i: by_label[a.resource]
        for i, a in enumerate(actions)
        if a.action == _UPDATE and a.result == "ok" and a.resource in by_label
    }
    out = list(actions)
    state: dict[int, str] = {}
    start = busy.now()
    end = start + params.mapping_timeout
    while True:
        for i, mapping in list(waiting.items()):
            try:
                reply = busy.calls(
                    "lambda", "GetEventSourceMapping", mapping.label, UUID=mapping.uuid
                )
            except AwsCallError as exc:
                if exc.code == _GONE:
                    out[i] = replace(out[i], result="gone (deleted)")
                else:
                    out[i] = replace(
                        out[i], result=f"disable asked, state unreadable: {exc}", ok=False
                    )
                del waiting[i]
                continue
            state[i] = str(reply.get("State", "?"))
            if state[i] == "Disabled":
                out[i] = replace(out[i], result="Disabled")
                del waiting[i]
        now = busy.now()
        if not waiting or now >= end:
            break
        if (
            busy.progress
            and now - start + params.mapping_poll_seconds >= params.busy_progress_after
        ):
            names = ", ".join(f"{m.uuid} ({state[i]})" for i, m in waiting.items())
            busy.progress(
                f"waiting for mappings to be Disabled: {names} "
                f"({now - start:.0f} s of {params.mapping_timeout:.0f} s)"
            )
        busy.sleep(min(params.mapping_poll_seconds, end - now))
    for i, mapping in waiting.items():
        out[i] = replace(
            out[i],
            result=(
                f"disable asked, but it is still {state[i]} after "
                f"{params.mapping_timeout:.0f} s: it may still invoke the function; disable "
                "it in the Lambda console (the function's triggers), or: aws lambda "
                f"update-event-source-mapping --uuid {mapping.uuid} --no-enabled"
            ),
            ok=False,
        )
    return out
