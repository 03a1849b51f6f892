"""The X-Ray trace header and its Lineage: how a chain's count travels between services.

AWS documents the mechanism (the trace header, forwarded by the SDK, read by Lambda) but
not the Lineage field. Seen in the wild: ``Lineage=<hash8>:<count>``, several joined by
``|``. The simulator reads and writes that form: one entry per function, the hash being
the first 8 hex digits of SHA-256 of the function's ARN (inferred; any stable per-function
tag behaves the same). Newer SDKs also write ``<loop count>:<hash8>:<request count>``
(OpenTelemetry Java contrib's AwsXrayPropagator names the fields so); parsing accepts it,
with the middle field as the tag and the FIRST as the count.

botocore URL-quotes the header value it forwards (``|`` becomes ``%7C``), so the parser
unquotes before reading.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from random import Random
from urllib.parse import unquote


@dataclass(slots=True)
class TraceHeader:
    root: str
    parent: str | None = None
    sampled: str = "0"
    lineage: dict[str, int] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: str | None) -> TraceHeader | None:
        if not raw:
            return None
        fields: dict[str, str] = {}
        for part in unquote(raw).split(";"):
            key, sep, value = part.strip().partition("=")
            if sep:
                fields[key] = value
        if "Root" not in fields:
            return None
        return cls(
            root=fields["Root"],
            parent=fields.get("Parent"),
            sampled=fields.get("Sampled", "0"),
            lineage=parse_lineage(fields.get("Lineage", "")),
        )

    @classmethod
    def new_root(cls, rng: Random, epoch_seconds: float) -> TraceHeader:
        return cls(root=f"1-{int(epoch_seconds):08x}-{rng.getrandbits(96):024x}")

    def child(self, rng: Random, lineage: dict[str, int]) -> TraceHeader:
        return TraceHeader(self.root, f"{rng.getrandbits(64):016x}", self.sampled, lineage)

    def format(self) -> str:
        parts = [f"Root={self.root}"]
        if self.parent:
            parts.append(f"Parent={self.parent}")
        parts.append(f"Sampled={self.sampled}")
        if self.lineage:
            parts.append("Lineage=" + "|".join(f"{k}:{v}" for k, v in self.lineage.items()))
        return ";".join(parts)


def parse_lineage(text: str) -> dict[str, int]:
    lineage: dict[str, int] = {}
    for entry in filter(None, text.split("|")):
        pieces = entry.split(":")
        try:
            if len(pieces) == 2:
                lineage[pieces[0]] = int(pieces[1])
            elif len(pieces) == 3:
                lineage[pieces[1]] = int(pieces[0])
        except ValueError:
            continue  # a malformed entry is ignored, as an unknown field would be
    return lineage


def function_tag(function_arn: str) -> str:
    return hashlib.sha256(function_arn.encode()).hexdigest()[:8]


CHAIN_TAG = "00000000"
"""The single tag used when ``SimParams.lineage_per_function`` is False."""
