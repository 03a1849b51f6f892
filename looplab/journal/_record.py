"""The journal's records: dataclasses whose fields are their JSON object's members.

A record serialises itself (:meth:`Record.to_json`): its written fields, by name, in their
order. Field metadata says what a name cannot: the JSON key when the field's name cannot be
it (:data:`JSON_KEY`: ``finally``), a field written only once it is set (:data:`ONCE_SET`:
a run's last words are absent, not null, before), a field the reader derives that is never
written (:data:`DERIVED`).
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any

__all__ = ["DERIVED", "JSON_KEY", "ONCE_SET", "Record"]

JSON_KEY = "json_key"
ONCE_SET = "written_once_set"
DERIVED = "not_written"


class Record:
    """A journal record: a dataclass whose fields are its JSON object's members."""

    def members(self) -> dict[str, Any]:
        """The JSON object's members, in the schema's order, values as held: a nested record
        stays a record, so the journal writer can reuse the text of one it sealed."""
        out: dict[str, Any] = {}
        for name, key, once_set in _written(type(self)):
            value = getattr(self, name)
            if value is None and once_set:
                continue
            out[key] = value
        return out

    def to_json(self) -> dict[str, Any]:
        """The record as JSON values (nested records too); other values as they are held."""
        return {key: _json(value) for key, value in self.members().items()}


@cache
def _written(cls: type) -> tuple[tuple[str, str, bool], ...]:
    """Per written field of ``cls``: its name, its JSON key, whether it waits to be set
    (read once per class: a journal is written after every step)."""
    return tuple(
        (f.name, f.metadata.get(JSON_KEY, f.name), bool(f.metadata.get(ONCE_SET)))
        for f in dataclasses.fields(cls)
        if not f.metadata.get(DERIVED)
    )


def _json(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_json()
    if isinstance(value, list) and value and isinstance(value[0], Record):
        return [item.to_json() for item in value]
    return value
