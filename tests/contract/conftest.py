"""Backends for the contract suite: each fixture param builds one backend on a fresh stack.

- ``fake``: the toy in-memory backend of tests/_support/fakes.py;
- ``local``: the simulator behind LocalBackend;
- ``aws-moto``: the aws backend on moto's server after a real ``sls deploy`` (marked
  integration; moto lacks the recursion-config API, so that clause is skipped there);
- ``aws-sim``: the aws backend on the simulator's own AWS APIs (``Simulator.session()`` and
  ``stack_record()``), on its virtual clock; skipped until the simulator offers them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from _support.fakes import FakeBackend, ManualClock
from _support.moto import MotoServer, start_clean
from _support.simkit import repo_stack
from _support.sls import REGION, TEMPLATE_NAME, VALID_SCENARIOS, SlsProject, make_project

from looplab.backends import Backend

STAGE = "contract"


@pytest.fixture(scope="module")
def deployed(moto_server: MotoServer, tmp_path_factory: pytest.TempPathFactory) -> SlsProject:
    project = make_project(tmp_path_factory.mktemp("contract-moto"))
    project.write_scenarios(VALID_SCENARIOS)
    project.run("deploy", "--stage", STAGE, "--region", REGION, endpoint=moto_server.url)
    return project


def _aws_on_moto(request: pytest.FixtureRequest) -> Backend:
    from looplab.backends.aws import open_backend
    from looplab.stack import Stack

    moto_server: MotoServer = request.getfixturevalue("moto_server")
    project: SlsProject = request.getfixturevalue("deployed")
    template = json.loads((project.path / ".serverless" / TEMPLATE_NAME).read_text())
    stack = Stack.from_template(template, code_dir=project.path, stage=STAGE, region=REGION)
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    backend = open_backend(
        project.path,
        STAGE,
        stack,
        session=session,
        endpoint_url=moto_server.url,
        clock=ManualClock(),
    )
    start_clean(backend)
    return backend


def _aws_on_simulator() -> Backend:
    from looplab.backends.aws import AwsBackend, Calls, SimulatorClock, StackRecord
    from looplab.sim import Simulator

    if not hasattr(Simulator, "session") or not hasattr(Simulator, "stack_record"):
        pytest.skip("Simulator.session()/stack_record() are not on this branch yet (sim-control)")
    stack = repo_stack()
    sim = Simulator(stack, seed=0)
    missing = {"cloudwatch", "logs"} - set(getattr(sim, "services", {}))
    if missing:
        sim.close()
        pytest.skip(f"the simulator does not answer {', '.join(sorted(missing))} yet (sim-observe)")
    record = StackRecord.from_dict(sim.stack_record())
    calls = Calls(sim.session(), region=record.region, stage=record.stage)
    mappings = {lid: (m.function, m.source_queue) for lid, m in stack.mappings.items()}
    backend = AwsBackend(record, calls, SimulatorClock(sim), mappings=mappings)
    backend.sim = sim  # type: ignore[attr-defined]  # closed with the backend below
    return backend


@pytest.fixture(
    params=[
        "fake",
        "local",
        pytest.param("aws-moto", marks=pytest.mark.integration),
        "aws-sim",
    ]
)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    kind = request.param
    if kind.startswith("aws"):
        for key in [k for k in os.environ if k.startswith("AWS_")]:
            monkeypatch.delenv(key)
        monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    if kind == "fake":
        instance: Any = FakeBackend()
        instance.mapping = {q: False for q in instance.mapping}
    elif kind == "local":
        from looplab.backends.local import LocalBackend

        instance = LocalBackend(repo_stack(), seed=0)
        for mapping in instance.stack.mappings.values():
            instance.set_mapping(mapping.function, mapping.source_queue, False)
    elif kind == "aws-moto":
        instance = _aws_on_moto(request)
    else:
        instance = _aws_on_simulator()
        for function, queue in instance.mappings.values():
            instance.set_mapping(function, queue, False)
    instance.kind = kind
    yield instance
    instance.close()
    sim = getattr(instance, "sim", None)
    if kind == "aws-sim" and sim is not None:
        sim.close()
