"""The aws backend reads a loop shape's own stack record, where the plugin writes it
(looplab.cli.deploy.stack_file): the post's stack at .looplab/stacks/<stage>.json, every other
shape at .looplab/stacks/<service>-<stage>.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from looplab.backends.aws import StackRecord, StackRecordError, record_path
from looplab.cli.deploy import SHAPES, stack_file


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_backend_reads_the_record_where_the_plugin_writes_it(shape: str) -> None:
    project = Path("/p")
    service = "looplab" if shape == "sqs" else f"looplab-{shape}"
    assert record_path(project, "dev", service) == stack_file(project, shape, "dev")


def test_a_shape_record_is_loaded_and_a_missing_one_names_the_shape(tmp_path: Path) -> None:
    folder = tmp_path / ".looplab" / "stacks"
    folder.mkdir(parents=True)
    doc = {
        "formatVersion": 1,
        "service": "looplab-sns",
        "stackName": "looplab-sns-dev",
        "stackId": "arn:aws:cloudformation:eu-central-1:123456789012:stack/looplab-sns-dev/x",
        "stackStatus": "CREATE_COMPLETE",
        "stage": "dev",
        "region": "eu-central-1",
        "account": "123456789012",
        "outputs": {},
        "resources": {},
    }
    (folder / "looplab-sns-dev.json").write_text(json.dumps(doc))
    assert StackRecord.load(tmp_path, "dev", "looplab-sns").stack_name == "looplab-sns-dev"
    with pytest.raises(StackRecordError) as caught:
        StackRecord.load(tmp_path, "dev", "looplab-s3")
    assert "looplab-s3-dev.json" in str(caught.value)
    assert "--shape s3" in str(caught.value)
