"""The aws-only commands find the project the way every other command does.

`python -m looplab.cli operator-policy` (no --project) crashed with a TypeError, and
`invoke kill-switch` from a subdirectory looked for .looplab/stacks/ there instead of in
the project root (where tasks.py is).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from _support.aws_stubs import Aws, no_aws_config
from _support.fakes import DLQ_UUID, FUNCTION, MAIN_UUID, REGION, STAGE, fake_record
from _support.simkit import repo_stack
from rich.console import Console

from looplab import cli
from looplab.cli.aws import kill_switch_command, operator_policy_command
from looplab.sim import Simulator


def test_without_a_project_the_argv_entry_point_answers_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "tasks.py").write_text("")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["operator-policy"]) == 2  # no stack record: bad input, no traceback
    assert "looplab" in capsys.readouterr().err.lower()


def test_the_record_is_read_from_the_project_root_not_the_subdirectory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Simulator(repo_stack()) as sim:
        record = sim.stack_record()  # the document the plugin writes after a deploy
    (tmp_path / "tasks.py").write_text("")
    stacks = tmp_path / ".looplab" / "stacks"
    stacks.mkdir(parents=True)
    (stacks / f"{record['stage']}.json").write_text(json.dumps(record))
    sub = tmp_path / "functions" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert operator_policy_command(stage=record["stage"]) == 0
    policy = json.loads(capsys.readouterr().out)
    assert policy["Version"] == "2012-10-17"


def _write_record(project: Path, doc: dict[str, object]) -> None:
    (project / "tasks.py").write_text("")
    stacks = project / ".looplab" / "stacks"
    stacks.mkdir(parents=True, exist_ok=True)
    (stacks / f"{doc['stage']}.json").write_text(json.dumps(doc))


def test_operator_policy_refuses_a_record_whose_function_is_a_wildcard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = fake_record()
    doc["resources"][FUNCTION]["physicalId"] = "*"  # type: ignore[index]
    _write_record(tmp_path, doc)
    assert operator_policy_command(stage=str(doc["stage"]), project=tmp_path) == 2
    out, err = capsys.readouterr()
    assert out == ""  # no policy at all, not one with function:*
    assert f"resources.{FUNCTION}.physicalId" in err and "unit.json" in err


class _StubbedSession:
    """What open_calls asks of a boto3 session, answering with the Stubber's clients."""

    region_name = REGION

    def __init__(self, aws: Aws) -> None:
        self.aws = aws
        self.real = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )

    def client(self, service: str, **kwargs: Any) -> Any:
        return self.aws.clients.get(service) or self.real.client(service, **kwargs)


OUTSIDE_UUID = "33333333-3333-4333-8333-333333333333"


def test_the_kill_switch_exits_1_naming_a_mapping_it_could_not_disable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_aws_config(monkeypatch, tmp_path)
    _write_record(tmp_path, fake_record())
    aws = Aws()
    aws.identity()
    aws.stack()
    aws.cap()
    aws.listed((MAIN_UUID, "Enabled"), (DLQ_UUID, "Disabled"), (OUTSIDE_UUID, "Enabled"))
    aws.disable_mappings()
    aws.error("lambda", "update_event_source_mapping", "AccessDeniedException", 403)
    aws.confirmed()
    aws.purges()
    out = Console(file=io.StringIO(), width=300)
    code = kill_switch_command(
        stage=STAGE, project=tmp_path, session=_StubbedSession(aws), console=out
    )
    text = out.file.getvalue()
    assert code == 1, text  # not "ok" and 0 while a mapping of the function may be on
    assert f"FAILED lambda:UpdateEventSourceMapping {OUTSIDE_UUID} (not in the record" in text
    assert "may still be enabled" in text and OUTSIDE_UUID in text.split("may still be enabled")[1]
    aws.done()
