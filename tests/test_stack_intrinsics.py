"""The template reader resolves intrinsic functions, or refuses them with the property path:
never a Python exception (IndexError, TypeError, RecursionError...) from a bad template."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from _support.simkit import function_resource, queue_resource

from looplab.stack import Stack, TemplateError, _package, load_stack
from looplab.stack import _load as stack_load

ENV = "Resources.F.Properties.Environment.Variables.X"


def read_env(tmp_path: Path, value: Any) -> Stack:
    """A stack whose function F has the environment variable X = ``value``."""
    resources = {"Q": queue_resource("q"), "F": function_resource("f", "fns/x.handler", {})}
    resources["F"]["Properties"]["Environment"]["Variables"]["X"] = value
    return Stack.from_template({"Resources": resources}, code_dir=tmp_path, stage="test")


GOOD: list[tuple[Any, str]] = [
    ({"Fn::Select": [1, {"Fn::Split": [",", "a,b"]}]}, "b"),
    ({"Fn::Select": ["0", ["a", "b"]]}, "a"),
    ({"Fn::Join": ["-", ["a", {"Ref": "AWS::Region"}]]}, "a-eu-central-1"),
    ({"Fn::Join": ["", []]}, ""),
    ({"Fn::Sub": "${AWS::AccountId}-${!Literal}"}, "123456789012-${Literal}"),
    ({"Fn::Sub": ["${A}-${Q.QueueName}", {"A": {"Ref": "AWS::Partition"}}]}, "aws-q"),
    ({"Fn::GetAtt": ["Q", "Arn"]}, "arn:aws:sqs:eu-central-1:123456789012:q"),
    ({"Fn::GetAtt": "Q.QueueName"}, "q"),
    ({"Ref": "Q"}, "https://sqs.eu-central-1.amazonaws.com/123456789012/q"),
    (5, "5"),
    (True, "true"),  # CloudFormation passes a YAML boolean as "true", not Python's "True"
]


@pytest.mark.parametrize(("value", "expected"), GOOD)
def test_well_formed_intrinsics_resolve(tmp_path: Path, value: Any, expected: str) -> None:
    assert read_env(tmp_path, value).functions["F"].environment["X"] == expected


# Each malformed input, and what the refusal must say (besides the path).
BAD: list[tuple[Any, str]] = [
    # Fn::Select
    ({"Fn::Select": [5, {"Fn::Split": [",", "a,b"]}]}, "index 5 is out of range"),
    ({"Fn::Select": [-1, ["a"]]}, "index -1 is out of range"),
    ({"Fn::Select": ["x", ["a"]]}, "index must be an integer"),
    ({"Fn::Select": [1.5, ["a", "b"]]}, "index must be an integer"),
    ({"Fn::Select": [True, ["a", "b"]]}, "index must be an integer"),
    ({"Fn::Select": [0, "abc"]}, "needs a list"),
    ({"Fn::Select": [0, {"a": 1}]}, "needs a list"),
    ({"Fn::Select": [0]}, "needs a list of two items"),
    ({"Fn::Select": "0,a"}, "needs a list of two items"),
    ({"Fn::Select": [0, [{"a": 1}]]}, "a string"),
    # Fn::Split
    ({"Fn::Split": ["", "abc"]}, "delimiter"),
    ({"Fn::Split": [1, "a1b"]}, "delimiter"),
    ({"Fn::Split": [",", ["a", "b"]]}, "a string"),
    ({"Fn::Split": [","]}, "needs a list of two items"),
    ({"Fn::Split": [",", "a,b"]}, "a string"),  # a list where a string belongs
    # Fn::Join
    ({"Fn::Join": [",", "ab"]}, "needs a list"),
    ({"Fn::Join": [1, ["a", "b"]]}, "delimiter"),
    ({"Fn::Join": [",", [["a"], "b"]]}, "a string"),
    ({"Fn::Join": [",", [{"k": "v"}]]}, "a string"),
    ({"Fn::Join": {"a": 1}}, "needs a list of two items"),
    # Fn::Sub
    ({"Fn::Sub": 5}, "needs a string"),
    ({"Fn::Sub": [5, {}]}, "needs a string"),
    ({"Fn::Sub": ["${A}", ["A", "b"]]}, "variables must be an object"),
    ({"Fn::Sub": ["${A}", {"A": ["x"]}]}, "a string"),
    ({"Fn::Sub": "${Nope}"}, "'Nope' is not a resource"),
    ({"Fn::Sub": "${Q.Nope}"}, "has no attribute Nope"),
    ({"Fn::Sub": ["a", {}, "extra"]}, "needs a string"),
    # Fn::GetAtt and Ref
    ({"Fn::GetAtt": ["Q"]}, "needs [LogicalId, Attribute]"),
    ({"Fn::GetAtt": "Q"}, "needs [LogicalId, Attribute]"),
    ({"Fn::GetAtt": [["Q"], "Arn"]}, "needs [LogicalId, Attribute]"),
    ({"Fn::GetAtt": ["Nope", "Arn"]}, "'Nope' is not a resource"),
    ({"Ref": ["Q"]}, "needs a string"),
    ({"Ref": "Nope"}, "'Nope' is not a resource"),
    # What the reader does not evaluate is refused, with the path
    ({"Fn::FindInMap": ["M", "a", "b"]}, "Fn::FindInMap is not supported"),
    ({"Fn::If": ["C", "a", "b"]}, "Fn::If is not supported"),
    ({"Fn::ImportValue": "x"}, "Fn::ImportValue is not supported"),
    ({"Fn::Base64": "x"}, "Fn::Base64 is not supported"),
    # Not a string at all
    ({"k": "v"}, "a string"),
    (["a", "b"], "a string"),
    (None, "'null' values are not allowed"),
]


@pytest.mark.parametrize(("value", "message"), BAD, ids=[json.dumps(v) for v, _ in BAD])
def test_malformed_intrinsics_are_template_errors_with_the_path(
    tmp_path: Path, value: Any, message: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        read_env(tmp_path, value)
    text = str(caught.value)
    assert text.startswith(ENV), text
    assert message in text, text


def test_intrinsics_nested_in_each_other_report_the_innermost_problem(tmp_path: Path) -> None:
    value = {"Fn::Join": ["", [{"Fn::Select": [9, {"Fn::Split": [",", "a,b"]}]}]]}
    with pytest.raises(TemplateError, match=r"^Resources\.F\..*index 9 is out of range"):
        read_env(tmp_path, value)


def _nested(depth: int, leaf: Any = "x") -> Any:
    """``depth`` levels of single-key objects, built without recursion."""
    value = leaf
    for _ in range(depth):
        value = {"k": value}
    return value


def test_a_3000_deep_property_is_a_template_error_not_a_recursion_error(tmp_path: Path) -> None:
    resources = {"Q": queue_resource("q", Tags=[_nested(3000)])}
    with pytest.raises(TemplateError, match=r"Resources\.Q\.Properties\.Tags\[0\]\.k\.k.*nests"):
        Stack.from_template({"Resources": resources}, code_dir=tmp_path)


def test_a_3000_deep_output_is_a_template_error(tmp_path: Path) -> None:
    template = {"Resources": {"Q": queue_resource("q")}, "Outputs": {"O": {"Value": _nested(3000)}}}
    with pytest.raises(TemplateError, match=r"Outputs\.O\.Value.*nests"):
        Stack.from_template(template, code_dir=tmp_path)


def test_nesting_within_the_limit_is_read(tmp_path: Path) -> None:
    resources = {"Q": queue_resource("q", Tags=[_nested(50)])}
    assert Stack.from_template({"Resources": resources}, code_dir=tmp_path).queues["Q"].name == "q"


def _compiled(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make load_stack read ``text`` as the compiled template (no sls run)."""
    out = tmp_path / "compiled"
    out.mkdir()
    (out / _package.TEMPLATE_NAME).write_text(text)
    monkeypatch.setattr(stack_load, "compiled_template", lambda *args, **kwargs: out)


def test_a_3000_deep_compiled_template_is_a_template_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = "[" * 3000 + "]" * 3000
    _compiled(
        tmp_path,
        '{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Metadata": ' + deep + "}}}",
        monkeypatch,
    )
    with pytest.raises(TemplateError, match=r"nests deeper than \d+ levels.*line 1"):
        load_stack(tmp_path)


def test_brackets_inside_strings_do_not_count_as_nesting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = json.dumps(
        {"Resources": {"Q": queue_resource("q", Tags=[{"Key": "k", "Value": "[" * 3000 + '\\"{'}])}}
    )
    _compiled(tmp_path, body, monkeypatch)
    assert load_stack(tmp_path).queues["Q"].name == "q"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "a JSON object"),
        ('{"Resources": [1]}', "Resources must be an object"),
        ('{"Resources": {"Q": "x"}}', "Resources.Q must be an object"),
        (
            '{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": [1]}}}',
            "Properties must be an object",
        ),
        ('{"Resources": {"Q": {"Type": 5}}}', "Type must be a string"),
        ('{"Resources": {}, "Outputs": {"O": 5}}', "Outputs.O must be an object"),
    ],
)
def test_a_malformed_compiled_template_is_a_template_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    _compiled(tmp_path, text, monkeypatch)
    with pytest.raises(TemplateError, match=message):
        load_stack(tmp_path)


def test_a_compiled_template_over_cloudformations_1_mb_is_a_template_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _compiled(tmp_path, json.dumps({"Resources": {}, "Metadata": "x" * 1_048_576}), monkeypatch)
    with pytest.raises(TemplateError, match="larger than 1,048,576 bytes"):
        load_stack(tmp_path)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ({"Fn::Split": [",", "a,b"]}, "a name must be a non-empty string"),
        ({"Fn::Select": [3, ["a"]]}, "index 3 is out of range"),
        ({"Fn::GetAtt": ["F", "Arn"]}, "may only use pseudo parameters"),
    ],
)
def test_a_resource_name_that_is_not_a_string_is_refused(
    tmp_path: Path, name: Any, message: str
) -> None:
    resources = {"Q": queue_resource(name), "F": function_resource("f", "fns/x.handler", {})}
    with pytest.raises(TemplateError, match=r"^Resources\.Q\.Properties\.QueueName: .*" + message):
        Stack.from_template({"Resources": resources}, code_dir=tmp_path)


def test_a_function_name_may_use_pseudo_parameters(tmp_path: Path) -> None:
    function = function_resource({"Fn::Sub": "${AWS::StackName}-fn"}, "fns/x.handler", {})
    stack = Stack.from_template({"Resources": {"F": function}}, code_dir=tmp_path, name="st")
    assert stack.functions["F"].name == "st-fn"


_FUNCTIONS = ("Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::If")
_LEAVES: tuple[Any, ...] = (
    "",
    ",",
    "a,b",
    "Q",
    "Q.Arn",
    "${Q.Arn}",
    "${Nope}",
    "${!x}",
    0,
    -1,
    2,
    1.5,
    True,
    "AWS::Region",
    "AWS::NoValue",
)


def _random_value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth >= 4 or roll < 0.35:
        return rng.choice(_LEAVES)
    if roll < 0.5:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if roll < 0.6:
        return {rng.choice(("k", "Ref", "Fn::Sub")): _random_value(rng, depth + 1), "x": 1}
    return {rng.choice(_FUNCTIONS): _random_value(rng, depth + 1)}


def test_fuzzed_intrinsics_resolve_or_are_template_errors(tmp_path: Path) -> None:
    """2,000 random (mostly malformed) intrinsic trees, seeded: each reads, or is a
    TemplateError naming the environment variable's path; nothing else escapes."""
    rng = random.Random(18)
    outcomes = {"read": 0, "refused": 0}
    for _ in range(2_000):
        value = _random_value(rng, 0)
        try:
            read_env(tmp_path, value)
        except TemplateError as exc:
            assert str(exc).startswith(("Resources.F.", "Resources.Q.")), (value, str(exc))
            outcomes["refused"] += 1
        else:
            outcomes["read"] += 1
    assert outcomes["read"] > 50 and outcomes["refused"] > 500  # the fuzz reached both
