"""Shared fixtures: packaged templates (one `sls package` each per session) and moto's server.

Helpers live in tests/_support/; keep this file to fixtures other modules actually share.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _support.moto import MotoServer, start_moto_server
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
