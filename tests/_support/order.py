"""A seeded random test order (``pytest --shuffle=SEED``) that finds tests depending on order.

What pytest-randomly does, without a plugin that reorders every run once installed: modules
in a random order, then within each module its classes and free tests, then the tests of each
class. A module's tests stay together, so module-scoped fixtures (moto's server, a deployed
stack) are still built once per module; pytest's own fixture ordering runs after this and
keeps parametrized higher-scoped fixtures grouped.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Protocol, TypeVar


class _HasNodeId(Protocol):
    nodeid: str


Item = TypeVar("Item", bound=_HasNodeId)


def _groups(items: list[Item], key: Callable[[str], str]) -> list[list[Item]]:
    """Items grouped by ``key`` of their node id, in first-seen order."""
    groups: dict[str, list[Item]] = {}
    for item in items:
        groups.setdefault(key(item.nodeid), []).append(item)
    return list(groups.values())


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _block(nodeid: str) -> str:
    """A test's class (``path::Class::test``), or the test itself when it has none."""
    parts = nodeid.split("::")
    return "::".join(parts[:-1]) if len(parts) > 2 else nodeid


def shuffled(items: list[Item], seed: int) -> list[Item]:
    """``items`` in the order ``seed`` decides: modules, then classes, then tests shuffled."""
    rng = random.Random(seed)
    order: list[Item] = []
    modules = _groups(items, _module)
    rng.shuffle(modules)
    for module in modules:
        blocks = _groups(module, _block)
        rng.shuffle(blocks)
        for block in blocks:
            rng.shuffle(block)
            order.extend(block)
    return order
