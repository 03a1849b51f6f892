"""Identifiers and jitter drawn from the simulation's one seeded generator.

Everything random in a run (message IDs, request IDs, trace IDs, durations) comes from the
same ``random.Random(seed)``, so the same seed gives the same run byte for byte.
"""

from __future__ import annotations

from random import Random


def uuid(rng: Random) -> str:
    """A version-4-shaped UUID, as SQS message IDs and Lambda request IDs look."""
    # Version 4 in bits 76-79, variant 10 in bits 62-63, as uuid.uuid4() sets them.
    bits = (rng.getrandbits(128) & _CLEAR) | _SET
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_CLEAR = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)
_SET = (0x4 << 76) | (0x2 << 62)


def jitter(rng: Random, bounds: tuple[float, float]) -> float:
    """A duration drawn uniformly from ``bounds``; a fixed value when both ends agree."""
    lo, hi = bounds
    return lo if lo == hi else rng.uniform(lo, hi)
