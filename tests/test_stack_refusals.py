"""The simulator refuses, by name and place, mapping settings it would otherwise run wrongly
(``tests/_support/simkit.build_stack`` runs ``looplab.sim.check_stack``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _support.simkit import build_stack, function_resource, mapping_resource, queue_resource

from looplab.stack import TemplateError


def stack_with_mapping(tmp_path: Path, **mapping_props: object):
    return build_stack(
        {
            "Q": queue_resource("q"),
            "F": function_resource("f", "fns/x.handler", {}),
            "M": mapping_resource("Q", "F", **mapping_props),
        },
        tmp_path,
    )


def test_filter_criteria_are_refused(tmp_path: Path) -> None:
    criteria = {"Filters": [{"Pattern": '{"body": {"counter": [5]}}'}]}
    with pytest.raises(
        TemplateError,
        match=r"Resources\.M\.Properties\.FilterCriteria: on AWS, messages that match no filter",
    ):
        stack_with_mapping(tmp_path, FilterCriteria=criteria)


def test_a_batching_window_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="MaximumBatchingWindowInSeconds 5 is not modelled"):
        stack_with_mapping(tmp_path, MaximumBatchingWindowInSeconds=5)


def test_batch_size_beyond_ten_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="BatchSize 100 needs a batching window"):
        stack_with_mapping(tmp_path, BatchSize=100)


def test_plain_mappings_are_read(tmp_path: Path) -> None:
    stack = stack_with_mapping(tmp_path, BatchSize=10, MaximumBatchingWindowInSeconds=0)
    assert stack.mappings["M"].batch_size == 10
    assert stack.mapping_for("F", "Q").logical_id == "M"
