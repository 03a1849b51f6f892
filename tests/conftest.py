"""Shared fixtures: packaged templates (one `sls package` each per session), moto's server,
Python's default SIGINT for the Ctrl-C tests; and ``--shuffle=SEED``, a seeded random order.

Helpers live in tests/_support/; keep this file to fixtures other modules actually share.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _support.moto import MotoServer, start_moto_server
from _support.order import shuffled
from _support.signals import default_sigint
from _support.sls import VALID_SCENARIOS, make_project

# Every parameter away from its default: the template must follow each one.
OVERRIDES = {
    "dlqTrigger": "true",
    "recursiveLoop": "Allow",
    "counterCap": "50",
    "retentionSeconds": "300",
    "maxReceiveCount": "3",
    "batchSize": "2",
}


@pytest.fixture(scope="session")
def default_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The template `sls package` compiles with the post's defaults (stage pkgtest)."""
    project = make_project(tmp_path_factory.mktemp("sls-default"))
    project.write_scenarios(VALID_SCENARIOS)
    return project.package("pkgtest")


@pytest.fixture(scope="session")
def override_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The template compiled with every parameter in OVERRIDES changed."""
    return make_project(tmp_path_factory.mktemp("sls-override")).package("pkgtest", OVERRIDES)


@pytest.fixture(scope="module")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    server = start_moto_server(Path(tmp_path_factory.mktemp("moto")))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sigint_default() -> Iterator[None]:
    """For a test that sends SIGINT (to itself or a child): it raises KeyboardInterrupt, even
    when pytest was started with SIGINT ignored (``pytest &``; see _support/signals.py)."""
    with default_sigint():
        yield


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shuffle",
        type=int,
        metavar="SEED",
        help="run the tests in a random order decided by SEED (modules, then classes, then "
        "tests; each module's tests stay together): finds tests that depend on order",
    )


def pytest_report_header(config: pytest.Config) -> str | None:
    seed = config.getoption("shuffle")
    return (
        None if seed is None else f"shuffle: seed {seed} (the same order again: --shuffle={seed})"
    )


@pytest.hookimpl(tryfirst=True)  # before pytest regroups tests that share a scoped fixture
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    seed = config.getoption("shuffle")
    if seed is not None:
        items[:] = shuffled(items, seed)
