"""Identifiers and jitter drawn from the simulation's one seeded generator.

Everything random in a run (message IDs, request IDs, trace IDs, durations) comes from the
same ``random.Random(seed)``, so the same seed gives the same run byte for byte.
"""

from __future__ import annotations

from random import Random


def uuid(rng: Random) -> str:
    """A version-4-shaped UUID, as SQS message IDs and Lambda request IDs look."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:]}"


def jitter(rng: Random, bounds: tuple[float, float]) -> float:
    """A duration drawn uniformly from ``bounds``; a fixed value when both ends agree."""
    lo, hi = bounds
    return lo if lo == hi else rng.uniform(lo, hi)
